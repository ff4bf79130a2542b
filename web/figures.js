// Pose figures: a simple, friendly person lying on a mat, drawn from the side with the head on
// the left (so you see the person's right side), moved by what the server says the segment is.
//
// - Rest and bridge: seen from the floor beside you. The hips lift and lower.
// - Knee circles: the same view, knees hugged to the chest. It is the view from your own eye
//   level, below your knees, so a circle that is clockwise as you look up (knees towards your
//   head, to your right, towards your feet, to your left) turns clockwise on screen too.
// - Twist: seen from the side and above, so the arms can show their T and the knees can drop
//   towards you (to your right) or away from you (to your left).
//
// `poseAt(figure, p)` says what the figure does p (0..1) through a segment; `FigureView` draws
// it. Only the drawing lives here: the server decides the segment, its direction and its time.

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const lerp = (a, b, t) => a + (b - a) * t;
const mix = (a, b, t) => [lerp(a[0], b[0], t), lerp(a[1], b[1], t)];
const ease = (t) => 0.5 - Math.cos(Math.PI * Math.min(1, Math.max(0, t))) / 2;
const f1 = (n) => n.toFixed(1);
const pt = ([x, y]) => `${f1(x)} ${f1(y)}`;

// ---------- side view (view box 0 0 400 240; the mat's top at y = 200) ----------

const MAT_TOP = 200;
const THIGH = 86;
const SHIN = 84;
const UPPER_ARM = 58;
const FOREARM = 56;
const HEAD = [50, MAT_TOP - 20];
const SHOULDER = [88, MAT_TOP - 13];
const HIP = [196, MAT_TOP - 13];
const FOOT = [312, MAT_TOP - 10];
const HAND_DOWN = [192, MAT_TOP - 7];
// Knees hugged: thighs up and towards the chest, shins level, hands on the knees.
const HUG_KNEE = [HIP[0] + THIGH * Math.cos(2.0), HIP[1] - THIGH * Math.sin(2.0)];
const HUG_FOOT = [HUG_KNEE[0] + SHIN * Math.cos(0.38), HUG_KNEE[1] + SHIN * Math.sin(0.38)];
const CIRCLE_R = 15;

/**
 * The middle joint of a limb from its two ends and its two lengths (a two-bone reach), bent to
 * the given side (+1: to the left of the line from a to b, on screen).
 */
function joint(a, b, la, lb, side) {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const d = Math.min(Math.hypot(dx, dy), la + lb - 0.01);
  const along = (la * la - lb * lb + d * d) / (2 * d);
  const off = Math.sqrt(Math.max(0, la * la - along * along));
  const ux = dx / (Math.hypot(dx, dy) || 1), uy = dy / (Math.hypot(dx, dy) || 1);
  return [a[0] + ux * along + side * uy * off, a[1] + uy * along - side * ux * off];
}

/** Joints of the side view. lift: hips up 0..1; hug: knees to chest 0..1; circle: knee offset. */
function sideJoints({ lift = 0, hug = 0, circle = [0, 0] }) {
  const hip = [HIP[0] + 10 * lift, HIP[1] - 50 * lift];
  const foot = mix(FOOT, [HUG_FOOT[0] + circle[0], HUG_FOOT[1] + circle[1]], hug);
  let knee = joint(hip, foot, THIGH, SHIN, 1);
  if (hug > 0) knee = mix(knee, [HUG_KNEE[0] + circle[0], HUG_KNEE[1] + circle[1]], hug);
  const hand = mix(HAND_DOWN, [knee[0] + 4, knee[1] + 8], hug);
  // Arms lie straight by your sides, and bend only to reach the knees.
  const elbow = mix(mix(SHOULDER, hand, UPPER_ARM / (UPPER_ARM + FOREARM)), joint(SHOULDER, hand, UPPER_ARM, FOREARM, 1), hug);
  return { hip, knee, foot, hand, elbow };
}

// The side view leaves out the empty sky above the figure; the twist view needs it.
const VIEW_BOX = { side: "0 22 400 198", twist: "0 0 400 240" };

// ---------- twist view: from the side and above ----------

// 3D: x along the body (as on screen), h height above the floor, z towards you (your right).
const TILT = (55 * Math.PI) / 180;
const MAT_MID = 130;
// A little from the feet too, so that what comes towards you also moves right on screen.
const SKEW = 0.3;
const X_OFF = 34;
const project = ([x, h, z]) => [X_OFF + x + SKEW * z, MAT_MID - h * Math.cos(TILT) + z * Math.sin(TILT)];
const MAT_HALF = 98;
const T_HIP = [196, 12, 0];
const T_SHOULDER = [92, 12, 0];
const T_HEAD = [52, 18, 0];
// Knees in: thighs up, shins level; turned about the body's long axis by the twist angle.
const T_KNEE = [-16, THIGH - 4, 0];
const T_FOOT = [-16 + SHIN - 4, THIGH - 14, 0];
const TWIST_MAX = 72;

function turned([x, h], deg) {
  const a = (deg * Math.PI) / 180;
  return [x, h * Math.cos(a), h * Math.sin(a)];
}

function twistJoints(deg) {
  const at = (v) => {
    const [x, h, z] = turned(v, deg);
    return project([T_HIP[0] + x, T_HIP[1] + h, z]);
  };
  return { hip: project(T_HIP), knee: at(T_KNEE), foot: at(T_FOOT) };
}

// ---------- what the figure does ----------

/** What the figure does at progress p (0..1) through a segment. */
export function poseAt(fig, p) {
  const pose = fig.pose || "";
  const dir = fig.direction;
  const k = fig.kind;
  if (pose === "knee-circles") {
    const cw = dir !== "anticlockwise";
    if (k === "finish") return { view: "side", hug: 1 - ease(p), arrow: null };
    if (k === "circle") {
      // Starts at the knees' resting point (their nearest to your head) and comes back to it.
      const a = 2 * Math.PI * p;
      const circle = [CIRCLE_R * (1 - Math.cos(a)), (cw ? -1 : 1) * CIRCLE_R * Math.sin(a)];
      return { view: "side", hug: 1, circle, arrow: cw ? "clockwise" : "anticlockwise" };
    }
    return { view: "side", hug: 1, arrow: k === "switch" ? (cw ? "clockwise" : "anticlockwise") : k === "intro" ? "clockwise" : null };
  }
  if (pose === "supine-twist") {
    const s = dir === "right" ? 1 : -1;
    const amt = k === "move" ? ease(p) : k === "hold" ? 1 : k === "return" ? 1 - ease(p) : 0;
    return { view: "twist", twist: s * TWIST_MAX * amt, arrow: k === "move" || k === "hold" ? dir || "left" : k === "return" ? "middle" : null };
  }
  const lift = pose === "bridge" ? (k === "lift" ? ease(p) : k === "hold" ? 1 : k === "lower" ? 1 - ease(p) : 0) : 0;
  const arrow = pose === "bridge" ? (k === "lift" ? "up" : k === "lower" ? "down" : k === "hold" ? "hold" : null) : null;
  return { view: "side", lift, arrow };
}

/** The moment that tells a segment best, for a still figure (reduced motion, the card). */
export function tellingMoment(fig) {
  return ["lift", "lower", "move", "return", "finish"].includes(fig.kind) ? 1 : fig.kind === "circle" ? 0.25 : 0.5;
}

/** The movement in plain words, for reduced motion and screen readers. */
export function figureWords(fig) {
  const pose = fig.pose || "";
  const dir = fig.direction;
  const k = fig.kind;
  if (pose === "knee-circles") {
    return { intro: "Knees hugged to your chest", circle: `Knees circling ${dir || "clockwise"}`,
      switch: "Knees still, in the middle", finish: "Feet back down to the floor" }[k] || "Knees hugged to your chest";
  }
  if (pose === "bridge") {
    return { lift: "Hips lifting", hold: "Hips up, holding", lower: "Hips lowering to the floor" }[k] || "Knees bent, feet flat on the floor";
  }
  if (pose === "supine-twist") {
    return { move: `Knees lowering to your ${dir}`, hold: `Knees to your ${dir}, holding`,
      return: "Knees back to the middle" }[k] || "Knees in, arms out in a T";
  }
  return "Lying on your back, knees bent";
}

function arrowHead(parent, [x, y], angleDeg) {
  const g = el("g", { transform: `translate(${f1(x)} ${f1(y)}) rotate(${f1(angleDeg)})` }, parent);
  el("path", { d: "M-2 -9 L13 0 L-2 9 Z", class: "fig-arrowhead" }, g);
}

/** A figure drawn into an <svg>; call update() with a pose state from poseAt(). */
export class FigureView {
  constructor(container, label = "Pose figure") {
    this.label = label;
    this.svg = el("svg", { viewBox: VIEW_BOX.side, role: "img", "aria-label": label });
    container.replaceChildren(this.svg);
    this.view = null;
  }

  /** Names the figure for screen readers (what it shows now). */
  describe(words) {
    this.svg.setAttribute("aria-label", words ? `${this.label}: ${words}` : this.label);
  }

  build(view) {
    this.svg.replaceChildren();
    this.svg.setAttribute("viewBox", VIEW_BOX[view]);
    this.view = view;
    const s = this.svg;
    if (view === "side") {
      el("rect", { x: 14, y: MAT_TOP, width: 372, height: 12, rx: 6, class: "fig-mat" }, s);
      this.legs = el("path", { class: "fig-leg" }, s);
      el("path", { d: `M${pt(SHOULDER)} L${pt(HIP)}`, class: "fig-torso" }, s);
      this.torso = s.lastChild;
      el("circle", { cx: HEAD[0], cy: HEAD[1], r: 20, class: "fig-head" }, s);
      this.arm = el("path", { class: "fig-arm" }, s);
    } else {
      const m = (x, z) => project([x, 0, z]);
      el("path", { d: `M${pt(m(-10, -MAT_HALF))} L${pt(m(296, -MAT_HALF))} L${pt(m(296, MAT_HALF))} L${pt(m(-10, MAT_HALF))} Z`, class: "fig-mat" }, s);
      // Arms out in a T, palms down: one away from you, one towards you.
      this.farLegs = el("path", { class: "fig-leg" }, s);
      el("path", { d: `M${pt(project([T_SHOULDER[0], 6, -92]))} L${pt(project([T_SHOULDER[0], 8, 0]))}`, class: "fig-arm" }, s);
      el("path", { d: `M${pt(project(T_SHOULDER))} L${pt(project(T_HIP))}`, class: "fig-torso" }, s);
      el("circle", { cx: project(T_HEAD)[0], cy: project(T_HEAD)[1], r: 20, class: "fig-head" }, s);
      el("path", { d: `M${pt(project([T_SHOULDER[0], 8, 0]))} L${pt(project([T_SHOULDER[0], 6, 92]))}`, class: "fig-arm" }, s);
      this.nearLegs = el("path", { class: "fig-leg" }, s);
    }
    this.arrowLayer = el("g", { class: "fig-arrows" }, s);
    this.arrowKey = undefined;
  }

  update(state) {
    if (state.view !== this.view) this.build(state.view);
    if (state.view === "side") {
      const j = sideJoints(state);
      this.legs.setAttribute("d", `M${pt(j.hip)} L${pt(j.knee)} L${pt(j.foot)} l22 0`);
      this.torso.setAttribute("d", `M${pt(SHOULDER)} L${pt(j.hip)}`);
      this.arm.setAttribute("d", `M${pt(SHOULDER)} L${pt(j.elbow)} L${pt(j.hand)}`);
    } else {
      const j = twistJoints(state.twist);
      const d = `M${pt(j.hip)} L${pt(j.knee)} L${pt(j.foot)}`;
      // Legs turned away from you lie behind the body; turned towards you, in front of it.
      const away = state.twist < -1;
      this.farLegs.setAttribute("d", away ? d : "");
      this.nearLegs.setAttribute("d", away ? "" : d);
    }
    if (state.arrow !== this.arrowKey) this.drawArrow(state.arrow);
  }

  drawArrow(kind) {
    this.arrowKey = kind;
    const g = this.arrowLayer;
    g.replaceChildren();
    if (!kind) return;
    const label = (x, y, text) => { el("text", { x, y, "text-anchor": "middle", class: "fig-label" }, g).textContent = text; };
    if (kind === "clockwise" || kind === "anticlockwise") {
      // A circle of arrows round the knees, turning the way they turn on screen.
      const cw = kind === "clockwise";
      const c = [HUG_KNEE[0] + CIRCLE_R, HUG_KNEE[1]];
      const r = 40;
      const a0 = Math.PI + (cw ? 0.5 : -0.5);
      const a1 = a0 + (cw ? 1 : -1) * (5 * Math.PI / 3);
      const at = (a) => [c[0] + r * Math.cos(a), c[1] + r * Math.sin(a)];
      el("path", { d: `M${pt(at(a0))} A${r} ${r} 0 1 ${cw ? 1 : 0} ${pt(at(a1))}`, class: "fig-arrow" }, g);
      arrowHead(g, at(a1), (a1 * 180) / Math.PI + (cw ? 90 : -90));
      label(c[0], c[1] - r - 12, kind);
    } else if (kind === "left" || kind === "right") {
      // An arc beside the knees' way down to that side.
      const s = kind === "right" ? 1 : -1;
      const along = (deg) => {
        const [x, h, z] = turned([T_KNEE[0], T_KNEE[1] + 14], deg);
        return project([T_HIP[0] + x - 30, T_HIP[1] + h, z]);
      };
      const steps = [8, 16, 24, 32, 40, 48, 56].map((d) => along(s * d));
      el("path", { d: `M${steps.map(pt).join(" L")}`, class: "fig-arrow" }, g);
      const [a, b] = steps.slice(-2);
      arrowHead(g, b, (Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI);
      if (s < 0) label(b[0] + 84, b[1] + 6, "to your left");
      else label(b[0] + 60, b[1] + 48, "to your right");
    } else if (kind === "middle") {
      label(project(T_HIP)[0] + 40, 22, "back to the middle");
    } else if (kind === "up" || kind === "down") {
      const x = HIP[0] + 8;
      const [y0, y1] = kind === "up" ? [MAT_TOP - 62, MAT_TOP - 118] : [MAT_TOP - 118, MAT_TOP - 62];
      el("path", { d: `M${x} ${y0} L${x} ${y1}`, class: "fig-arrow" }, g);
      arrowHead(g, [x, kind === "up" ? y1 - 4 : y1 + 4], kind === "up" ? -90 : 90);
      label(x, MAT_TOP - 132, kind === "up" ? "hips up" : "hips down");
    } else if (kind === "hold") {
      label(HIP[0] + 8, MAT_TOP - 118, "hold");
    }
  }
}

/** A still figure for a pose at its most telling moment (for the routine card). */
export function stillFigure(container, pose, label) {
  const view = new FigureView(container, label);
  const kind = pose === "bridge" ? "hold" : pose === "supine-twist" ? "hold" : pose === "knee-circles" ? "circle" : "rest";
  const direction = pose === "supine-twist" ? "left" : pose === "knee-circles" ? "clockwise" : null;
  const fig = { pose, kind, direction };
  view.update(poseAt(fig, tellingMoment(fig)));
  view.describe(figureWords(fig));
  return view;
}
