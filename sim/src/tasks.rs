//! The four tasks: their scenes (entity names and kinds exactly as in the
//! rwd examples), how a scene is laid out from a seed, the success tests,
//! and the out-of-distribution variants.

use serde::{Deserialize, Serialize};

use crate::geom::{self, IDENTITY, Vec3, quat_mul, quat_yaw};
use crate::rng::Rng;
use crate::world::{Body, EnvState, LID_HOLD_MAX, Robot, Role, TABLE_TOP};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Task {
    /// `vegetable_table`: broccoli into the green bowl, carrot into the orange one.
    SortVegetables,
    /// `trash_table`: the soda can upright into the bin.
    PickTrash,
    /// `toolbox_bench`: the cable into the toolbox, then the lid shut.
    OrganizeToolbox,
    /// `drawer_cabinet`: pull the lower drawer open, put the cube in it.
    Drawer,
}

/// Out-of-distribution variants for stress tests. A variant that does not
/// concern a task leaves it nominal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Variant {
    Nominal,
    /// The manipulated objects swapped for others of different size and
    /// mass (a cauliflower-sized broccoli and a parsnip, an energy-drink
    /// can, a thick cable bundle, a larger wooden block).
    SubstitutedObjects,
    /// A 0.5 l can, 18 cm tall instead of 12 cm (pick trash).
    TallCan,
    /// A roll of tape instead of the cable (organize toolbox).
    TapeRoll,
}

/// The rwd entity kinds the scenes declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    Gripper,
    Object,
    Drawer,
    Hinged,
}

impl EntityKind {
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Gripper => "Gripper",
            EntityKind::Object => "Object",
            EntityKind::Drawer => "Drawer",
            EntityKind::Hinged => "Hinged",
        }
    }
}

/// Where an entity's values come from in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntitySource {
    Gripper,
    Body(usize),
}

/// One scene entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entity {
    pub name: &'static str,
    pub kind: EntityKind,
    pub source: EntitySource,
}

const fn ent(name: &'static str, kind: EntityKind, source: EntitySource) -> Entity {
    Entity { name, kind, source }
}

use EntityKind as K;
use EntitySource::{Body as B, Gripper as G};

const VEG_ENTITIES: &[Entity] = &[
    ent("gripper", K::Gripper, G),
    ent("table", K::Object, B(0)),
    ent("broccoli", K::Object, B(1)),
    ent("carrot", K::Object, B(2)),
    ent("green_bowl", K::Object, B(3)),
    ent("orange_bowl", K::Object, B(4)),
];
const TRASH_ENTITIES: &[Entity] = &[ent("gripper", K::Gripper, G), ent("can", K::Object, B(1)), ent("bin", K::Object, B(2))];
const TOOLBOX_ENTITIES: &[Entity] = &[
    ent("gripper", K::Gripper, G),
    ent("lid", K::Hinged, B(1)),
    ent("cable", K::Object, B(2)),
    ent("toolbox", K::Object, B(3)),
];
const DRAWER_ENTITIES: &[Entity] = &[
    ent("gripper", K::Gripper, G),
    ent("cube", K::Object, B(1)),
    ent("lower_drawer", K::Drawer, B(2)),
    ent("upper_drawer", K::Drawer, B(3)),
    ent("cabinet", K::Object, B(4)),
];

// Body indices shared by the task code and the policy.
pub const SORT_BROCCOLI: usize = 1;
pub const SORT_CARROT: usize = 2;
pub const SORT_GREEN_BOWL: usize = 3;
pub const SORT_ORANGE_BOWL: usize = 4;
pub const TRASH_CAN: usize = 1;
pub const TRASH_BIN: usize = 2;
pub const TOOLBOX_LID: usize = 1;
pub const TOOLBOX_CABLE: usize = 2;
pub const TOOLBOX_BOX: usize = 3;
pub const DRAWER_CUBE: usize = 1;
pub const DRAWER_LOWER: usize = 2;
pub const DRAWER_UPPER: usize = 3;
pub const DRAWER_CABINET: usize = 4;

impl Task {
    pub const ALL: [Task; 4] = [Task::SortVegetables, Task::PickTrash, Task::OrganizeToolbox, Task::Drawer];

    /// The rwd scene this task provides.
    pub fn scene_name(self) -> &'static str {
        match self {
            Task::SortVegetables => "vegetable_table",
            Task::PickTrash => "trash_table",
            Task::OrganizeToolbox => "toolbox_bench",
            Task::Drawer => "drawer_cabinet",
        }
    }

    /// The scene's entities, in the example's declaration order.
    pub fn entities(self) -> &'static [Entity] {
        match self {
            Task::SortVegetables => VEG_ENTITIES,
            Task::PickTrash => TRASH_ENTITIES,
            Task::OrganizeToolbox => TOOLBOX_ENTITIES,
            Task::Drawer => DRAWER_ENTITIES,
        }
    }

    /// Body names by index (index 0 is always the table, which is an
    /// entity only in `vegetable_table`).
    pub fn body_names(self) -> &'static [&'static str] {
        match self {
            Task::SortVegetables => &["table", "broccoli", "carrot", "green_bowl", "orange_bowl"],
            Task::PickTrash => &["table", "can", "bin"],
            Task::OrganizeToolbox => &["table", "lid", "cable", "toolbox"],
            Task::Drawer => &["table", "cube", "lower_drawer", "upper_drawer", "cabinet"],
        }
    }

    /// Episode length in steps (0.1 s each).
    pub fn horizon(self) -> u32 {
        match self {
            Task::SortVegetables => 200,
            Task::PickTrash => 150,
            Task::OrganizeToolbox => 200,
            Task::Drawer => 200,
        }
    }

    pub fn index(self) -> usize {
        match self {
            Task::SortVegetables => 0,
            Task::PickTrash => 1,
            Task::OrganizeToolbox => 2,
            Task::Drawer => 3,
        }
    }

    pub fn from_scene(scene: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.scene_name() == scene)
    }
}

/// The robot's start: base at the origin facing the table (+x), torso half
/// up, gripper open above the near table edge.
pub fn home_robot() -> Robot {
    Robot {
        base: [0.0, 0.0, 0.0],
        torso: 0.2,
        tcp: [0.45, 0.0, 1.05],
        yaw: 0.0,
        pitch: 0.0,
        opening: 1.0,
        vel: [0.0; 3],
        held: None,
        held_offset: [0.0; 3],
        held_rot: IDENTITY,
    }
}

/// The table-top slab: x 0.35 .. 1.25, y -0.7 .. 0.7, top at 0.75 m.
pub fn table() -> Body {
    Body::new(Role::Table, [0.8, 0.0, TABLE_TOP - 0.025], IDENTITY, [0.45, 0.7, 0.025], 30.0)
}

/// A free body standing on the table with its bottom on the top.
fn on_table(x: f64, y: f64, yaw: f64, half: Vec3, mass: f64) -> Body {
    Body::new(Role::Movable, [x, y, TABLE_TOP + half[2]], quat_yaw(yaw), half, mass)
}

/// An open container on the table; `half` is its inside, `floor` the
/// thickness of its bottom.
fn container(x: f64, y: f64, half: Vec3, floor: f64, wall: f64, mass: f64) -> Body {
    Body::new(Role::Container { wall }, [x, y, TABLE_TOP + floor + half[2]], IDENTITY, half, mass)
}

/// Lay out a fresh episode of `task` from `seed`.
pub fn initial_state(task: Task, variant: Variant, seed: u64) -> EnvState {
    let mut rng = Rng::new(seed ^ 0x5EED_5EED_0000_0000);
    let mut bodies = Vec::with_capacity(crate::world::MAX_BODIES);
    bodies.push(table());
    let substituted = variant == Variant::SubstitutedObjects;
    match task {
        Task::SortVegetables => {
            let (broc_half, broc_mass) = if substituted { ([0.055, 0.055, 0.05], 0.45) } else { ([0.04, 0.04, 0.045], 0.25) };
            let (carrot_half, carrot_mass) = if substituted { ([0.11, 0.025, 0.025], 0.15) } else { ([0.09, 0.02, 0.02], 0.08) };
            bodies.push(on_table(rng.range(0.5, 0.6), rng.range(0.02, 0.12), rng.range(-0.5, 0.5), broc_half, broc_mass));
            bodies.push(on_table(rng.range(0.5, 0.6), rng.range(-0.16, -0.08), rng.range(-0.4, 0.4), carrot_half, carrot_mass));
            let bowl = [0.08, 0.08, 0.035];
            bodies.push(container(rng.range(0.83, 0.88), rng.range(-0.24, -0.18), bowl, 0.005, 0.01, 0.3));
            bodies.push(container(rng.range(0.83, 0.88), rng.range(0.18, 0.24), bowl, 0.005, 0.01, 0.3));
        }
        Task::PickTrash => {
            let (can_half, can_mass) = match variant {
                Variant::TallCan => ([0.033, 0.033, 0.09], 0.025),
                Variant::SubstitutedObjects => ([0.027, 0.027, 0.068], 0.02),
                _ => ([0.033, 0.033, 0.06], 0.015),
            };
            bodies.push(on_table(rng.range(0.5, 0.6), rng.range(-0.18, -0.02), rng.range(-std::f64::consts::PI, std::f64::consts::PI), can_half, can_mass));
            bodies.push(container(rng.range(0.83, 0.88), rng.range(0.18, 0.26), [0.12, 0.12, 0.10], 0.01, 0.01, 1.0));
        }
        Task::OrganizeToolbox => {
            let (cx, cy) = (rng.range(0.84, 0.88), rng.range(0.1, 0.18));
            let toolbox = container(cx, cy, [0.10, 0.16, 0.06], 0.01, 0.01, 2.0);
            let rim = toolbox.pos[2] + toolbox.half[2];
            // Hinge along world y on the far (+x) top edge; at joint 0 the
            // lid's y axis points from the hinge to the front edge (-x).
            let lid_half = [0.16, 0.11, 0.01];
            let rot_closed = quat_yaw(std::f64::consts::FRAC_PI_2);
            let mut lid = Body::new(
                Role::Lid { hinge: [cx + 0.11, cy, rim], hinge_axis: [0.0, 1.0, 0.0], rot_closed, max: 100f64.to_radians() },
                [0.0; 3],
                rot_closed,
                lid_half,
                0.4,
            );
            lid.joint = 100f64.to_radians();
            crate::physics::place_lid(&mut lid);
            debug_assert!(lid.joint > LID_HOLD_MAX);
            let (cable_half, cable_mass) = match variant {
                Variant::TapeRoll => ([0.05, 0.05, 0.025], 0.12),
                Variant::SubstitutedObjects => ([0.065, 0.045, 0.025], 0.3),
                _ => ([0.05, 0.05, 0.015], 0.15),
            };
            bodies.push(lid);
            bodies.push(on_table(rng.range(0.5, 0.6), rng.range(-0.2, -0.08), rng.range(-0.5, 0.5), cable_half, cable_mass));
            bodies.push(toolbox);
        }
        Task::Drawer => {
            let (cube_half, cube_mass) = if substituted { ([0.032, 0.032, 0.032], 0.25) } else { ([0.025, 0.025, 0.025], 0.1) };
            bodies.push(on_table(rng.range(0.5, 0.58), rng.range(-0.4, -0.32), rng.range(-0.3, 0.3), cube_half, cube_mass));
            let cab_yaw = rng.range(-0.06, 0.06);
            let cab_rot = quat_yaw(cab_yaw);
            let cab_half = [0.16, 0.21, 0.16];
            let cab_pos = [rng.range(0.95, 0.99), rng.range(-0.08, 0.0), TABLE_TOP + cab_half[2]];
            // Trays: x axis = pull direction (out of the cabinet front, -x of
            // the cabinet); closed, the tray front is flush with the cabinet front.
            let tray_half = [0.14, 0.18, 0.05];
            let tray_rot = quat_mul(cab_rot, quat_yaw(std::f64::consts::PI));
            let axis = geom::rotate(cab_rot, [-1.0, 0.0, 0.0]);
            for z_off in [-0.09, 0.06] {
                let closed = geom::add(cab_pos, geom::rotate(cab_rot, [-cab_half[0] + tray_half[0], 0.0, z_off]));
                bodies.push(Body::new(Role::Drawer { closed, axis, max: 0.24, wall: 0.01 }, closed, tray_rot, tray_half, 1.5));
            }
            bodies.push(Body::new(Role::Solid, cab_pos, cab_rot, cab_half, 20.0));
        }
    }
    let mut state = EnvState { task, variant, seed, step: 0, robot: home_robot(), bodies, success: false, done: false };
    state.success = success(&state);
    state
}

/// `contain(container, obj)`: the centre of body `obj` inside body `container`'s box.
pub fn contains(s: &EnvState, container: usize, obj: usize) -> bool {
    let (Some(c), Some(o)) = (s.bodies.get(container), s.bodies.get(obj)) else { return false };
    geom::in_box(c.pos, c.rot, c.half, 0.0, o.pos)
}

/// `is_holding(gripper, obj)`: grasp flag and TCP inside the box grown 1 cm.
pub fn is_holding(s: &EnvState, obj: usize) -> bool {
    let Some(b) = s.bodies.get(obj) else { return false };
    s.robot.grasp() && geom::in_box(b.pos, b.rot, b.half, 0.01, s.robot.tcp)
}

pub fn is_upright(s: &EnvState, obj: usize) -> bool {
    s.bodies.get(obj).is_some_and(|b| geom::tilt(b.rot) < 15f64.to_radians())
}

pub fn is_lying(s: &EnvState, obj: usize) -> bool {
    s.bodies.get(obj).is_some_and(|b| geom::tilt(b.rot) > 60f64.to_radians())
}

/// Hinged: closed below 5 deg, open above 20; Drawer: closed below 1 cm, open above 5.
pub fn is_closed(s: &EnvState, obj: usize) -> bool {
    let Some(b) = s.bodies.get(obj) else { return false };
    match b.role {
        Role::Lid { .. } => b.joint < 5f64.to_radians(),
        _ => b.joint < 0.01,
    }
}

pub fn is_open(s: &EnvState, obj: usize) -> bool {
    let Some(b) = s.bodies.get(obj) else { return false };
    match b.role {
        Role::Lid { .. } => b.joint > 20f64.to_radians(),
        _ => b.joint > 0.05,
    }
}

/// The task's success test, in the terms of the rwd builtins so that a
/// success here is a success for the example programs too.
pub fn success(s: &EnvState) -> bool {
    if !crate::physics::well_formed(s) {
        return false;
    }
    match s.task {
        Task::SortVegetables => {
            contains(s, SORT_GREEN_BOWL, SORT_BROCCOLI)
                && contains(s, SORT_ORANGE_BOWL, SORT_CARROT)
                && !is_holding(s, SORT_BROCCOLI)
                && !is_holding(s, SORT_CARROT)
        }
        Task::PickTrash => contains(s, TRASH_BIN, TRASH_CAN) && is_upright(s, TRASH_CAN) && !is_holding(s, TRASH_CAN),
        Task::OrganizeToolbox => {
            contains(s, TOOLBOX_BOX, TOOLBOX_CABLE)
                && is_closed(s, TOOLBOX_LID)
                && s.robot.held.is_none()
        }
        Task::Drawer => contains(s, DRAWER_LOWER, DRAWER_CUBE) && !is_holding(s, DRAWER_CUBE),
    }
}

/// The named failure of each task (the state the rwd example's `failure`
/// describes), judged on an end-of-episode state.
pub fn failure_mode(s: &EnvState) -> Option<&'static str> {
    if s.success {
        return None;
    }
    if !crate::physics::well_formed(s) {
        return Some("other");
    }
    let name = match s.task {
        Task::SortVegetables => {
            let b = &s.bodies[SORT_BROCCOLI];
            let g = &s.bodies[SORT_GREEN_BOWL];
            let on_table = (b.pos[2] - geom::aabb_half(b.rot, b.half)[2] - TABLE_TOP).abs() < 0.002;
            if on_table
                && !contains(s, SORT_GREEN_BOWL, SORT_BROCCOLI)
                && !is_holding(s, SORT_BROCCOLI)
                && geom::norm(geom::sub(b.pos, g.pos)) < 0.3
                && contains(s, SORT_ORANGE_BOWL, SORT_CARROT)
            {
                "misplaced_broccoli"
            } else {
                "other"
            }
        }
        Task::PickTrash => {
            if is_lying(s, TRASH_CAN) && !contains(s, TRASH_BIN, TRASH_CAN) && !is_holding(s, TRASH_CAN) {
                "fallen_can"
            } else {
                "other"
            }
        }
        Task::OrganizeToolbox => {
            if contains(s, TOOLBOX_BOX, TOOLBOX_CABLE) && is_open(s, TOOLBOX_LID) {
                "unclosed_lid"
            } else {
                "other"
            }
        }
        Task::Drawer => {
            let cube_size_x = 2.0 * s.bodies[DRAWER_CUBE].half[0];
            if s.bodies[DRAWER_LOWER].joint - cube_size_x <= 0.06 && !contains(s, DRAWER_LOWER, DRAWER_CUBE) {
                "drawer_not_open_enough"
            } else {
                "other"
            }
        }
    };
    Some(name)
}
