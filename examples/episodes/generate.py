#!/usr/bin/env python3
"""Generates the recorded episodes in examples/episodes/ (standard library only).

Every episode is a list of named states, e.g. state["gripper.pos"] = [x, y, z]
or state["plan"] = [[x, y, z], ...]. The observation layout of each program
is read from the compiler (`rwd compile FILE --emit layout --program NAME`,
run through `cargo run -q`, honouring CARGO_TARGET_DIR), so no offset is
written here: a state is flattened field by field in the order the compiler
asks for, and a field the program reads but the state lacks is an error.

Conventions: SI units (m, rad, s, m/s), quaternions (w, x, y, z), one step =
0.1 s, z up. The ReCoVLA scenes stand on a 75 cm table in front of a
Fetch-like robot at the origin looking along +x; pick_cube keeps ManiSkill's
frame (table top at z = 0).

The reward episodes are scripted kinematic recoveries: the gripper moves
between waypoints with a smooth (ease-in, ease-out) profile, a grasped object
moves rigidly with it, a released object falls under gravity. Velocities are
backward differences of the recorded positions.

usage: python3 examples/episodes/generate.py [--verify]
  --verify  also run every reward episode through `rwd eval` and check that
            every stage is visited and the episode ends in success.
"""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DT = 0.1
G = 9.81


# ---------------------------------------------------------------- the compiler


def rwd(*args):
    """Runs the compiler through cargo; returns stdout."""
    cmd = ["cargo", "run", "-q", "--", *args]
    out = subprocess.run(cmd, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"`{' '.join(cmd)}` failed:\n{out.stderr}{out.stdout}")
    return out.stdout


def layout(file, program):
    return json.loads(rwd("compile", file, "--emit", "layout", "--program", program))


def flat(value):
    if isinstance(value, bool):
        return [1.0 if value else 0.0]
    if isinstance(value, (int, float)):
        return [float(value)]
    return [x for v in value for x in flat(v)]


def observation(lay, state, where):
    row = [None] * lay["width"]
    for f in lay["fields"]:
        key = f"{f['entity']}.{f['field']}" if f["entity"] else f["field"]
        if key not in state:
            sys.exit(f"{where}: `{lay['program']}` reads `{key}` ({f['type']}) but the state has no such key")
        vals = flat(state[key])
        if len(vals) != f["width"]:
            sys.exit(f"{where}: `{key}` has {len(vals)} values, the layout says {f['width']}")
        row[f["offset"]: f["offset"] + f["width"]] = vals
    return [round(x, 6) + 0.0 for x in row]  # + 0.0: no "-0.0" in the files


# ------------------------------------------------------------------- geometry


def add(a, b):
    return [x + y for x, y in zip(a, b)]


def sub(a, b):
    return [x - y for x, y in zip(a, b)]


def scale(a, k):
    return [x * k for x in a]


def lerp(a, b, t):
    return [x + (y - x) * t for x, y in zip(a, b)]


def smooth(t):
    """Ease-in, ease-out: zero velocity at both ends of a segment."""
    return t * t * (3 - 2 * t)


def quat(axis, deg):
    """The rotation by `deg` degrees about `axis`, as (w, x, y, z)."""
    n = math.sqrt(sum(a * a for a in axis))
    h = math.radians(deg) / 2
    return [math.cos(h)] + [a / n * math.sin(h) for a in axis]


def qmul(p, q):
    pw, px, py, pz = p
    qw, qx, qy, qz = q
    return [
        pw * qw - px * qx - py * qy - pz * qz,
        pw * qx + px * qw + py * qz - pz * qy,
        pw * qy - px * qz + py * qw + pz * qx,
        pw * qz + px * qy - py * qx + pz * qw,
    ]


def rotate(q, v):
    w, x, y, z = q
    conj = [w, -x, -y, -z]
    return qmul(qmul(q, [0.0] + list(v)), conj)[1:]


IDENTITY = [1.0, 0.0, 0.0, 0.0]
TOP_DOWN = quat([1, 0, 0], 180)  # gripper z axis pointing down
TABLE_Z = 0.75


# ------------------------------------------------------------------- episodes


class Episode:
    """A scripted episode: entities with fields, a gripper that moves between
    waypoints, objects attached to it while grasped, and falling objects."""

    def __init__(self, **entities):
        self.e = {name: dict(fields) for name, fields in entities.items()}
        self.props = {}
        self.held = None  # (object name, offset from the TCP in world axes)
        self.falling = {}  # object name -> [vertical speed, rest height]
        self.frames = []
        self.marks = {}  # name -> index of a frame worth showing to a check
        self.prev = None

    def mark(self, name):
        """Names the last recorded frame."""
        self.marks[name] = len(self.frames) - 1

    def at(self, *names):
        return [self.frames[self.marks[n]] for n in names]

    def record(self):
        # Falling objects advance under gravity until they rest.
        for name, f in self.falling.items():
            obj = self.e[name]
            drop = (f[0] + G * DT / 2) * DT  # exact for constant acceleration
            f[0] += G * DT
            obj["pos"] = obj["pos"][:2] + [max(obj["pos"][2] - drop, f[1])]
        self.falling = {n: f for n, f in self.falling.items() if self.e[n]["pos"][2] > f[1]}
        if self.held:
            name, offset = self.held
            self.e[name]["pos"] = add(self.e["gripper"]["pos"], offset)
        state = {}
        for name, fields in self.e.items():
            if "pos" in fields:
                before = self.prev[f"{name}.pos"] if self.prev else fields["pos"]
                fields["vel"] = scale(sub(fields["pos"], before), 1 / DT)
            for k, v in fields.items():
                state[f"{name}.{k}"] = v if isinstance(v, (bool, int, float)) else list(v)
        state.update(self.props)
        self.frames.append(state)
        self.prev = state
        return state

    def move(self, target, steps, opening=None):
        """Moves the gripper to `target` in `steps` steps (and the fingers to `opening`)."""
        g = self.e["gripper"]
        start, o0 = g["pos"], g["opening"]
        o1 = o0 if opening is None else opening
        for i in range(1, steps + 1):
            s = smooth(i / steps)
            g["pos"] = lerp(start, target, s)
            g["opening"] = o0 + (o1 - o0) * s
            self.record()

    def wait(self, steps):
        for _ in range(steps):
            self.record()

    def grasp(self, obj, steps=3, to=0.35):
        """Closes the fingers on `obj`: contact (grasp = 1) on the last step."""
        g = self.e["gripper"]
        o0 = g["opening"]
        for i in range(1, steps + 1):
            g["opening"] = o0 + (to - o0) * i / steps
            if i == steps:
                g["grasp"] = True
                self.held = (obj, sub(self.e[obj]["pos"], g["pos"]))
            self.record()

    def release(self, rest_z=None, opening=0.6):
        """Opens the fingers (contact lost); the object falls to `rest_z`."""
        g = self.e["gripper"]
        g["grasp"], g["opening"] = False, opening
        if self.held and rest_z is not None:
            self.falling[self.held[0]] = [0.0, rest_z]
        self.held = None


def gripper(pos, opening=1.0):
    return {"pos": pos, "rot": TOP_DOWN, "opening": opening, "grasp": False}


def obj(pos, half, rot=IDENTITY):
    return {"pos": pos, "rot": rot, "half": half}


# ---------------------------------------------------- sort_vegetables.rwd


def sort_vegetables():
    """Misplaced broccoli: it lies on the table 19 cm from the green bowl."""
    bowl_half = [0.08, 0.08, 0.04]
    ep = Episode(
        gripper=gripper([0.45, 0.05, 1.05]),
        table=obj([0.8, 0.0, TABLE_Z - 0.025], [0.45, 0.7, 0.025]),
        green_bowl=obj([0.75, 0.15, TABLE_Z + 0.04], bowl_half),
        orange_bowl=obj([0.75, -0.20, TABLE_Z + 0.04], bowl_half),
        carrot=obj([0.75, -0.20, TABLE_Z + 0.02], [0.07, 0.015, 0.015], quat([0, 0, 1], 30)),
        broccoli=obj([0.72, 0.34, TABLE_Z + 0.04], [0.04, 0.04, 0.04], quat([0, 0, 1], 20)),
    )
    rest = TABLE_Z + 0.04  # broccoli centre resting on the table / bowl bottom
    ep.record()                                         # the failure state
    ep.mark("failure")
    ep.move([0.72, 0.34, 0.92], 8)                      # over the broccoli
    ep.move([0.72, 0.34, rest], 4)                      # down around it (reach done)
    ep.grasp("broccoli")                                # grasp done
    ep.move([0.72, 0.34, 0.95], 3)                      # lift (carry)
    ep.move([0.73, 0.29, 0.95], 2)                      # towards the bowl...
    ep.mark("carrying")
    ep.release(rest_z=rest, opening=0.5)                # ...it slips out: hold fails, back to reach
    ep.wait(3)
    ep.mark("dropped")
    ep.move([0.73, 0.29, 0.90], 2, opening=1.0)         # re-open and come down again
    ep.move([0.73, 0.29, rest], 3)
    ep.grasp("broccoli")
    ep.move([0.73, 0.29, 0.95], 3)                      # lift clear of the rim
    ep.move([0.75, 0.15, 0.95], 7)                      # over the green bowl (carry done)
    ep.move([0.75, 0.15, 0.90], 2)                      # lower to 3 cm over the rim
    ep.mark("over_bowl")
    ep.release(rest_z=rest, opening=0.6)                # let go (release)
    ep.move([0.75, 0.15, 1.02], 5, opening=1.0)         # retreat while it settles
    ep.wait(2)
    ep.mark("sorted")
    return ep


# ---------------------------------------------------------- pick_trash.rwd


def pick_trash():
    """Fallen soda can: lying on its side (axis along -y), 40 cm from the bin."""
    lying = quat([1, 0, 0], 90)
    can_half = [0.033, 0.033, 0.06]
    ep = Episode(
        gripper=gripper([0.45, 0.0, 1.05]),
        can=obj([0.70, -0.10, TABLE_Z + 0.033], can_half, lying),
        bin=obj([0.75, 0.30, TABLE_Z + 0.10], [0.12, 0.12, 0.10]),
    )
    rim = TABLE_Z + 0.20
    ep.record()                                         # the failure state
    ep.mark("failure")
    ep.move([0.70, -0.10, 0.90], 7)                     # over the can
    ep.move([0.70, -0.10, TABLE_Z + 0.033], 4)          # fingers around its middle (reach done)
    ep.grasp("can")                                     # grasp done
    ep.move([0.70, -0.10, rim + 0.12], 4)               # lift so it can turn freely
    for i in range(1, 9):                               # turn the wrist: the can stands up
        turn = quat([1, 0, 0], -90 * smooth(i / 8))
        ep.e["can"]["rot"] = qmul(turn, lying)
        ep.e["gripper"]["rot"] = qmul(turn, TOP_DOWN)
        ep.record()
        if i == 4:
            ep.mark("turning")
    ep.move([0.75, 0.30, rim + 0.12], 8)                # over the bin, bottom 6 cm above the rim
    ep.wait(1)
    ep.mark("over_bin")
    ep.release(rest_z=TABLE_Z + 0.06, opening=0.6)      # drop it in (drop)
    ep.move([0.75, 0.30, rim + 0.22], 5, opening=1.0)   # retreat upwards, away from the walls
    ep.wait(2)
    ep.mark("in_bin")
    return ep


# ---------------------------------------------------- organize_toolbox.rwd

HINGE = [0.95, 0.0, TABLE_Z + 0.20]  # the back top edge of the toolbox, along y
LID_HALF = [0.12, 0.20, 0.01]        # x along the hinge, y hinge -> front edge, z normal


def lid_rot(deg):
    # Closed: lid y axis = world -x (towards the robot); opening turns it up about its x axis.
    return qmul(quat([0, 0, 1], 90), quat([1, 0, 0], deg))


def lid_point(deg, local):
    """A point given in the hinge frame (y from the hinge to the front edge)."""
    return add(HINGE, rotate(lid_rot(deg), local))


def set_lid(ep, deg):
    ep.e["lid"]["joint"] = math.radians(deg)
    ep.e["lid"]["rot"] = lid_rot(deg)
    ep.e["lid"]["pos"] = lid_point(deg, [0, LID_HALF[1], LID_HALF[2]])


def handle(deg):
    # 1 cm in from the front edge, in the lid's mid-plane.
    return lid_point(deg, [0, 2 * LID_HALF[1] - 0.01, LID_HALF[2]])


def organize_toolbox():
    """Unclosed lid: the cable is inside, the lid stands open at 80 degrees."""
    ep = Episode(
        gripper=gripper([0.45, 0.0, 1.10]),
        toolbox=obj([0.75, 0.0, TABLE_Z + 0.10], [0.20, 0.12, 0.10]),
        cable=obj([0.75, 0.03, TABLE_Z + 0.05], [0.06, 0.06, 0.02]),
        lid={"half": LID_HALF},
    )
    ep.e["gripper"]["rot"] = quat([0, 1, 0], 90)  # fingers pointing along +x
    set_lid(ep, 80)
    ep.record()                                         # the failure state
    ep.mark("failure")
    ep.move(add(handle(80), [-0.10, 0, 0]), 8)          # in front of the lid's edge
    ep.move(handle(80), 3)                              # fingers around it (reach done)
    ep.grasp("lid")                                     # grasp done
    ep.held = None                                      # the lid turns on its hinge, not rigidly
    angle = 80.0
    for target in [70, 60, 52]:                         # pull it over (close)
        for i in range(1, 3):
            deg = angle + (target - angle) * smooth(i / 2)
            set_lid(ep, deg)
            ep.e["gripper"]["pos"] = handle(deg)
            ep.record()
        angle = target
    ep.mark("closing")
    # The edge slips out of the fingers; the stiff hinge keeps the lid at
    # 52 deg and the TCP ends up 4 cm off the edge: hold fails, back to grasp.
    ep.e["gripper"]["grasp"], ep.e["gripper"]["opening"] = False, 0.6
    ep.e["gripper"]["pos"] = add(handle(angle), [-0.04, 0, 0.01])
    ep.record()
    ep.mark("slipped")
    ep.move(add(handle(angle), [-0.04, 0, 0.01]), 1, opening=1.0)
    ep.move(handle(angle), 2)                           # back onto the edge
    ep.grasp("lid", steps=2)                            # grasp done (again)
    ep.held = None
    for i in range(1, 11):                              # swing it shut
        deg = angle * (1 - smooth(i / 10))
        set_lid(ep, deg)
        ep.e["gripper"]["pos"] = handle(deg)
        ep.record()
    ep.wait(4)                                          # hold it shut: closed for 5 steps
    ep.release(opening=0.8)
    ep.move(add(handle(0), [-0.08, 0, 0.10]), 4, opening=1.0)
    ep.wait(1)
    ep.mark("closed")
    return ep


# -------------------------------------------------------- drawer_check.rwd

CABINET = obj([1.10, 0.0, 0.45], [0.20, 0.25, 0.45])  # front face at x = 0.90
TRAY = [0.18, 0.22, 0.06]


def drawer(closed_center, joint):
    # Drawers slide out along -x, towards the robot.
    return {**obj(add(closed_center, [-joint, 0, 0]), TRAY), "joint": joint}


def drawer_states():
    """Four moments of the drawer task, each a different answer."""
    cube_half = [0.025, 0.025, 0.025]

    def state(lower_joint, upper_joint, grip, vel, grasp, cube_pos, plan):
        g = {**gripper(grip, 0.35 if grasp else 1.0), "grasp": grasp, "vel": vel}
        ents = {
            "gripper": g,
            "cube": obj(cube_pos, cube_half),
            "lower_drawer": drawer([1.10, 0.0, 0.40], lower_joint),
            "upper_drawer": drawer([1.10, 0.0, 0.65], upper_joint),
            "cabinet": CABINET,
        }
        s = {f"{n}.{k}": v for n, f in ents.items() for k, v in f.items()}
        s["plan"] = plan
        return s

    def line(a, b, n=8):
        return [lerp(a, b, (i + 1) / n) for i in range(n)]

    return [
        # 1. The drawer is shut (1 cm): not open, no room for the cube, and
        #    the planned descent runs into the cabinet front.
        state(0.01, 0.0, [0.80, 0.0, 0.75], [0, 0, 0], True, [0.80, 0.0, 0.75],
              line([0.80, 0.0, 0.75], [0.95, 0.0, 0.50])),
        # 2. Open 20 cm; the cube in hand, lowered slowly into the exposed tray.
        state(0.20, 0.0, [0.80, 0.0, 0.62], [0, 0, -0.05], True, [0.80, 0.0, 0.62],
              line([0.80, 0.0, 0.62], [0.80, 0.0, 0.48])),
        # 3. The upper drawer sticks out 12 cm and the gripper swings in fast
        #    at its height: the next second's motion would hit it.
        state(0.20, 0.12, [0.70, 0.0, 0.66], [0.30, 0, 0], True, [0.70, 0.0, 0.66],
              line([0.70, 0.0, 0.66], [0.80, 0.0, 0.48])),
        # 4. Done: the cube sits in the tray, the gripper let go and rises.
        state(0.20, 0.0, [0.80, 0.0, 0.56], [0, 0, 0.10], False, [0.80, 0.0, 0.365],
              line([0.80, 0.0, 0.56], [0.60, 0.0, 0.90])),
    ]


# -------------------------------------------------------------- pick_cube.rwd


def pick_cube():
    """ManiSkill PickCube: reach, grasp, lift to the goal, stop."""
    ep = Episode(
        gripper=gripper([0.0, 0.0, 0.20]),
        cube=obj([0.05, -0.03, 0.02], [0.02, 0.02, 0.02], quat([0, 0, 1], 15)),
        goal={"pos": [0.0, 0.06, 0.25]},
    )
    ep.props = {"arm_speed": 0.0, "arm_speed_max": 0.0}

    def speeds():
        # |qvel| over the 7 arm joints, roughly 2.5 rad per metre of TCP
        # motion; the largest single joint takes 70 % of it.
        v = math.sqrt(sum(x * x for x in ep.e["gripper"]["vel"]))
        return {"arm_speed": 2.5 * v, "arm_speed_max": 1.75 * v}

    real_record = ep.record

    def record():
        s = real_record()
        s.update(speeds())
        return s

    ep.record = record
    ep.record()
    ep.move([0.05, -0.03, 0.08], 8)                     # over the cube
    ep.move([0.05, -0.03, 0.02], 5)                     # fingers around it
    ep.grasp("cube")                                    # grasped: the place term starts
    ep.move([0.05, -0.03, 0.10], 5)                     # lift straight up
    ep.move([0.0, 0.06, 0.25], 12)                      # to the goal, slowing down
    ep.wait(6)                                          # stop: arm_speed 0
    return ep.frames


# ------------------------------------------------------------------ the table

# (file, program, states): every reward, check and failure of the examples.
def episodes():
    veg, trash, box, drawers = sort_vegetables(), pick_trash(), organize_toolbox(), drawer_states()
    # A state the trash episode never shows: the gripper diving at the bin.
    diving = dict(trash.frames[trash.marks["in_bin"]])
    diving["gripper.pos"] = [0.75, 0.30, 1.05]
    diving["gripper.vel"] = [0.0, 0.0, -0.40]
    return [
        ("examples/pick_cube.rwd", "pick_cube", pick_cube()),
        ("examples/sort_vegetables.rwd", "sort_broccoli", veg.frames),
        ("examples/sort_vegetables.rwd", "sorting_state", veg.at("failure", "carrying", "dropped", "over_bowl", "sorted")),
        ("examples/sort_vegetables.rwd", "misplaced_broccoli", veg.at("failure", "carrying", "dropped", "sorted")),
        ("examples/pick_trash.rwd", "recover_can", trash.frames),
        ("examples/pick_trash.rwd", "trash_state", trash.at("failure", "turning", "over_bin", "in_bin") + [diving]),
        ("examples/pick_trash.rwd", "fallen_can", trash.at("failure", "turning", "in_bin")),
        ("examples/organize_toolbox.rwd", "close_lid", box.frames),
        ("examples/organize_toolbox.rwd", "toolbox_state", box.at("failure", "closing", "slipped", "closed")),
        ("examples/organize_toolbox.rwd", "unclosed_lid", box.at("failure", "slipped", "closed")),
        ("examples/drawer_check.rwd", "drawer_state", drawers),
        ("examples/drawer_check.rwd", "drawer_not_open_enough", drawers),
    ]


def verify(file, program):
    """A reward episode must visit every stage and end in success."""
    if layout(file, program)["kind"] != "reward":
        return
    stages = re.findall(r"^\s+stage \d+ (\w+):", rwd("compile", file, "--emit", "ir", "--program", program), re.M)
    out = rwd("eval", file, "--obs", f"examples/episodes/{program}.jsonl", "--reward", program)
    steps = [json.loads(line) for line in out.splitlines()]
    path = []
    for s in steps:
        if not path or path[-1] != s["stage_name"]:
            path.append(s["stage_name"])
    missed = [name for name in stages if name not in path]
    regressions = sum(s["regressed"] for s in steps)
    ok = steps[-1]["success"] and all(s["valid"] for s in steps) and not missed
    shown = " > ".join(path) if stages else "(terms only, no stages)"
    print(f"  {program}: {shown}; {regressions} regression(s); success at step "
          f"{next((s['step'] for s in steps if s['success']), None)}; {'ok' if ok else 'FAILED'}")
    if missed:
        print(f"    stages never visited: {', '.join(missed)}")
    return ok


def main():
    table = episodes()
    for file, program, states in table:
        lay = layout(file, program)
        out = HERE / f"{program}.jsonl"
        rows = [observation(lay, s, f"{program} step {i}") for i, s in enumerate(states)]
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{out.relative_to(ROOT)}: {len(rows)} steps of {lay['width']} values")
    if "--verify" in sys.argv[1:]:
        results = [verify(file, program) for file, program, _ in table]
        if False in results:
            sys.exit("some reward episode does not do what it should")


if __name__ == "__main__":
    main()
