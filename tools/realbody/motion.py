"""Human motion for each kind of clip, and its truth measured on the motion by the definitions in
docs/definitions.md.

A script is a set of tracks (one per `body.State` field) built move by move with easing, uneven
durations, pauses, breathing and fidgets, sampled at 100 Hz; frames read it by interpolation and
the truth is measured on the same samples."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

DT = 0.01  # seconds between script samples
TAU = 2 * np.pi

VARS = ("legs", "knee_gap", "cx", "cz", "lift", "twist", "roll", "sit", "lsh", "rsh",
        "arm_side", "arm_t", "arm_knees", "arm_belly", "arm_support", "head_yaw", "head_pitch",
        "foot_l", "foot_r", "hand_lx", "hand_ly", "hand_rx", "hand_ry")


def ease(kind, x):
    x = np.clip(x, 0.0, 1.0)
    if kind == "lin":
        return x
    if kind == "in":  # slow start: a gentle start
        return x * x
    if kind == "out":
        return 1 - (1 - x) ** 2
    if kind == "sine":
        return 0.5 - 0.5 * np.cos(np.pi * x)
    if kind == "jerk":  # minimum jerk
        return x**3 * (10 - 15 * x + 6 * x * x)
    return x * x * (3 - 2 * x)  # smoothstep


class Script:
    def __init__(self, rng):
        self.rng = rng
        self.t = 0.0
        self.cur = {v: 0.0 for v in VARS}
        self.cur["arm_side"] = 1.0
        self.segs = defaultdict(list)
        self.custom = []
        self.phases = []
        self.short = False  # the short end-to-end clips: brief settling and rest

    def set(self, **vals):
        for k, v in vals.items():
            self.cur[k] = v
            self.segs[k].append((self.t, self.t, v, v, "lin"))

    def move(self, dur, kind=None, **targets):
        kind = kind or self.rng.choice(["smooth", "sine", "jerk", "smooth"])
        for k, v in targets.items():
            self.segs[k].append((self.t, self.t + dur, self.cur[k], v, kind))
            self.cur[k] = v
        self.t += dur

    def wait(self, dur):
        self.t += dur

    def phase(self, name, t0, t1=None):
        self.phases.append((name, t0, self.t if t1 is None else t1))

    def sample(self, end):
        ts = np.arange(0.0, end + DT / 2, DT)
        out = {}
        for v in VARS:
            arr = np.zeros_like(ts)
            val = 0.0 if v != "arm_side" else 1.0
            arr[:] = val
            for t0, t1, v0, v1, kind in sorted(self.segs[v], key=lambda s: s[0]):
                if t1 <= t0:
                    arr[ts >= t0] = v1
                else:
                    m = ts >= t0
                    arr[m] = v0 + (v1 - v0) * ease(kind, (ts[m] - t0) / (t1 - t0))
            out[v] = arr
        for fn in self.custom:
            fn(ts, out)
        return ts, out


def smooth_noise(rng, ts, period, amp):
    """A sum of a few slow sines: natural drift."""
    out = np.zeros_like(ts)
    for k in range(3):
        p = period * rng.uniform(0.6, 1.6)
        out += np.sin(TAU * ts / p + rng.uniform(0, TAU)) * rng.uniform(0.4, 1.0)
    return out * amp / 2


def bumps(rng, ts, windows, amp):
    """Smooth bumps (0 -> amp -> 0) over each (t0, t1) window: a fidget."""
    out = np.zeros_like(ts)
    for t0, t1 in windows:
        x = np.clip((ts - t0) / max(t1 - t0, 1e-3), 0, 1)
        out += np.sin(np.pi * x) ** 2 * amp * rng.uniform(0.5, 1.0) * rng.choice([-1, 1])
    return out


def add_life(sc, ts, tr, quiet, rng):
    """Breathing, drift and fidgets; `quiet`: (t0, t1) windows where counts happen, kept free of
    fidgets that move the knees, hips or shoulders."""
    breath_period = rng.uniform(3.5, 6.0)
    tr["breath"] = 0.5 + 0.5 * np.sin(TAU * ts / breath_period + smooth_noise(rng, ts, 20, 0.6))
    tr["head_yaw"] += smooth_noise(rng, ts, 9.0, 0.06)
    tr["head_pitch"] += smooth_noise(rng, ts, 11.0, 0.04)
    tr["knee_gap"] += smooth_noise(rng, ts, 6.0, 0.012)
    free = np.ones_like(ts, bool)
    for t0, t1 in quiet:
        free &= ~((ts > t0 - 0.3) & (ts < t1 + 0.3))
    # Fidgets in free time: a hand moves (scratch, adjust clothes), the head turns, a foot slides.
    t = 1.0
    events = []
    while t < ts[-1] - 2.0:
        t += rng.uniform(2.5, 7.0)
        d = rng.uniform(0.8, 2.0)
        i0, i1 = np.searchsorted(ts, [t, t + d])
        if i1 < len(ts) and free[i0:i1].all():
            events.append((t, t + d, rng.choice(["hand_l", "hand_r", "head", "foot"])))
    for t0, t1, what in events:
        w = [(t0, t1)]
        if what == "head":
            tr["head_yaw"] += bumps(rng, ts, w, 0.35)
        elif what == "foot":
            tr["foot_l" if rng.uniform() < 0.5 else "foot_r"] += bumps(rng, ts, w, 0.04)
        else:
            side = what[-1]
            tr[f"hand_{side}x"] += bumps(rng, ts, w, 0.15)
            tr[f"hand_{side}y"] += np.abs(bumps(rng, ts, w, 0.12))
    return [{"what": str(w), "t_start": round(float(a), 2), "t_end": round(float(b), 2)} for a, b, w in events]


# --- the kinds of clip -------------------------------------------------------------------------


def lie_down_start(sc, rng, bent_first=None):
    """Lying still, then knees bent: returns when the knees are bent."""
    straight = rng.uniform() < 0.5 if bent_first is None else not bent_first
    sc.set(legs=0.0 if straight else 1.0)
    sc.wait(rng.uniform(0.5, 0.8) if sc.short else rng.uniform(0.8, 1.5))
    sc.phase("settling", 0.0)
    if straight:
        t0 = sc.t
        sc.move(rng.uniform(1.3, 2.4), legs=1.0)
        sc.phase("getting_into", t0)
        sc.wait(rng.uniform(0.3, 1.0))


def lie_down_end(sc, rng):
    t0 = sc.t
    if rng.uniform() < 0.3 and not sc.short:
        sc.move(rng.uniform(1.5, 2.5), legs=0.0, arm_side=1.0, arm_t=0.0, arm_knees=0.0,
                arm_belly=0.0)
        sc.phase("getting_out", t0)
    t0 = sc.t
    sc.wait(rng.uniform(0.5, 0.8) if sc.short else rng.uniform(0.8, 1.5))
    sc.phase("resting", t0)


def circles(sc, rng, spec, sets=None, periods=(2.6, 3.6)):
    lie_down_start(sc, rng, bent_first=True if sets else None)
    t0 = sc.t
    sc.move(rng.uniform(1.3, 2.2), legs=2.0, arm_side=0.0, arm_knees=1.0, knee_gap=rng.uniform(-0.02, 0.04))
    sc.wait(rng.uniform(0.4, 1.0))
    sc.phase("getting_into", t0)
    first_cw = bool(rng.uniform() < 0.5)
    sets = sets or [(first_cw, int(rng.integers(1, 4))), (not first_cw, int(rng.integers(1, 4)))]
    spec["circles"] = []
    t_pose = sc.t
    for k, (cw, n) in enumerate(sets):
        period = rng.uniform(*periods)
        radius = rng.uniform(0.07, 0.14)
        ratio = rng.uniform(0.65, 1.0)
        tilt = rng.uniform(0, np.pi)
        lead = rng.uniform(0.8, 1.4)
        ts_local = np.arange(0.0, n * period * 2.0, DT)
        # Uneven speed: a slow start, wobbling speed, a slow end.
        speed = 1 + 0.22 * np.sin(TAU * ts_local / (period * rng.uniform(0.7, 1.3)) + rng.uniform(0, TAU))
        ramp = np.clip(0.35 + 0.65 * ts_local / rng.uniform(0.6, 1.5), 0, 1)
        phi = np.cumsum(TAU / period * speed * ramp) * DT
        end = np.searchsorted(phi, n * TAU)
        phi = np.minimum(phi[: end + 1], n * TAU)
        dur = len(phi) * DT
        start = sc.t + lead
        spec["circles"].append(dict(clockwise=cw, turns=n, start=start, phi=phi, radius=radius, lead=lead,
                                    ratio=ratio, tilt=tilt, period=period))
        sc.t = start + dur
        back = rng.uniform(0.8, 1.4)
        spec["circles"][-1]["back"] = back
        sc.t += back
        if k == 0:
            sc.wait(rng.uniform(0.8, 1.6))
    sc.phase("in_pose", t_pose)
    sc.wait(rng.uniform(0.3, 1.0))
    t0 = sc.t
    sc.move(rng.uniform(1.3, 2.2), legs=1.0, arm_knees=0.0, arm_side=1.0, knee_gap=0.0)
    sc.phase("getting_out", t0)
    lie_down_end(sc, rng)
    drift = rng.uniform(-0.015, 0.015, 2)

    def knees(ts, tr):
        for c in spec["circles"]:
            s = c["start"]
            phi = c["phi"]
            n = len(phi)
            sign = 1.0 if c["clockwise"] else -1.0
            lead_t = c["lead"]
            i0 = np.searchsorted(ts, s - lead_t)
            i1 = np.searchsorted(ts, s)
            # Out from the middle to the start point (towards the head), round, and back.
            r_out = ease("smooth", (ts[i0:i1] - (s - lead_t)) / lead_t)
            seg_phi = np.concatenate([np.zeros(i1 - i0), phi, np.full(max(int(c["back"] / DT), 1), phi[-1])])
            seg_r = np.concatenate([r_out, np.ones(n),
                                    1 - ease("smooth", np.linspace(0, 1, max(int(c["back"] / DT), 1)))])
            j1 = min(i0 + len(seg_phi), len(ts))
            seg_phi, seg_r = seg_phi[: j1 - i0], seg_r[: j1 - i0]
            wob = 1 + 0.1 * np.sin(seg_phi * 2 + c["tilt"])
            a, b = c["radius"] * wob, c["radius"] * c["ratio"] * wob
            # Clockwise as the person sees it: head side, then their right, feet, left.
            u = -np.cos(seg_phi) * a
            v = sign * np.sin(seg_phi) * b
            ct = np.cos(c["tilt"]) * 0.3  # the ellipse's turn: mostly along the body
            tr["cx"][i0:j1] += (u * np.cos(ct) - v * np.sin(ct)) * seg_r + drift[0] * seg_r
            tr["cz"][i0:j1] += (u * np.sin(ct) + v * np.cos(ct)) * seg_r + drift[1] * seg_r

    sc.custom.append(knees)


def bridge(sc, rng, spec, rounds=None):
    lie_down_start(sc, rng, bent_first=True if rounds else None)
    t0 = sc.t
    sc.move(rng.uniform(0.8, 1.3), arm_side=1.0, knee_gap=rng.uniform(0.0, 0.05))
    sc.wait(rng.uniform(0.4, 1.0))
    sc.phase("getting_into", t0)
    t_pose = sc.t
    rounds = rounds or int(rng.integers(1, 4))
    height = rng.uniform(0.17, 0.3)
    spec["rounds"] = []
    for k in range(rounds):
        h = height * rng.uniform(0.9, 1.1)
        up = rng.uniform(1.0, 2.0)
        sc.move(up, rng.choice(["smooth", "out", "sine", "jerk"]), lift=h)
        hold = rng.uniform(1.5, 3.5)
        t_hold = sc.t
        sc.wait(hold)
        spec["rounds"].append((t_hold, sc.t, h))
        gentle = rng.uniform() < 0.6
        sc.move(rng.uniform(1.3, 2.5), "in" if gentle else rng.choice(["smooth", "sine"]), lift=0.0)
        sc.wait(rng.uniform(1.0, 2.0))
    sc.phase("in_pose", t_pose)
    lie_down_end(sc, rng)

    def sway(ts, tr):
        # Breathing at the top moves the hips a little, within 2% of the lift.
        for t0, t1, h in spec["rounds"]:
            m = (ts > t0) & (ts < t1)
            x = (ts[m] - t0) / (t1 - t0)
            tr["lift"][m] += h * 0.018 * np.sin(TAU * (ts[m] - t0) / rng.uniform(3.0, 5.0)) * np.sin(np.pi * x)

    sc.custom.append(sway)


def twist(sc, rng, spec, shoulder_lift):
    lie_down_start(sc, rng)
    t0 = sc.t
    arms_t = rng.uniform() < 0.75
    sc.move(rng.uniform(1.0, 1.8), arm_side=0.0 if arms_t else 1.0, arm_t=1.0 if arms_t else 0.0,
            knee_gap=rng.uniform(-0.03, 0.0))
    sc.wait(rng.uniform(0.4, 1.0))
    sc.phase("getting_into", t0)
    t_pose = sc.t
    first_right = bool(rng.uniform() < 0.5)
    spec["holds"] = []
    for k, right in enumerate((first_right, not first_right)):
        ang = np.radians(rng.uniform(50, 80)) * (1 if right else -1)
        sc.move(rng.uniform(1.3, 2.2), rng.choice(["smooth", "sine", "jerk", "out"]), twist=ang)
        hold = rng.uniform(2.5, 4.0)
        t_hold = sc.t
        sc.wait(hold)
        spec["holds"].append((t_hold, sc.t, ang))
        if shoulder_lift and k == 0:
            # The shoulder opposite the knees comes up during the hold.
            d = rng.uniform(1.0, min(2.2, hold - 0.8))
            s0 = t_hold + rng.uniform(0.3, hold - d - 0.3)
            h = rng.uniform(0.065, 0.11)
            key = "lsh" if right else "rsh"
            spec["lift"] = (key, s0, d, h)
        sc.move(rng.uniform(1.3, 2.2), rng.choice(["smooth", "sine", "in"]), twist=0.0)
        sc.wait(rng.uniform(0.8, 1.5))
    sc.phase("in_pose", t_pose)
    t0 = sc.t
    sc.move(rng.uniform(1.0, 1.8), arm_side=1.0, arm_t=0.0, knee_gap=0.0)
    sc.phase("getting_out", t0)
    lie_down_end(sc, rng)
    small = None if shoulder_lift else (("lsh", "rsh")[int(rng.integers(0, 2))], rng.uniform(0.01, 0.025))

    def drift_and_lift(ts, tr):
        for t0, t1, ang in spec["holds"]:
            m = (ts > t0) & (ts < t1)
            x = (ts[m] - t0) / (t1 - t0)
            tr["twist"][m] += np.radians(2.5) * np.sin(TAU * (ts[m] - t0) / rng.uniform(3, 6)) * np.sin(np.pi * x) * np.sign(ang)
        if "lift" in spec:
            key, s0, d, h = spec["lift"]
            ramp = 0.35
            x = np.clip(np.minimum((ts - s0) / ramp, (s0 + d - ts) / ramp), 0, 1)
            tr[key] += h * ease("smooth", x)
        if small:
            key, h = small
            t0, t1, _ = spec["holds"][0]
            x = np.clip(np.minimum((ts - t0) / 0.5, (t1 - ts) / 0.5), 0, 1)
            tr[key] += h * ease("smooth", x)

    sc.custom.append(drift_and_lift)


def still(sc, rng, spec, duration=None):
    bent = rng.uniform() < 0.7
    sc.set(legs=1.0 if bent else 0.0)
    if rng.uniform() < 0.4:
        sc.set(arm_side=0.3, arm_belly=0.7)
    sc.wait(duration or rng.uniform(6.0, 10.0))
    sc.phase("resting", 0.0)


def transitions(sc, rng, spec):
    sc.set(legs=0.0)
    sc.wait(rng.uniform(0.8, 1.5))
    sc.phase("settling", 0.0)
    steps = [1.0, 2.0, 1.0, 0.0] if rng.uniform() < 0.5 else [1.0, 2.0, 1.0, 2.0, 1.0, 0.0]
    for s in steps:
        t0 = sc.t
        arms = dict(arm_knees=1.0, arm_side=0.0) if s == 2.0 else dict(arm_knees=0.0, arm_side=1.0)
        sc.move(rng.uniform(1.2, 2.8), legs=s, **arms)
        sc.phase("getting_into" if s > 0 else "getting_out", t0)
        t0 = sc.t
        sc.wait(rng.uniform(0.4, 1.2))
        sc.phase("resting", t0)


def sit_up(sc, rng, spec):
    lie_down_start(sc, rng)
    t0 = sc.t
    sc.move(rng.uniform(2.0, 3.5), sit=rng.uniform(0.85, 1.0), arm_side=0.0, arm_knees=0.6, arm_support=0.4)
    sc.phase("sitting_up", t0)
    t0 = sc.t
    sc.wait(rng.uniform(1.5, 3.5))
    sc.phase("sitting", t0)
    if rng.uniform() < 0.6:
        t0 = sc.t
        sc.move(rng.uniform(2.0, 3.5), sit=0.0, arm_side=1.0, arm_knees=0.0, arm_support=0.0)
        sc.phase("lying_down", t0)
        t0 = sc.t
        sc.wait(rng.uniform(1.5, 2.5))
        sc.phase("resting", t0)


def roll(sc, rng, spec):
    lie_down_start(sc, rng, bent_first=rng.uniform() < 0.5)
    sides = [rng.choice([-1.0, 1.0])]
    if rng.uniform() < 0.5:
        sides.append(-sides[0])
    for s in sides:
        t0 = sc.t
        sc.move(rng.uniform(1.8, 3.0), roll=s * rng.uniform(1.1, 1.45), arm_side=0.5, arm_belly=0.5)
        sc.phase("rolling", t0)
        t0 = sc.t
        sc.wait(rng.uniform(1.5, 3.5))
        sc.phase("on_side", t0)
        t0 = sc.t
        sc.move(rng.uniform(1.8, 3.0), roll=0.0, arm_side=1.0, arm_belly=0.0)
        sc.phase("rolling", t0)
        t0 = sc.t
        sc.wait(rng.uniform(1.0, 2.0))
        sc.phase("resting", t0)


KINDS = {"circles_short": lambda sc, rng, spec: circles(sc, rng, spec, [(True, 1), (False, 1)], (3.0, 3.4)),
         "bridge_short": lambda sc, rng, spec: bridge(sc, rng, spec, 1),
         "still_short": lambda sc, rng, spec: still(sc, rng, spec, 4.0),
         "circles": circles, "bridge": bridge, "twist": twist, "twist_lift": twist, "still": still,
         "transitions": transitions, "sit_up": sit_up, "roll": roll}


def build(kind, rng):
    """The script of a clip of `kind`: (times, tracks, spec, phases, fidgets)."""
    sc = Script(rng)
    sc.short = kind.endswith("_short")
    spec = {}
    if kind.startswith("twist"):
        twist(sc, rng, spec, kind == "twist_lift")
    else:
        KINDS[kind](sc, rng, spec)
    ts, tr = sc.sample(sc.t)
    quiet = []
    if kind.startswith(("circles", "bridge", "twist")):
        quiet = [(a, b) for name, a, b in sc.phases if name == "in_pose"]
    fidgets = add_life(sc, ts, tr, quiet, rng)
    return ts, tr, spec, sc.phases, fidgets


# --- truth, by the definitions -----------------------------------------------------------------


def crossing(ts, x, level, start=0):
    """First time at or after index `start` where x reaches `level` (interpolated)."""
    idx = np.nonzero(x[start:] >= level)[0]
    if len(idx) == 0:
        return None
    i = idx[0] + start
    if i == 0 or x[i] == x[i - 1]:
        return float(ts[i])
    return float(ts[i - 1] + (ts[i] - ts[i - 1]) * (level - x[i - 1]) / (x[i] - x[i - 1]))


def region(ts, x, t_inside, level):
    """The stretch around time `t_inside` where x stays at or above `level`, its edges
    interpolated: (start, end)."""
    i = int(np.clip(np.searchsorted(ts, t_inside), 0, len(ts) - 1))
    a = i
    while a > 0 and x[a - 1] >= level:
        a -= 1
    b = i
    while b + 1 < len(ts) and x[b + 1] >= level:
        b += 1

    def edge(o, n):  # o outside, n inside
        if x[n] == x[o]:
            return float(ts[n])
        return float(ts[o] + (ts[n] - ts[o]) * (level - x[o]) / (x[n] - x[o]))

    t0 = edge(a - 1, a) if a > 0 else float(ts[a])
    t1 = edge(b + 1, b) if b + 1 < len(ts) else float(ts[b])
    return t0, t1


def truth(kind, ts, tr, spec, phases, fps, duration):
    r2 = lambda x: round(float(x), 2)
    events = []
    exp = {"circles_cw": 0, "circles_ccw": 0, "bridge_holds_s": [], "twist_holds": [],
           "shoulder_lifted": False, "person": True}
    if kind.startswith("circles"):
        for c in spec["circles"]:
            phi = c["phi"]
            for k in range(c["turns"]):
                a = c["start"] + np.searchsorted(phi, k * TAU) * DT
                b = c["start"] + np.searchsorted(phi, (k + 1) * TAU - 1e-9) * DT
                events.append({"event": "circle", "t_start": r2(a), "t_end": r2(b),
                               "clockwise": c["clockwise"]})
                exp["circles_cw" if c["clockwise"] else "circles_ccw"] += 1
    if kind.startswith("bridge"):
        lift = tr["lift"]
        for t_hold, t_leave, h in spec["rounds"]:
            mid = (t_hold + t_leave) / 2
            top = lift[(ts >= t_hold) & (ts <= t_leave)].max()
            t_top, t_leave_top = region(ts, lift, mid, 0.95 * top)
            t_lift, t_down = region(ts, lift, mid, 0.05 * top)
            hold = t_leave_top - t_top
            events.append({"event": "bridge_round", "t_lift": r2(t_lift), "t_top": r2(t_top),
                           "t_leave_top": r2(t_leave_top), "t_down": r2(t_down), "hold_s": r2(hold),
                           "top_lift_m": round(float(top), 3)})
            exp["bridge_holds_s"].append(r2(hold))
    if kind.startswith("twist"):
        tw = tr["twist"]
        for t_hold, t_leave, ang in spec["holds"]:
            sgn = np.sign(ang)
            x = tw * sgn
            lowest = x[(ts >= t_hold) & (ts <= t_leave)].max()
            t0, t1 = region(ts, x, (t_hold + t_leave) / 2, lowest - np.radians(10))
            side = "right" if sgn > 0 else "left"
            events.append({"event": "twist_hold", "side": side, "t_start": r2(t0), "t_end": r2(t1),
                           "hold_s": r2(t1 - t0), "angle_deg": round(float(np.degrees(lowest)), 1)})
            exp["twist_holds"].append([side, r2(t1 - t0)])
    # Lifted shoulders: off the floor by 5 cm or more for at least 0.5 s.
    for key, side in (("lsh", "left"), ("rsh", "right")):
        up = tr[key] >= 0.05
        edges = np.diff(np.concatenate([[0], up.astype(int), [0]]))
        for a, b in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
            if ts[b - 1] - ts[a] >= 0.5:
                events.append({"event": "shoulder_lift", "side": side, "t_start": r2(ts[a]),
                               "t_end": r2(ts[b - 1])})
                exp["shoulder_lifted"] = True
    events.sort(key=lambda e: e.get("t_start", e.get("t_lift", 0.0)))
    frames = int(round(duration * fps))
    ph = [{"phase": n, "t_start": r2(a), "t_end": r2(b),
           "frames": [int(np.ceil(a * fps - 1e-9)), min(int(np.ceil(b * fps - 1e-9)), frames)]}
          for n, a, b in sorted(phases, key=lambda p: p[1]) if b > a]
    return exp, events, ph
