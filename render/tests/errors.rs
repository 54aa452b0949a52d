//! Bad input gives a `RenderError` that names the problem, never a panic.

mod scenes;

use rwd_render::{Body, GripperView, Options, RenderError, Scene, render_png, render_rgb};

fn error_of(scene: &Scene, options: &Options) -> RenderError {
    let error = render_png(scene, options).expect_err("should be rejected");
    // Compared as text: a NaN inside the error is not equal to itself.
    assert_eq!(
        render_rgb(scene, options).unwrap_err().to_string(),
        error.to_string()
    );
    error
}

fn with_body(body: Body) -> Scene {
    Scene::new("bad")
        .with_body(Body::new("fine", [0.0; 3], [0.01; 3]))
        .with_body(body)
}

#[test]
fn nan_position_names_the_body() {
    let error = error_of(
        &with_body(Body::new("broccoli", [0.1, f64::NAN, 0.0], [0.01; 3])),
        &Options::default(),
    );
    assert!(
        matches!(&error, RenderError::NonFinite { label, field: "pos", index: 1, .. } if label == "broccoli")
    );
    let message = error.to_string();
    assert!(
        message.contains("broccoli") && message.contains("pos[1]"),
        "{message}"
    );
}

#[test]
fn infinite_rotation_and_half_extent_name_the_body() {
    let body = Body::new("carrot", [0.0; 3], [0.01; 3]).with_rot([1.0, f64::INFINITY, 0.0, 0.0]);
    assert!(
        error_of(&with_body(body), &Options::default())
            .to_string()
            .contains("carrot")
    );
    let body = Body::new("bowl", [0.0; 3], [0.01, f64::NEG_INFINITY, 0.01]);
    let message = error_of(&with_body(body), &Options::default()).to_string();
    assert!(
        message.contains("bowl") && message.contains("half"),
        "{message}"
    );
}

#[test]
fn non_finite_gripper_is_named() {
    for gripper in [
        GripperView::new([f64::NAN, 0.0, 0.0], 0.0, 0.5, false),
        GripperView::new([0.0; 3], f64::INFINITY, 0.5, false),
        GripperView::new([0.0; 3], 0.0, f64::NAN, false),
    ] {
        let message =
            error_of(&Scene::new("g").with_gripper(gripper), &Options::default()).to_string();
        assert!(message.contains("gripper"), "{message}");
    }
}

#[test]
fn negative_extent_and_zero_quaternion_are_rejected() {
    let body = Body::new("box", [0.0; 3], [0.01, -0.01, 0.01]);
    assert!(matches!(
        error_of(&with_body(body), &Options::default()),
        RenderError::InvalidBody { .. }
    ));
    let body = Body::new("spinner", [0.0; 3], [0.01; 3]).with_rot([0.0; 4]);
    let message = error_of(&with_body(body), &Options::default()).to_string();
    assert!(
        message.contains("spinner") && message.contains("quaternion"),
        "{message}"
    );
}

#[test]
fn zero_or_unusable_image_sizes_are_rejected() {
    let scene = scenes::kitchen();
    for (width, height, margin) in [
        (0, 400, 10),
        (800, 0, 10),
        (0, 0, 0),
        (9000, 100, 0),
        (60, 40, 0),
        (800, 400, 300),
    ] {
        let error = error_of(
            &scene,
            &Options {
                width,
                height,
                margin,
            },
        );
        assert!(
            matches!(error, RenderError::BadSize { .. }),
            "{width}x{height} margin {margin}: {error}"
        );
        assert!(error.to_string().contains(&format!("{width}x{height}")));
    }
}

#[test]
fn empty_scene_is_rejected() {
    let error = error_of(&Scene::new("nothing"), &Options::default());
    assert_eq!(error, RenderError::EmptyScene);
    assert!(error.to_string().contains("empty"));
}

#[test]
fn awkward_but_valid_scenes_render_without_panicking() {
    let scenes = [
        // Only a surface; only a gripper; a zero-size body; a body seen edge-on.
        Scene::new("table only")
            .with_body(Body::new("table", [0.0; 3], [0.5, 0.5, 0.02]).surface()),
        Scene::new("gripper only").with_gripper(GripperView::new([0.0; 3], 1.0, 3.0, true)),
        with_body(Body::new("point", [0.2, 0.0, 0.0], [0.0; 3])),
        with_body(Body::new("sheet", [0.2, 0.0, 0.0], [0.1, 0.1, 0.0])),
        // Enormous coordinates, a far outlier, an un-normalised quaternion.
        with_body(Body::new("far away", [1e12, -1e12, 1e12], [1.0; 3])),
        with_body(
            Body::new("tilted", [0.1, 0.1, 0.1], [0.05, 0.02, 0.01])
                .with_rot([3.0, 1.0, -2.0, 0.5]),
        ),
        // Labels that are long, empty or not ASCII.
        with_body(Body::new(
            "a label far too long to fit anywhere in a panel of this size at all",
            [0.1; 3],
            [0.01; 3],
        )),
        with_body(Body::new("", [0.1; 3], [0.01; 3])),
        with_body(Body::new("brócoli ✓", [0.1; 3], [0.01; 3])),
        Scene::new("").with_body(Body::new("x", [0.0; 3], [0.01; 3])),
    ];
    for scene in &scenes {
        for options in [
            Options::default(),
            Options {
                width: 120,
                height: 80,
                margin: 0,
            },
        ] {
            let png =
                render_png(scene, &options).unwrap_or_else(|e| panic!("{}: {e}", scene.title));
            assert!(png.starts_with(b"\x89PNG"));
        }
    }
}
