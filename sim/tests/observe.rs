//! Observations in a compiled program's layout, and the start-up errors for
//! layouts that do not fit the simulator. The layouts in `tests/layouts/`
//! are `rwd compile examples/<name>.rwd --emit layout` output.

use rwd_sim::observe::{LayoutError, ObsPlan, ProgramLayout};
use rwd_sim::tasks::EntityKind;
use rwd_sim::{Task, TaskConfig, VecEnv};

fn layouts(name: &str) -> Vec<ProgramLayout> {
    let text = match name {
        "sort_vegetables" => include_str!("layouts/sort_vegetables.json"),
        "pick_trash" => include_str!("layouts/pick_trash.json"),
        "organize_toolbox" => include_str!("layouts/organize_toolbox.json"),
        _ => include_str!("layouts/drawer_check.json"),
    };
    ProgramLayout::parse_all(text).expect("compiler output parses")
}

fn program(name: &str, program: &str) -> ProgramLayout {
    layouts(name).into_iter().find(|p| p.program == program).expect("program in file")
}

#[test]
fn every_example_program_resolves_against_its_task() {
    for (file, task, count) in [
        ("sort_vegetables", Task::SortVegetables, 3),
        ("pick_trash", Task::PickTrash, 3),
        ("organize_toolbox", Task::OrganizeToolbox, 3),
        ("drawer_check", Task::Drawer, 2),
    ] {
        let all = layouts(file);
        assert_eq!(all.len(), count);
        for p in &all {
            let plan = ObsPlan::with_host_props(task, p, &["plan"]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.width(), p.width as usize);
        }
    }
    // Without the host supplying it, the drawer check's `plan` is refused.
    let err = ObsPlan::new(Task::Drawer, &program("drawer_check", "drawer_state")).unwrap_err();
    assert_eq!(err, LayoutError::UnsuppliedProp { program: "drawer_state".into(), field: "plan".into() });
    assert!(err.to_string().contains("scene property `plan`"), "{err}");
}

#[test]
fn gather_writes_each_field_at_its_offset() {
    let layout = program("sort_vegetables", "sort_broccoli");
    let plan = ObsPlan::new(Task::SortVegetables, &layout).unwrap();
    let venv = VecEnv::new(TaskConfig::new(Task::SortVegetables), 3, 4);
    let w = plan.width();
    let mut out = vec![f64::NAN; 3 * w];
    plan.gather(&venv, &mut out).unwrap();
    assert!(out.iter().all(|v| v.is_finite()), "every slot written");
    let s = venv.state(2).unwrap();
    let row = &out[2 * w..3 * w];
    for f in &layout.fields {
        let at = &row[f.offset as usize..(f.offset + f.width) as usize];
        let want: Vec<f64> = match (f.entity.as_deref(), f.field.as_str()) {
            (Some("gripper"), "pos") => s.robot.tcp.to_vec(),
            (Some("gripper"), "opening") => vec![s.robot.opening],
            (Some("gripper"), "grasp") => vec![0.0],
            (Some("broccoli"), "pos") => s.bodies[1].pos.to_vec(),
            (Some("broccoli"), "half") => s.bodies[1].half.to_vec(),
            (Some("green_bowl"), "pos") => s.bodies[3].pos.to_vec(),
            (Some("green_bowl"), "half") => s.bodies[3].half.to_vec(),
            (Some("orange_bowl"), "pos") => s.bodies[4].pos.to_vec(),
            (Some("carrot"), "pos") => s.bodies[2].pos.to_vec(),
            _ => continue,
        };
        assert_eq!(at, &want[..], "{:?}.{}", f.entity, f.field);
    }
    // The drawer check with a host-supplied plan: those slots are left alone.
    let layout = program("drawer_check", "drawer_state");
    let plan = ObsPlan::with_host_props(Task::Drawer, &layout, &["plan"]).unwrap();
    let venv = VecEnv::new(TaskConfig::new(Task::Drawer), 1, 0);
    let mut out = vec![7.0; plan.width()];
    plan.gather(&venv, &mut out).unwrap();
    let prop = layout.fields.iter().find(|f| f.entity.is_none()).unwrap();
    assert_eq!(prop.width, 24);
    assert!(out[prop.offset as usize..(prop.offset + prop.width) as usize].iter().all(|&v| v == 7.0));
    let joint = layout.fields.iter().find(|f| f.entity.as_deref() == Some("lower_drawer") && f.field == "joint").unwrap();
    assert_eq!(out[joint.offset as usize], 0.0);
    // A wrongly sized output buffer is an error, not a panic.
    assert!(plan.gather(&venv, &mut out[1..]).is_err());
}

fn edit(mut layout: ProgramLayout, entity: &str, field: &str, f: impl FnOnce(&mut rwd_sim::observe::LayoutField)) -> ProgramLayout {
    let target = layout.fields.iter_mut().find(|x| x.entity.as_deref() == Some(entity) && x.field == field).expect("field present");
    f(target);
    layout
}

#[test]
fn layout_mismatches_are_clear_errors() {
    let base = program("organize_toolbox", "toolbox_state");
    let task = Task::OrganizeToolbox;

    // Unknown entity: the message lists the scene's entities.
    let l = edit(base.clone(), "cable", "pos", |f| f.entity = Some("hose".into()));
    let e = ObsPlan::new(task, &l).unwrap_err();
    assert!(matches!(&e, LayoutError::UnknownEntity { entity, .. } if entity == "hose"));
    assert_eq!(
        e.to_string(),
        "program `toolbox_state` reads entity `hose`, which scene `toolbox_bench` does not have (it has: gripper, lid, cable, toolbox)"
    );

    // A field the entity's kind does not store.
    let l = edit(base.clone(), "cable", "pos", |f| f.field = "joint".into());
    let e = ObsPlan::new(task, &l).unwrap_err();
    assert!(matches!(&e, LayoutError::FieldNotStored { entity, kind: EntityKind::Object, .. } if entity == "cable"), "{e:?}");
    assert!(e.to_string().contains("stores only pos, rot, half, vel"), "{e}");

    // A kind mismatch: the program thinks the lid is a Drawer (joint in m).
    let l = edit(base.clone(), "lid", "joint", |f| {
        f.ty = "length".into();
        f.unit = "m".into();
    });
    let e = ObsPlan::new(task, &l).unwrap_err();
    assert!(matches!(&e, LayoutError::KindMismatch { kind: EntityKind::Hinged, expected: "angle", .. }), "{e:?}");
    assert!(e.to_string().contains("declares a different kind"), "{e}");

    // A width mismatch.
    let mut l = edit(base.clone(), "gripper", "pos", |f| f.width = 2);
    l.fields.retain(|f| f.offset != 2); // keep offsets consistent
    let e = ObsPlan::new(task, &l).unwrap_err();
    assert!(matches!(&e, LayoutError::WidthMismatch { expected: 3, found: 2, .. }), "{e:?}");

    // Overlapping or out-of-range offsets.
    let l = edit(base.clone(), "cable", "pos", |f| f.offset = 0);
    assert!(matches!(ObsPlan::new(task, &l), Err(LayoutError::BadOffset { .. })));
    let mut l = base.clone();
    l.width -= 1;
    assert!(matches!(ObsPlan::new(task, &l), Err(LayoutError::BadOffset { .. })));

    // A program for another scene.
    let e = ObsPlan::new(Task::PickTrash, &base).unwrap_err();
    assert!(matches!(&e, LayoutError::SceneMismatch { found, .. } if found == "toolbox_bench"));

    // A scene property (entity null) the simulator does not supply.
    let mut l = base.clone();
    let mut prop = l.fields[0].clone();
    prop.entity = None;
    prop.field = "wind".into();
    prop.offset = l.width;
    l.width += prop.width;
    l.fields.push(prop);
    assert_eq!(ObsPlan::new(task, &l).unwrap_err(), LayoutError::UnsuppliedProp { program: "toolbox_state".into(), field: "wind".into() });

    // Not JSON at all.
    assert!(matches!(ProgramLayout::parse_all("[{"), Err(LayoutError::Json(_))));
}
