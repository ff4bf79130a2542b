"""A room rendered headless on the CPU (OpenGL 4.5 through Mesa's llvmpipe, EGL, via moderngl):
floor, walls, a mat, a few objects, a window's sunlight with soft shadows, sky light and a lamp,
and the person. Patterns (wood, tiles, carpet, a ribbed mat) are drawn procedurally in the
shader; nothing is loaded from disk but the body."""

from __future__ import annotations

import numpy as np

COMMON = """
#version 330
float hash(vec2 p) {
  vec3 p3 = fract(vec3(p.xyx) * 0.1031);
  p3 += dot(p3, p3.yzx + 33.33);
  return fract((p3.x + p3.y) * p3.z);
}
float vnoise(vec2 p) {
  vec2 i = floor(p), f = fract(p); f = f * f * (3.0 - 2.0 * f);
  return mix(mix(hash(i), hash(i + vec2(1, 0)), f.x), mix(hash(i + vec2(0, 1)), hash(i + vec2(1, 1)), f.x), f.y);
}
float fbm(vec2 p) { return 0.5 * vnoise(p) + 0.25 * vnoise(p * 2.1) + 0.125 * vnoise(p * 4.3); }
float shadow_at(sampler2DShadow map, mat4 light_mvp, vec3 pos, float spread) {
  vec4 l = light_mvp * vec4(pos, 1.0);
  vec3 p = l.xyz / l.w * 0.5 + 0.5;
  if (p.x < 0.0 || p.x > 1.0 || p.y < 0.0 || p.y > 1.0 || p.z > 1.0) return 1.0;
  vec2 texel = spread / vec2(textureSize(map, 0));
  float s = 0.0;
  for (int k = 0; k < 4; k++) {
    vec2 o = vec2((k & 1) == 0 ? -0.5 : 0.5, k < 2 ? -0.5 : 0.5) * texel;
    s += texture(map, vec3(p.xy + o, p.z - 0.002));
  }
  return s / 4.0;
}
uniform float exposure; uniform float noise; uniform float seed;
vec4 camera_out(vec3 lin) {
  vec3 c = pow(clamp(1.0 - exp(-lin * exposure * 1.7), 0.0, 1.0), vec3(1.0 / 2.2));
  vec2 q = gl_FragCoord.xy + seed * 17.0;
  vec3 n = vec3(hash(q), hash(q * 1.37 + 5.1), hash(q * 0.73 + 9.7)) - 0.5;
  return vec4(c + n * 3.46 * noise / 255.0, 1.0);
}
"""

LIT = """
uniform vec3 sun_dir; uniform vec3 sun_col; uniform vec3 sky_col; uniform vec3 ground_col;
uniform vec3 lamp_pos; uniform vec3 lamp_col; uniform vec3 eye;
// The lit colour and the part of it the sun gives (what a shadow takes away).
void shade(vec3 pos, vec3 n, vec3 albedo, float rough, float wrap, float sh, out vec3 col, out vec3 sun) {
  vec3 v = normalize(eye - pos);
  float diff = max((dot(n, -sun_dir) + wrap) / (1.0 + wrap), 0.0);
  vec3 h = normalize(-sun_dir + v);
  vec3 spec = sun_col * pow(max(dot(n, h), 0.0), mix(80.0, 8.0, rough)) * (1.0 - rough) * 0.25;
  sun = (albedo * sun_col * diff + spec) * sh;
  col = sun + albedo * mix(ground_col, sky_col, 0.5 + 0.5 * n.y);
  vec3 ld = lamp_pos - pos; float dist = length(ld); ld /= dist;
  col += albedo * lamp_col * max(dot(n, ld), 0.0) / (1.0 + 0.4 * dist * dist);
}
"""

VERT = """
#version 330
uniform mat4 mvp;
in vec3 in_pos; in vec3 in_nrm; in vec3 in_col; in float in_pat;
out vec3 v_pos; out vec3 v_nrm; out vec3 v_col; out float v_pat;
void main() {
  v_pos = in_pos; v_nrm = in_nrm; v_col = in_col; v_pat = in_pat;
  gl_Position = mvp * vec4(in_pos, 1.0);
}
"""

# The room, once per clip: linear colour, world position and the sun's part, in three targets.
ROOM_FRAG = COMMON + LIT + """
uniform sampler2DShadow shadow; uniform mat4 light_mvp;
uniform vec4 pat_a; uniform vec4 pat_b;
in vec3 v_pos; in vec3 v_nrm; in vec3 v_col; in float v_pat;
layout(location = 0) out vec4 o_col;
layout(location = 1) out vec4 o_pos;
layout(location = 2) out vec4 o_sun;
void main() {
  vec3 n = normalize(v_nrm);
  vec3 albedo = v_col;
  float rough = 0.8;
  int pat = int(v_pat + 0.5);
  vec2 q = v_pos.xz;
  if (pat == 1) { // wood planks along x (pat_a: width, length, grain, contrast)
    float row = floor(q.y / pat_a.x);
    float col = floor((q.x + hash(vec2(row, 3.0)) * pat_a.y) / pat_a.y);
    float id = hash(vec2(row, col));
    float grain = fbm(vec2(q.x * 3.0, q.y * pat_a.z) + id * 10.0);
    float f = fract(q.y / pat_a.x) * pat_a.x;
    float seam = smoothstep(0.0, 0.004, f) * smoothstep(0.0, 0.004, pat_a.x - f);
    albedo *= (1.0 - pat_a.w * 0.5 + pat_a.w * (0.6 * id + 0.6 * grain)) * mix(0.55, 1.0, seam);
    rough = 0.45;
  } else if (pat == 2) { // tiles (pat_a.x size), grout colour pat_b
    vec2 g = fract(q / pat_a.x) * pat_a.x;
    float grout = step(0.006, g.x) * step(0.006, g.y);
    float id = hash(floor(q / pat_a.x));
    albedo = mix(pat_b.rgb, albedo * (0.93 + 0.1 * id) * (0.95 + 0.1 * fbm(q * 9.0)), grout);
    rough = 0.35;
  } else if (pat == 3) { // carpet
    albedo *= 0.8 + 0.35 * fbm(q * 60.0) + 0.1 * fbm(q * 3.0);
  } else if (pat == 4) { // mat: fine ribs across it
    albedo *= 0.9 + 0.1 * sin(q.x * 300.0) + 0.08 * fbm(q * 20.0);
  } else if (pat == 5) { // wall: plaster
    albedo *= 0.95 + 0.07 * fbm(v_pos.xy * 8.0 + v_pos.zy * 8.0);
  }
  if (dot(n, eye - v_pos) < 0.0) n = -n;
  vec3 col, sun;
  shade(v_pos, n, albedo, rough, 0.0, shadow_at(shadow, light_mvp, v_pos, 2.0), col, sun);
  o_col = vec4(col, 1.0); o_pos = vec4(v_pos, 1.0); o_sun = vec4(sun, 1.0);
}
"""

# Each frame: the room as rendered once, less the sunlight the person's shadow takes away.
SCREEN_VERT = """
#version 330
in vec2 in_xy;
void main() { gl_Position = vec4(in_xy, 0.0, 1.0); }
"""
COMPOSITE_FRAG = COMMON + """
uniform sampler2D bg_col; uniform sampler2D bg_pos; uniform sampler2D bg_sun;
uniform sampler2DShadow body_shadow; uniform mat4 light_mvp; uniform vec3 body_centre;
out vec4 frag;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec3 col = texelFetch(bg_col, p, 0).rgb;
  vec4 pos = texelFetch(bg_pos, p, 0);
  vec3 d = abs(pos.xyz - body_centre);
  if (pos.w > 0.5 && d.x < 2.0 && d.z < 1.6) {
    float v = shadow_at(body_shadow, light_mvp, pos.xyz, 2.5);
    col -= texelFetch(bg_sun, p, 0).rgb * (1.0 - v);
  }
  frag = camera_out(col);
}
"""

BODY_FRAG = COMMON + LIT + """
uniform sampler2DShadow body_shadow; uniform mat4 light_mvp;
in vec3 v_pos; in vec3 v_nrm; in vec3 v_col; in float v_pat;
out vec4 frag;
void main() {
  vec3 n = normalize(v_nrm);
  if (dot(n, eye - v_pos) < 0.0) n = -n;
  vec3 col, sun;
  // Skin and cloth scatter light a little past the terminator.
  shade(v_pos, n, v_col, 0.75, 0.25, shadow_at(body_shadow, light_mvp, v_pos + n * 0.01, 1.5), col, sun);
  frag = camera_out(col);
}
"""

SHADOW_VERT = """
#version 330
uniform mat4 light_mvp;
in vec3 in_pos;
void main() { gl_Position = light_mvp * vec4(in_pos, 1.0); }
"""
SHADOW_FRAG = """
#version 330
void main() {}
"""


def look_at(eye, target, up):
    f = target - eye
    f = f / np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def perspective(fov_y, aspect, near, far):
    f = 1 / np.tan(fov_y / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = f / aspect, f
    m[2, 2], m[2, 3] = (far + near) / (near - far), 2 * far * near / (near - far)
    m[3, 2] = -1
    return m


def ortho(half, near, far):
    m = np.eye(4)
    m[0, 0] = m[1, 1] = 1 / half
    m[2, 2] = -2 / (far - near)
    m[2, 3] = -(far + near) / (far - near)
    return m


def box(c, size, color, pat, rot_y=0.0):
    """Triangles of an axis box (rotated about Y) as rows of pos, normal, colour, pattern."""
    hx, hy, hz = np.asarray(size) / 2
    faces = []
    for axis in range(3):
        for sgn in (-1, 1):
            n = np.zeros(3)
            n[axis] = sgn
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1
            w = np.cross(n, u)
            half = np.array([hx, hy, hz])
            ctr = n * half[axis]
            du = u * half[(axis + 1) % 3]
            dw = w * half[(axis + 2) % 3]
            q = [ctr - du - dw, ctr + du - dw, ctr + du + dw, ctr - du + dw]
            for tri in ((0, 1, 2), (0, 2, 3)):
                for i in tri:
                    faces.append((q[i], n))
    c_, s_ = np.cos(rot_y), np.sin(rot_y)
    R = np.array([[c_, 0, s_], [0, 1, 0], [-s_, 0, c_]])
    rows = [np.concatenate([R @ p + c, R @ n, color, [pat]]) for p, n in faces]
    return np.array(rows, dtype="f4")


def quad(p0, du, dv, color, pat):
    n = np.cross(du, dv)
    n /= np.linalg.norm(n)
    q = [p0, p0 + du, p0 + du + dv, p0 + dv]
    return np.array([np.concatenate([q[i], n, color, [pat]]) for i in (0, 1, 2, 0, 2, 3)], dtype="f4")


def vertex_normals(v, f):
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    idx = f.reshape(-1)
    n = np.stack([np.bincount(idx, np.repeat(fn[:, k], 3), len(v)) for k in range(3)], axis=1)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


class Renderer:
    """One OpenGL context; `set_room` once per clip (renders the room), `render` once per frame
    (the person, their shadow, the camera's tone curve and sensor noise)."""

    def __init__(self, width, height):
        import moderngl

        self.mgl = moderngl
        ctx = self.ctx = moderngl.create_context(standalone=True, backend="egl")
        self.w, self.h = width, height
        self.room_prog = ctx.program(vertex_shader=VERT, fragment_shader=ROOM_FRAG)
        self.body_prog = ctx.program(vertex_shader=VERT, fragment_shader=BODY_FRAG)
        self.comp_prog = ctx.program(vertex_shader=SCREEN_VERT, fragment_shader=COMPOSITE_FRAG)
        self.sprog = ctx.program(vertex_shader=SHADOW_VERT, fragment_shader=SHADOW_FRAG)
        self.bg = [ctx.texture((width, height), 4, dtype="f4") for _ in range(3)]
        for t in self.bg:
            t.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.bg_fbo = ctx.framebuffer(self.bg, ctx.depth_renderbuffer((width, height)))
        self.out = ctx.framebuffer(ctx.renderbuffer((width, height)), ctx.depth_renderbuffer((width, height)))
        self.room_shadow = self._shadow_map(2048)
        self.body_shadow = self._shadow_map(1024)
        tri = np.array([-1, -1, 3, -1, -1, 3], dtype="f4")
        self.screen = ctx.vertex_array(self.comp_prog, [(ctx.buffer(tri.tobytes()), "2f", "in_xy")])

    def _shadow_map(self, n):
        tex = self.ctx.depth_texture((n, n))
        tex.compare_func = "<="
        tex.filter = (self.mgl.LINEAR, self.mgl.LINEAR)
        return tex, self.ctx.framebuffer(depth_attachment=tex)

    def _vao(self, prog, vbo, shadow=False, ibo=None):
        if shadow:
            return self.ctx.vertex_array(prog, [(vbo, "3f 28x", "in_pos")], ibo)
        names = ("in_pos", "in_nrm", "in_col", "in_pat")
        sizes = (3, 3, 3, 1)
        fmt = " ".join(f"{k}f" if n in prog else f"{4 * k}x" for n, k in zip(names, sizes))
        return self.ctx.vertex_array(prog, [(vbo, fmt, *[n for n in names if n in prog])], ibo)

    def _light(self, room, centre, half):
        sun = room["sun_dir"] / np.linalg.norm(room["sun_dir"])
        up = np.array([1.0, 0, 0]) if abs(sun[1]) > 0.99 else np.array([0, 1.0, 0])
        return (ortho(half, 0.5, 14.0) @ look_at(centre - sun * 7.0, centre, up)).astype("f4"), sun

    def _lights(self, prog, room, cam):
        for k in ("sun_col", "sky_col", "ground_col", "lamp_pos", "lamp_col"):
            prog[k].value = tuple(float(x) for x in room[k])
        prog["sun_dir"].value = tuple(float(x) for x in room["sun_dir"] / np.linalg.norm(room["sun_dir"]))
        prog["eye"].value = tuple(float(x) for x in cam["eye"])

    def set_room(self, room, cam, faces, body_colors, body_centre, exposure, noise):
        """Renders the static room for this clip's camera; keeps the person's faces and
        per-vertex colours for `render`."""
        ctx = self.ctx
        self.room, self.cam = room, cam
        self.exposure, self.noise = exposure, noise
        view = look_at(cam["eye"], cam["target"], cam["up"])
        proj = perspective(cam["fov_y"], self.w / self.h, 0.05, 30.0)
        self.mvp = (proj @ view).astype("f4")
        vbo = ctx.buffer(room["triangles"].tobytes())
        ctx.enable(self.mgl.DEPTH_TEST)
        light, _ = self._light(room, np.array([0.0, 0.3, 0.0]), 3.5)
        tex, fbo = self.room_shadow
        fbo.use()
        fbo.clear(depth=1.0)
        self.sprog["light_mvp"].write(light.T.copy().tobytes())
        self._vao(self.sprog, vbo, shadow=True).render()
        p = self.room_prog
        p["mvp"].write(self.mvp.T.copy().tobytes())
        p["light_mvp"].write(light.T.copy().tobytes())
        self._lights(p, room, cam)
        p["pat_a"].value = tuple(float(x) for x in room["pat_a"])
        p["pat_b"].value = tuple(float(x) for x in room["pat_b"])
        for name in ("exposure", "noise", "seed"):
            if name in p:
                p[name].value = 0.0
        tex.use(0)
        p["shadow"].value = 0
        self.bg_fbo.use()
        self.bg_fbo.clear(*room["sky_col"], 0.0, depth=1.0)
        self._vao(p, vbo).render()
        self.body_light, _ = self._light(room, body_centre, 1.4)
        self.body_centre = body_centre
        self.faces = faces
        self.body_cols = body_colors.astype("f4")
        self.body_vbo = ctx.buffer(reserve=len(body_colors) * 40)
        ibo = ctx.buffer(faces.astype("i4").tobytes())
        self.body_vao = self._vao(self.body_prog, self.body_vbo, ibo=ibo)
        self.body_svao = self._vao(self.sprog, self.body_vbo, shadow=True, ibo=ibo)
        self.frame_no = 0

    def render(self, verts):
        """The next frame as an (h, w, 3) uint8 array."""
        ctx = self.ctx
        f = self.faces
        data = np.empty((len(verts), 10), dtype="f4")
        data[:, 0:3] = verts
        data[:, 3:6] = vertex_normals(verts, f)
        data[:, 6:9] = self.body_cols
        data[:, 9] = 0.0
        self.body_vbo.write(data.tobytes())
        light = self.body_light
        tex, fbo = self.body_shadow
        fbo.use()
        fbo.clear(depth=1.0)
        self.sprog["light_mvp"].write(light.T.copy().tobytes())
        self.body_svao.render()
        self.frame_no += 1
        self.out.use()
        self.out.clear(0, 0, 0, 1, depth=1.0)
        for k, t in enumerate(self.bg):
            t.use(k)
        tex.use(3)
        c = self.comp_prog
        c["bg_col"].value, c["bg_pos"].value, c["bg_sun"].value, c["body_shadow"].value = 0, 1, 2, 3
        c["light_mvp"].write(light.T.copy().tobytes())
        c["body_centre"].value = tuple(float(x) for x in self.body_centre)
        for prog in (c, self.body_prog):
            prog["exposure"].value = self.exposure
            prog["noise"].value = self.noise
            prog["seed"].value = float(self.frame_no % 997)
        ctx.disable(self.mgl.DEPTH_TEST)
        self.screen.render()
        ctx.enable(self.mgl.DEPTH_TEST)
        b = self.body_prog
        b["mvp"].write(self.mvp.T.copy().tobytes())
        b["light_mvp"].write(light.T.copy().tobytes())
        b["body_shadow"].value = 3
        self._lights(b, self.room, self.cam)
        self.body_vao.render()
        raw = self.out.read(components=3)
        return np.frombuffer(raw, dtype=np.uint8).reshape(self.h, self.w, 3)[::-1]
