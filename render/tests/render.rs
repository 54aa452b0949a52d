//! Pixel-level checks of the rendered picture.

mod scenes;

use rwd_render::{
    Body, GRASP_FINGER_COLOR, GRIPPER_FINGER_COLOR, GripperView, Image, LABEL_TEXT_COLOR, Options,
    Scene, View, font, layout, render_png, render_rgb,
};
use std::f64::consts::FRAC_PI_4;

const RED: [u8; 3] = [200, 30, 30];
const BLUE: [u8; 3] = [30, 60, 200];

fn at(image: &Image, (x, y): (f64, f64)) -> [u8; 3] {
    image
        .pixel(x.floor() as i64, y.floor() as i64)
        .expect("point is inside the image")
}

fn count(image: &Image, color: [u8; 3]) -> usize {
    image.rgb.chunks(3).filter(|p| *p == color).count()
}

fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buffer = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buffer).expect("PNG frame decodes");
    buffer.truncate(info.buffer_size());
    (info, buffer)
}

#[test]
fn png_decodes_to_the_stated_size_and_the_same_pixels() {
    let options = Options {
        width: 900,
        height: 420,
        margin: 20,
    };
    let scene = scenes::kitchen();
    let bytes = render_png(&scene, &options).unwrap();
    let (info, pixels) = decode(&bytes);
    assert_eq!((info.width, info.height), (900, 420));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    assert_eq!(pixels, render_rgb(&scene, &options).unwrap().rgb);
}

#[test]
fn body_colour_appears_where_its_centre_projects_in_both_panels() {
    let pos = [0.3, -0.1, 0.04];
    let scene = Scene::new("one cube")
        .with_body(Body::new("cube", pos, [0.04, 0.04, 0.04]).with_color(RED))
        .with_body(Body::new("far block", [0.6, 0.2, 0.02], [0.02, 0.05, 0.02]).with_color(BLUE));
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let layout = layout(&scene, &options).unwrap();
    for view in [View::Top, View::Side] {
        assert_eq!(at(&image, layout.project(view, pos)), RED, "{view:?}");
        assert_eq!(
            at(&image, layout.project(view, [0.6, 0.2, 0.02])),
            BLUE,
            "{view:?}"
        );
    }
    // The two panels really are different places in the image.
    assert!(layout.project(View::Side, pos).0 > layout.project(View::Top, pos).0 + 100.0);
}

#[test]
fn rotated_box_covers_its_rotated_corners_and_not_its_unrotated_ones() {
    let half = 0.1;
    let scene = Scene::new("yawed").with_body(
        Body::new("plate", [0.0, 0.0, 0.02], [half, half, 0.02])
            .with_yaw(FRAC_PI_4)
            .with_color(RED),
    );
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let layout = layout(&scene, &options).unwrap();
    let diagonal = half * 2f64.sqrt() * 0.9; // just inside each rotated corner
    for (x, y) in [
        (diagonal, 0.0),
        (-diagonal, 0.0),
        (0.0, diagonal),
        (0.0, -diagonal),
    ] {
        assert_eq!(
            at(&image, layout.project(View::Top, [x, y, 0.02])),
            RED,
            "rotated corner ({x}, {y})"
        );
    }
    let square = half * 0.9; // just inside each unrotated corner
    for (x, y) in [
        (square, square),
        (-square, square),
        (square, -square),
        (-square, -square),
    ] {
        assert_ne!(
            at(&image, layout.project(View::Top, [x, y, 0.02])),
            RED,
            "unrotated corner ({x}, {y})"
        );
    }
    // From the side, the yawed box is wider than its own half extent.
    assert_eq!(
        at(&image, layout.project(View::Side, [diagonal, 0.0, 0.02])),
        RED
    );
}

#[test]
fn painter_order_shows_the_box_on_top_in_the_top_view_whatever_the_list_order() {
    let big = Body::new("big box", [0.0, 0.0, 0.05], [0.15, 0.15, 0.05]).with_color(BLUE);
    let small = Body::new("small box", [0.0, 0.0, 0.13], [0.03, 0.03, 0.03]).with_color(RED);
    for bodies in [
        vec![big.clone(), small.clone()],
        vec![small.clone(), big.clone()],
    ] {
        let scene = Scene {
            title: "stack".into(),
            bodies,
            gripper: None,
        };
        let options = Options::default();
        let image = render_rgb(&scene, &options).unwrap();
        let layout = layout(&scene, &options).unwrap();
        assert_eq!(at(&image, layout.project(View::Top, [0.0, 0.0, 0.1])), RED);
        assert_eq!(at(&image, layout.project(View::Top, [0.1, 0.1, 0.1])), BLUE);
    }
}

#[test]
fn painter_order_in_the_side_view_puts_the_nearer_box_in_front() {
    let far = Body::new("far", [0.0, 0.3, 0.05], [0.1, 0.05, 0.05]).with_color(BLUE);
    let near = Body::new("near", [0.0, 0.0, 0.05], [0.05, 0.05, 0.05]).with_color(RED);
    for bodies in [
        vec![far.clone(), near.clone()],
        vec![near.clone(), far.clone()],
    ] {
        let scene = Scene {
            title: "row".into(),
            bodies,
            gripper: None,
        };
        let options = Options::default();
        let image = render_rgb(&scene, &options).unwrap();
        let layout = layout(&scene, &options).unwrap();
        assert_eq!(
            at(&image, layout.project(View::Side, [0.0, 0.0, 0.05])),
            RED
        );
        assert_eq!(
            at(&image, layout.project(View::Side, [0.08, 0.3, 0.05])),
            BLUE
        );
    }
}

#[test]
fn contents_of_a_container_are_drawn_over_it() {
    let scene = scenes::kitchen();
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let layout = layout(&scene, &options).unwrap();
    let carrot = scene.bodies.iter().find(|b| b.label == "carrot").unwrap();
    for view in [View::Top, View::Side] {
        assert_eq!(
            at(&image, layout.project(view, carrot.pos)),
            carrot.color,
            "{view:?}"
        );
    }
}

/// Text-coloured pixels within `reach` pixels of the box spanned by two
/// projected corners.
fn ink_near(image: &Image, a: (f64, f64), b: (f64, f64), reach: i64) -> usize {
    let (x0, x1) = (a.0.min(b.0) as i64 - reach, a.0.max(b.0) as i64 + reach);
    let (y0, y1) = (a.1.min(b.1) as i64 - reach, a.1.max(b.1) as i64 + reach);
    let mut ink = 0;
    for y in y0..=y1 {
        for x in x0..=x1 {
            if image.pixel(x, y) == Some(LABEL_TEXT_COLOR) {
                ink += 1;
            }
        }
    }
    ink
}

#[test]
fn each_label_is_drawn_whole_next_to_its_body_in_both_panels() {
    let pos = [0.2, 0.1, 0.03];
    let scene = Scene::new("labels").with_body(Body::new("mug", pos, [0.03; 3]).with_color(RED));
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let layout = layout(&scene, &options).unwrap();
    let whole = font::ink_pixels("mug", layout.text_scale);
    // Exactly two whole copies of the label's ink: nothing clipped or covered.
    assert_eq!(count(&image, LABEL_TEXT_COLOR), 2 * whole);
    for view in [View::Top, View::Side] {
        let low = layout.project(view, [pos[0] - 0.03, pos[1] - 0.03, pos[2] - 0.03]);
        let high = layout.project(view, [pos[0] + 0.03, pos[1] + 0.03, pos[2] + 0.03]);
        // The whole label lies within one label-width of the mug.
        let reach = font::text_width("mug", layout.text_scale) as i64 + 40;
        let near = ink_near(&image, low, high, reach);
        assert_eq!(near, whole, "{view:?} label is next to the mug");
    }
}

#[test]
fn labels_at_the_image_edge_are_not_clipped() {
    // Bodies at the extremes of the scene: labels have to move inside.
    let scene = Scene::new("edges")
        .with_body(Body::new("left thing", [-0.5, 0.0, 0.02], [0.02; 3]))
        .with_body(Body::new("right thing", [0.5, 0.0, 0.02], [0.02; 3]))
        .with_body(Body::new("high thing", [0.0, 0.5, 0.4], [0.02; 3]))
        .with_body(Body::new("low thing", [0.0, -0.5, -0.4], [0.02; 3]));
    let options = Options {
        width: 640,
        height: 320,
        margin: 4,
    };
    let image = render_rgb(&scene, &options).unwrap();
    let scale = layout(&scene, &options).unwrap().text_scale;
    let whole: usize = scene
        .bodies
        .iter()
        .map(|b| font::ink_pixels(&b.label, scale))
        .sum();
    assert_eq!(count(&image, LABEL_TEXT_COLOR), 2 * whole);
}

/// Horizontal spread, in pixels, of the gripper's finger colour in the top view.
fn finger_spread(opening: f64) -> i64 {
    let scene = Scene::new("g")
        .with_body(Body::new("cube", [0.0, 0.0, 0.02], [0.02; 3]))
        .with_gripper(GripperView::new([0.0, 0.0, 0.15], 0.0, opening, false));
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let top = layout(&scene, &options).unwrap().top.plot;
    let xs: Vec<i64> = (top.y0..top.y1)
        .flat_map(|y| (top.x0..top.x1).map(move |x| (x, y)))
        .filter(|&(x, y)| image.pixel(x, y) == Some(GRIPPER_FINGER_COLOR))
        .map(|(x, _)| x)
        .collect();
    assert!(!xs.is_empty(), "fingers drawn");
    xs.iter().max().unwrap() - xs.iter().min().unwrap()
}

#[test]
fn gripper_fingers_are_further_apart_when_open() {
    let open = finger_spread(1.0);
    let closed = finger_spread(0.0);
    assert!(open > closed + 20, "open {open} px vs closed {closed} px");
}

#[test]
fn grasping_gripper_is_highlighted() {
    let grasp = |grasping| {
        let scene =
            Scene::new("g").with_gripper(GripperView::new([0.0, 0.0, 0.1], 0.3, 0.2, grasping));
        render_rgb(&scene, &Options::default()).unwrap()
    };
    assert!(count(&grasp(true), GRASP_FINGER_COLOR) > 50);
    assert_eq!(count(&grasp(false), GRASP_FINGER_COLOR), 0);
}

#[test]
fn rendering_is_deterministic() {
    let scene = scenes::kitchen();
    let a = render_png(&scene, &Options::default()).unwrap();
    let b = render_png(&scene.clone(), &Options::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn realistic_scene_shows_every_entity_and_the_title() {
    let scene = scenes::kitchen();
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let layout = layout(&scene, &options).unwrap();
    for body in scene
        .bodies
        .iter()
        .filter(|b| b.style != rwd_render::Style::Surface)
    {
        assert!(count(&image, body.color) > 100, "{} is visible", body.label);
    }
    assert!(
        count(&image, GRIPPER_FINGER_COLOR) > 100,
        "gripper fingers visible"
    );
    let title = layout.title;
    let title_ink = (title.y0..title.y1)
        .flat_map(|y| (title.x0..title.x1).map(move |x| (x, y)))
        .filter(|&(x, y)| image.pixel(x, y) == Some([0, 0, 0]))
        .count();
    assert!(title_ink > 200, "title drawn");
    // Every label, in both panels, drawn whole: the placer found room for all.
    let labels: usize = scene
        .bodies
        .iter()
        .map(|b| font::ink_pixels(&b.label, layout.text_scale))
        .sum::<usize>()
        + font::ink_pixels("gripper: 70% open", layout.text_scale);
    assert_eq!(count(&image, LABEL_TEXT_COLOR), 2 * labels);
}

#[test]
fn container_is_an_open_box_in_the_side_view_whichever_way_up() {
    let upright = Body::new("bin", [0.0, 0.0, 0.05], [0.1, 0.1, 0.05])
        .with_color(RED)
        .container();
    let upside_down = upright.clone().with_rot([0.0, 1.0, 0.0, 0.0]);
    for (body, mouth_z, floor_z) in [(upright, 0.1, 0.0), (upside_down, 0.0, 0.1)] {
        let scene = Scene::new("bin").with_body(body);
        let options = Options::default();
        let image = render_rgb(&scene, &options).unwrap();
        let layout = layout(&scene, &options).unwrap();
        let side = |p| at(&image, layout.project(View::Side, p));
        assert_eq!(side([-0.1, 0.0, 0.05]), RED, "left wall");
        assert_eq!(side([0.1, 0.0, 0.05]), RED, "right wall");
        assert_eq!(side([0.0, 0.0, floor_z]), RED, "floor");
        assert_ne!(side([0.0, 0.0, mouth_z]), RED, "open mouth");
        // Inside: a see-through tint, neither the full colour nor the background.
        let inside = side([0.0, 0.0, 0.05]);
        assert!(
            inside != RED && inside[0] > inside[1],
            "tinted interior {inside:?}"
        );
        // From above, the rim is drawn all round.
        assert_eq!(at(&image, layout.project(View::Top, [0.0, 0.1, 0.1])), RED);
    }
}

#[test]
fn a_surface_outside_the_frame_gets_no_label() {
    let scene = Scene::new("far table")
        .with_body(Body::new("table", [5.0, 5.0, -0.02], [0.5, 0.5, 0.02]).surface())
        .with_body(Body::new("cube", [0.0, 0.0, 0.02], [0.02; 3]));
    let options = Options::default();
    let image = render_rgb(&scene, &options).unwrap();
    let scale = layout(&scene, &options).unwrap().text_scale;
    assert_eq!(
        count(&image, LABEL_TEXT_COLOR),
        2 * font::ink_pixels("cube", scale)
    );
}
