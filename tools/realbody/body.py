"""Bodies: Anny (NAVER LABS, Apache-2.0, on MakeHuman's CC0 assets) shaped once per person and
cached as plain arrays; posing by forward kinematics with two-bone IK and linear blend skinning
in numpy, so rendering needs no torch.

World frame of a lying person ("W"): metres, Y up from the floor, the person along X with the
head towards -X and the feet towards +X, face up, their right side towards +Z.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Rest (standing) to lying: rest x (the person's left) -> -Z, rest -y (front) -> +Y, rest z (up)
# -> -X.
REST_TO_W = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]])


def unit(v):
    return v / max(np.linalg.norm(v), 1e-9)


def rot(axis, angle):
    """Rotation matrix about a unit axis (Rodrigues)."""
    a = unit(np.asarray(axis, float))
    c, s = np.cos(angle), np.sin(angle)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def frame(a, n):
    """Orthonormal frame with first axis a, second axis a x n (n roughly normal to a)."""
    a = unit(a)
    p = unit(np.cross(a, n))
    return np.stack([a, p, np.cross(a, p)], axis=1)


@dataclass
class Shape:
    """One person's body as arrays (see `shape_body`)."""

    vertices: np.ndarray  # (N, 3) rest vertices in W (lying, unposed)
    faces: np.ndarray  # (F, 3)
    weights: np.ndarray  # (N, K)
    indices: np.ndarray  # (N, K)
    heads: np.ndarray  # (B, 3) rest bone heads in W
    parents: list
    labels: list
    uv: np.ndarray  # (N, 2) texture coordinates per vertex
    rest_z: np.ndarray  # (N,) standing height of each vertex (for clothes cuts)
    rest_xy: np.ndarray  # (N, 2) standing left-right and front-back
    keypoints: dict  # name -> (N,) weights (eyes, ears, nose, heels, toes)
    height_m: float
    part: np.ndarray  # (N,) face-part label index (see part_names)
    part_names: list

    def bone(self, name):
        return self.labels.index(name)


def shape_body(phenotype: dict, cache_dir: Path) -> Shape:
    """Shapes Anny with `phenotype` (values in [0, 1]) and caches the arrays in `cache_dir`."""
    key = "-".join(f"{k}{phenotype[k]:.3f}" for k in sorted(phenotype))
    path = Path(cache_dir) / f"body-{key}.npz"
    if not path.exists():
        _export(phenotype, path)
    d = np.load(path, allow_pickle=True)
    v = d["rest_vertices"]
    heads = d["rest_heads"]
    floor_back = v[:, 1].max()  # the back-most point rests on the floor
    to_w = lambda p: p @ REST_TO_W.T + np.array([0.0, floor_back, 0.0])
    kp = {k[3:]: d[k] for k in d.files if k.startswith("kp_")}
    return Shape(
        vertices=to_w(v),
        faces=d["faces"],
        weights=d["weights"],
        indices=d["indices"],
        heads=to_w(heads),
        parents=list(d["parents"]),
        labels=list(d["labels"]),
        uv=d["uv"],
        rest_z=v[:, 2],
        rest_xy=v[:, :2],
        keypoints=kp,
        height_m=float(v[:, 2].max() - v[:, 2].min()),
        part=d["part"],
        part_names=list(d["part_names"]),
    )


def _export(phenotype, path):
    import torch  # only when a new body is shaped
    import anny

    m = anny.Anny().to(dtype=torch.float32)
    eye = torch.eye(4)[None, None].repeat(1, m.bone_count, 1, 1)
    with torch.no_grad():
        out = m(pose_parameters=eye, phenotype_kwargs=phenotype)
    v = out["rest_vertices"][0].numpy().astype(np.float64)
    faces = m.faces.numpy()
    uv_all = m.texture_coordinates.numpy()
    fuv = m.face_texture_coordinate_indices.numpy()
    uv = np.zeros((len(v), 2))
    uv[faces.reshape(-1)] = uv_all[fuv.reshape(-1)]
    base = m.base_mesh_vertex_indices.numpy()
    kp_all = torch.load(Path(anny.__file__).parent / "data/keypoints/coco.pth")
    kp = {}
    for name in ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_heel",
                 "right_heel", "left_big_toe", "right_big_toe"]:
        w = kp_all[name].numpy()[base]
        kp["kp_" + name] = w / max(w.sum(), 1e-9)
    # Face parts from Anny's UV segmentation (eyes, their cavities, the mouth).
    from PIL import Image
    import yaml

    seg_dir = Path(anny.__file__).parent / "data/segmentation"
    names = yaml.safe_load(open(seg_dir / "body_parts_segmentation.yaml"))["colors"]
    seg = np.asarray(Image.open(seg_dir / "body_parts_segmentation.png").convert("RGB")).astype(int)
    hgt, wid = seg.shape[:2]
    px = seg[np.clip(((1 - uv[:, 1]) * hgt).astype(int), 0, hgt - 1),
             np.clip((uv[:, 0] * wid).astype(int), 0, wid - 1)]
    keys = list(names)
    pal = np.array([names[k] for k in keys])
    part = np.argmin(((px[:, None, :] - pal[None]) ** 2).sum(-1), axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        part=part,
        part_names=np.array(keys),
        rest_vertices=v,
        rest_heads=out["rest_bone_heads"][0].numpy().astype(np.float64),
        faces=faces,
        weights=m.vertex_bone_weights.numpy(),
        indices=m.vertex_bone_indices.numpy(),
        parents=np.array(m.bone_parents),
        labels=np.array(m.bone_labels),
        uv=uv,
        **kp,
    )


def two_bone(root, target, l1, l2, pole):
    """Middle joint of a two-bone chain from `root` reaching towards `target`, bending towards
    `pole`; the chain never straightens fully (reach at most 99.5%)."""
    d = target - root
    dist = np.clip(np.linalg.norm(d), 1e-6, 0.995 * (l1 + l2))
    a = unit(d)
    target = root + a * dist
    cos1 = np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0, 1.0)
    side = unit(pole - np.dot(pole, a) * a)
    mid = root + a * (l1 * cos1) + side * (l1 * np.sqrt(1 - cos1 * cos1))
    return mid, target


class Poser:
    """Poses a `Shape`: bone deltas (world rotations about each bone's head) by forward
    kinematics, then linear blend skinning."""

    def __init__(self, s: Shape):
        self.s = s
        b = s.bone
        self.ids = {n: b(n) for n in s.labels}
        H = s.heads
        self.len = {}
        for side in "LR":
            hip, knee, ankle = (H[b(f"upperleg01.{side}")], H[b(f"lowerleg01.{side}")],
                                H[b(f"foot.{side}")])
            sh, el, wr = (H[b(f"upperarm01.{side}")], H[b(f"lowerarm01.{side}")],
                          H[b(f"wrist.{side}")])
            self.len[side] = (np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee),
                              np.linalg.norm(el - sh), np.linalg.norm(wr - el))
        # Rest frames of the limbs: the bend plane's normal is the person's left-right axis.
        lateral = np.array([0.0, 0.0, 1.0])
        self.rest_frames = {}
        for side in "LR":
            hip, knee, ankle = (H[b(f"upperleg01.{side}")], H[b(f"lowerleg01.{side}")],
                                H[b(f"foot.{side}")])
            self.rest_frames[f"thigh.{side}"] = frame(knee - hip, lateral)
            self.rest_frames[f"shin.{side}"] = frame(ankle - knee, lateral)
            sh, el, wr = (H[b(f"upperarm01.{side}")], H[b(f"lowerarm01.{side}")],
                          H[b(f"wrist.{side}")])
            n = np.cross(el - sh, wr - el)
            self.rest_frames[f"upperarm.{side}"] = frame(el - sh, n)
            self.rest_frames[f"forearm.{side}"] = frame(wr - el, n)
            toe = H[b(f"toe3-1.{side}")]
            self.rest_frames[f"foot.{side}"] = frame(toe - ankle, lateral)
        self.foot_len = {side: np.linalg.norm(H[b(f"toe3-1.{side}")] - H[b(f"foot.{side}")])
                         for side in "LR"}
        # The ankle joint's height above the sole when the foot is flat (standing rest pose).
        self.ankle_h = float(np.clip(-H[b("foot.L")][0] - s.rest_z.min(), 0.04, 0.11))
        # Hip joints' height above the floor lying flat.
        self.hip_y = float((H[b("upperleg01.L")][1] + H[b("upperleg01.R")][1]) / 2)

    def fk(self, deltas: dict, root_t=np.zeros(3)):
        """Heads and (rotation, head) per bone. `deltas`: bone index -> ("abs"|"rel", R)."""
        s = self.s
        n = len(s.labels)
        R = np.zeros((n, 3, 3))
        h = np.zeros((n, 3))
        for b in range(n):
            p = s.parents[b]
            if p < 0:
                h[b] = s.heads[b] + root_t
                base = np.eye(3)
            else:
                h[b] = R[p] @ (s.heads[b] - s.heads[p]) + h[p]
                base = R[p]
            kind, M, *off = deltas.get(b, ("rel", None))
            if off:
                h[b] = h[b] + off[0]
            if M is None:
                R[b] = base
            elif kind == "abs":
                R[b] = M
            else:
                R[b] = M @ base
        return R, h

    def skin(self, R, h):
        s = self.s
        t = h - np.einsum("bij,bj->bi", R, s.heads)
        Rv = R[s.indices]  # (N, K, 3, 3)
        tv = t[s.indices]
        p = np.einsum("nkij,nj->nki", Rv, s.vertices) + tv
        return np.einsum("nk,nki->ni", s.weights, p)


@dataclass
class State:
    """The pose at one instant, before it becomes bones (see `Poser.pose`)."""

    legs: float = 1.0  # 0 legs straight, 1 knees bent with feet on the floor, 2 knees hugged
    knee_gap: float = 0.0  # extra spacing of the knees, metres
    circle: tuple = (0.0, 0.0)  # knee offset in the floor plane: (towards the feet, to the right)
    lift: float = 0.0  # bridge: hip joints' rise, metres
    twist: float = 0.0  # knees turned about the body's long axis, radians, + to the right
    roll: float = 0.0  # whole body rolled about its long axis, radians, + onto the right side
    sit: float = 0.0  # 0 lying, 1 sitting up
    shoulder_lift: tuple = (0.0, 0.0)  # (left, right) shoulder raised off the floor, metres
    arms: dict = None  # weights of arm placements: side, t, knees, belly, support
    head: tuple = (0.0, 0.0)  # (turn to the right, chin up), radians
    breath: float = 0.0  # 0 out, 1 in
    foot_slide: tuple = (0.0, 0.0)  # (left, right) feet moved towards the feet, metres
    hand: tuple = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))  # wrist target offsets, metres


ARM_MODES = ("side", "t", "knees", "belly", "support")


def _lerp(a, b, x):
    return a + (b - a) * x


class Pose:
    """A posed body: vertices and the joints the truth is measured on, in W."""

    def __init__(self, vertices, joints):
        self.vertices = vertices
        self.joints = joints


def pose(poser: Poser, st: State) -> Pose:
    s = poser.s
    ids = poser.ids
    H = s.heads
    deltas = {}
    X = np.array([1.0, 0, 0])
    Y = np.array([0, 1.0, 0])
    Z = np.array([0, 0, 1.0])
    hip_c = (H[ids["upperleg01.L"]] + H[ids["upperleg01.R"]]) / 2
    # Pelvis: a bridge lifts the hips by turning the body about the shoulder blades' line; a
    # twist rolls the pelvis a quarter of the knees' turn.
    sh_c = (H[ids["upperarm01.L"]] + H[ids["upperarm01.R"]]) / 2
    d_sh = hip_c[0] - sh_c[0]
    # The turn that raises the hip joints by exactly `lift` (they sit hip_y above the pivot).
    d_sh = max(d_sh, 0.2)
    alpha = 0.0
    for _ in range(6):
        f = d_sh * np.sin(alpha) + poser.hip_y * (np.cos(alpha) - 1) - st.lift
        alpha -= f / (d_sh * np.cos(alpha) - poser.hip_y * np.sin(alpha))
    alpha = float(np.clip(alpha, -1.0, 1.0))
    R_root = rot(Z, alpha) @ rot(X, 0.22 * st.twist)
    pivot = np.array([sh_c[0], 0.0, 0.0])
    root_h = H[ids["root"]]
    new_root = R_root @ (root_h - pivot) + pivot
    deltas[ids["root"]] = ("abs", R_root, new_root - root_h)
    # The chest stays on the floor: spine05 undoes the pelvis's turn, the upper spine bends for
    # sitting up and turns for a lifted shoulder; breathing lifts the chest a little.
    sit = st.sit * 1.45
    deltas[ids["spine05"]] = ("rel", rot(Z, -0.45 * sit) @ rot(X, -0.22 * st.twist))
    deltas[ids["spine04"]] = ("rel", rot(Z, -0.2 * sit))
    deltas[ids["spine03"]] = ("rel", rot(Z, -0.15 * sit + 0.01 * st.breath))
    ls, rs = st.shoulder_lift
    half_w = max(np.linalg.norm(H[ids["upperarm01.L"]] - H[ids["upperarm01.R"]]) / 2, 0.1)
    theta = np.arcsin(np.clip((ls - rs) / (2 * half_w), -0.8, 0.8))
    deltas[ids["spine02"]] = ("rel", rot(X, theta) @ rot(Z, -0.1 * sit - 0.008 * st.breath),
                              Y * (max(ls, rs) / 2))
    # Head: lying, the neck extends a little so that the back of the head rests on the floor.
    yaw, pitch = st.head
    deltas[ids["neck01"]] = ("rel", rot(Z, -0.1 * sit - alpha) @ rot(X, 0.5 * yaw) @ rot(Z, 0.5 * pitch))
    deltas[ids["neck02"]] = ("rel", rot(X, 0.5 * yaw) @ rot(Z, 0.5 * pitch))
    R0, h0 = poser.fk(deltas)
    # Legs.
    for side, sg in (("L", -1.0), ("R", 1.0)):
        l1, l2, l3, l4 = poser.len[side]
        hip = h0[ids[f"upperleg01.{side}"]]
        hip_rest = H[ids[f"upperleg01.{side}"]]
        z0 = hip_rest[2] + sg * st.knee_gap * 0.5
        ah = poser.ankle_h
        fs = st.foot_slide[0 if side == "L" else 1]
        straight_a = np.array([hip_rest[0] + 0.97 * (l1 + l2), ah, hip_rest[2] + sg * 0.04])
        straight_k = np.array([hip_rest[0] + 0.97 * l1, poser.hip_y + 0.03, hip_rest[2] + sg * 0.02])
        reach = 0.93 * np.hypot(l1, l2) + fs
        bent_a = np.array([hip_rest[0] + np.sqrt(max(reach**2 - (poser.hip_y - ah) ** 2, 0.01)),
                           ah, z0])
        bent_k, _ = two_bone(hip_rest, bent_a, l1, l2, Y + 0.3 * X)
        bent_k[2] = z0
        hug_dir = unit(np.array([-0.45, 0.89, 0.0]))
        hug_k = hip_rest + l1 * hug_dir + np.array([st.circle[0], 0.0, st.circle[1] + sg * st.knee_gap * 0.5])
        hug_a = hug_k + l2 * unit(np.array([0.97, -0.25, 0.0])) + np.array([0, 0, sg * 0.02])
        L = float(np.clip(st.legs, 0.0, 2.0))
        if L <= 1.0:
            k_t = _lerp(straight_k, bent_k, L)
            a_t = _lerp(straight_a, bent_a, L)
        else:
            x = L - 1.0
            k_t = _lerp(bent_k, hug_k, x)
            a_t = _lerp(bent_a, hug_a, x)
        # Twist: knees and feet turn about the long axis through the hips (feet less).
        if st.twist != 0.0:
            axis_p = np.array([0.0, poser.hip_y, 0.0])
            k_t = rot(X, st.twist) @ (k_t - axis_p) + axis_p
            a_t = rot(X, 0.45 * st.twist) @ (a_t - axis_p) + axis_p
            a_t[1] = max(a_t[1], 0.6 * ah)
        # Aim the thigh at the knee target, then the shin at the ankle target.
        knee = hip + l1 * unit(k_t - hip)
        if L <= 1.0:
            # Feet stay where they are on the floor: IK from the hip to the ankle.
            pole = unit(k_t - (hip + a_t) / 2)
            knee, a_t = two_bone(hip, a_t, l1, l2, pole)
        ankle = knee + l2 * unit(a_t - knee)
        n = np.cross(knee - hip, ankle - knee)
        if np.linalg.norm(n) < 1e-4:
            n = rot(X, st.twist) @ Z
        n = unit(n) if np.dot(n, rot(X, st.twist) @ Z) >= 0 else -unit(n)
        rf = poser.rest_frames
        deltas[ids[f"upperleg01.{side}"]] = ("abs", frame(knee - hip, n) @ rf[f"thigh.{side}"].T)
        D_shin = frame(ankle - knee, n) @ rf[f"shin.{side}"].T
        deltas[ids[f"lowerleg01.{side}"]] = ("abs", D_shin)
        # Feet: flat on the floor (rolled with a twist) with bent knees, else as the shin has them.
        flat = frame(rot(X, 0.45 * st.twist) @ X, rot(X, 0.45 * st.twist) @ Z) @ rf[f"foot.{side}"].T
        w_flat = float(np.clip(1.0 - abs(L - 1.0) * 1.5, 0.0, 1.0))
        deltas[ids[f"foot.{side}"]] = ("abs", _blend_rot(D_shin, flat, w_flat))
    R1, h1 = poser.fk(deltas)
    # Arms.
    arms = st.arms or {"side": 1.0}
    wsum = sum(arms.values()) or 1.0
    for k, (side, sg) in enumerate((("L", -1.0), ("R", 1.0))):
        l1, l2, l3, l4 = poser.len[side]
        sh = h1[ids[f"upperarm01.{side}"]]
        knee = h1[ids[f"lowerleg01.{side}"]]
        hip = h1[ids[f"upperleg01.{side}"]]
        reach = l3 + l4
        targets = {
            "side": np.array([sh[0] + 0.93 * reach, 0.05, sh[2] + sg * 0.13]),
            "t": np.array([sh[0] + 0.08, 0.05, sh[2] + sg * 0.93 * reach]),
            "knees": knee + np.array([0.05, -0.02, sg * 0.04]),
            "belly": np.array([hip[0] - 0.12, hip[1] + 0.14, sg * 0.05]),
            "support": np.array([hip[0] - 0.22, 0.05, sh[2] + sg * 0.12]),
        }
        w_t = sum(arms.get(m, 0.0) * targets[m] for m in ARM_MODES) / wsum
        w_t = w_t + np.array(st.hand[k])
        pole = unit(np.array([0.3, -0.6, sg * 1.0]))
        elbow, wrist = two_bone(sh, w_t, l3, l4, pole)
        n = np.cross(elbow - sh, wrist - elbow)
        rf = poser.rest_frames
        if np.linalg.norm(n) < 1e-5:
            n = Y
        n = unit(n)
        D_up = frame(elbow - sh, n) @ rf[f"upperarm.{side}"].T
        D_fore = frame(wrist - elbow, n) @ rf[f"forearm.{side}"].T
        deltas[ids[f"upperarm01.{side}"]] = ("abs", D_up)
        deltas[ids[f"lowerarm01.{side}"]] = ("abs", D_fore)
    R, h = poser.fk(deltas)
    v = poser.skin(R, h)
    joints = {name: h[ids[bone]].copy() for name, bone in JOINT_BONES.items()}
    # Rolling onto a side turns everything about a line on the floor at that side.
    if st.roll != 0.0:
        sgn = 1.0 if st.roll > 0 else -1.0
        piv = np.array([0.0, 0.10, sgn * 0.16])
        Rr = rot(X, st.roll)
        v = (v - piv) @ Rr.T + piv
        for name in joints:
            joints[name] = Rr @ (joints[name] - piv) + piv
    return Pose(v, joints)


JOINT_BONES = {
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R", "head": "head",
}


def _blend_rot(a, b, w):
    """Rotation between a (w=0) and b (w=1), re-orthonormalised."""
    m = a * (1 - w) + b * w
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] *= -1
        r = u @ vt
    return r
