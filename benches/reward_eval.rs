//! `cargo bench`: the same measurements as `rwd bench`, over the PickCube and
//! close-lid rewards and the compile latency of every example.

use std::time::Duration;

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, program) in [("examples/pick_cube.rwd", None), ("examples/organize_toolbox.rwd", Some("close_lid"))] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).expect("example exists");
        match rwd::bench::run(file, &text, program, Duration::from_millis(1500), &[1, 64, 4096]) {
            Ok(report) => print!("{}", rwd::bench::render(&report)),
            Err(e) => eprintln!("{file}: {e}"),
        }
    }
    let mut rows = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/examples")).expect("examples").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "rwd")).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let name = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        match rwd::bench::compile_latency(&name, &text, 41) {
            Ok(row) => rows.push(row),
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
    print!("{}", rwd::bench::render_latency(&rows));
}
