mod scenes;

/// Scratch: `RENDER_CHECK=/tmp/x.png cargo test -p rwd-render --test look` writes the
/// realistic scene so a person can judge legibility. Does nothing otherwise.
#[test]
fn write_kitchen_when_asked() {
    if let Ok(path) = std::env::var("RENDER_CHECK") {
        let png =
            rwd_render::render_png(&scenes::kitchen(), &rwd_render::Options::default()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}
