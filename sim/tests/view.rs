//! The data a renderer draws from.

use rwd_sim::view::BodyKind;
use rwd_sim::{Task, TaskConfig, VecEnv};

#[test]
fn bodies_and_gripper_for_rendering() {
    let venv = VecEnv::new(TaskConfig::new(Task::Drawer), 2, 0);
    let bodies = venv.bodies(1).unwrap();
    let names: Vec<_> = bodies.iter().map(|b| (b.name, b.kind)).collect();
    assert_eq!(
        names,
        [
            ("table", BodyKind::Table),
            ("cube", BodyKind::Object),
            ("lower_drawer", BodyKind::Drawer),
            ("upper_drawer", BodyKind::Drawer),
            ("cabinet", BodyKind::Solid),
        ]
    );
    let s = venv.state(1).unwrap();
    assert_eq!(bodies[1].pos, s.bodies[1].pos);
    assert_eq!(bodies[2].wall, 0.01);
    assert!(bodies.iter().all(|b| !b.held));
    let g = venv.gripper(1).unwrap();
    assert_eq!(g.tcp, s.robot.tcp);
    assert!((g.span - 0.12).abs() < 1e-12 && !g.grasp);
    assert!(venv.bodies(2).is_err());
    // Serialisable for a renderer in another process.
    let json = serde_json::to_string(&bodies).unwrap();
    assert!(json.contains("\"lower_drawer\""));
    let toolbox = VecEnv::new(TaskConfig::new(Task::OrganizeToolbox), 1, 0).bodies(0).unwrap();
    assert_eq!(toolbox[1].kind, BodyKind::Lid);
    assert_eq!(toolbox[3].kind, BodyKind::Container);
}
