// Pose figures: simple, friendly SVG people driven by keyframes for each pose and segment kind.
// Bridge and rest are seen from the side (head on the left); knee circles and the twist are seen
// as you see your own knees when you look down your body, so "clockwise" and "to your left" on
// screen match what you do.

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const lerp = (a, b, t) => a + (b - a) * t;
const ease = (t) => 0.5 - Math.cos(Math.PI * Math.min(1, Math.max(0, t))) / 2;

// Side view joints: knees bent, feet flat (DOWN); hips lifted (UP).
const DOWN = { sh: [92, 204], hip: [205, 204], knee: [268, 136], foot: [322, 212] };
const UP = { sh: [92, 204], hip: [206, 146], knee: [290, 120], foot: [322, 212] };

function sidePath(lift) {
  const p = (k) => [lerp(DOWN[k][0], UP[k][0], lift), lerp(DOWN[k][1], UP[k][1], lift)];
  const [sh, hip, knee, foot] = ["sh", "hip", "knee", "foot"].map(p);
  return `M${sh} L${hip} L${knee} L${foot} l28 0`;
}

// End view: hips and how far the knees reach.
const HIPS = [[182, 214], [218, 214]];
const THIGH = 104;

function kneesAt(twistDeg, circle) {
  const a = (twistDeg * Math.PI) / 180;
  const [dx, dy] = circle || [0, 0];
  return HIPS.map(([x, y]) => [x + THIGH * Math.sin(a) + dx, y - THIGH * Math.cos(a) + dy]);
}

/** What the figure does at progress p (0..1) through a segment. */
export function poseAt(fig, p) {
  const pose = fig.pose || "";
  const dir = fig.direction;
  const k = fig.kind;
  if (pose === "knee-circles") {
    let circle = null;
    if (k === "circle") {
      const s = dir === "anticlockwise" ? -1 : 1;
      const th = -Math.PI / 2 + s * 2 * Math.PI * p;
      circle = [22 * Math.cos(th), 22 * Math.sin(th) + 22];
    }
    return { view: "end", twist: 0, circle, arrow: k === "circle" || k === "intro" || k === "switch" ? dir || "clockwise" : null };
  }
  if (pose === "supine-twist") {
    const s = dir === "right" ? 1 : -1;
    const amt = k === "move" ? ease(p) : k === "hold" ? 1 : k === "return" ? 1 - ease(p) : 0;
    return { view: "end", twist: s * 62 * amt, circle: null, arrow: k === "move" || k === "hold" ? dir : null };
  }
  const lift = pose === "bridge"
    ? (k === "lift" ? ease(p) : k === "hold" ? 1 : k === "lower" ? 1 - ease(p) : 0)
    : 0;
  const arrow = pose === "bridge" ? (k === "lift" ? "up" : k === "lower" ? "down" : null) : null;
  return { view: "side", lift, arrow };
}

function arrowHead(parent, x, y, angle) {
  const g = el("g", { transform: `translate(${x} ${y}) rotate(${angle})` }, parent);
  el("path", { d: "M0 -9 L14 0 L0 9 Z", class: "fig-arrowhead" }, g);
}

/** A figure drawn into an <svg>; call update() with a pose state. */
export class FigureView {
  constructor(container, label = "Pose figure") {
    this.svg = el("svg", { viewBox: "0 0 400 260", role: "img", "aria-label": label });
    container.replaceChildren(this.svg);
    this.view = null;
  }

  build(view) {
    this.svg.replaceChildren();
    this.view = view;
    el("line", { x1: 20, y1: 226, x2: 380, y2: 226, class: "fig-floor" }, this.svg);
    if (view === "side") {
      el("circle", { cx: 64, cy: 196, r: 22, class: "fig-head" }, this.svg);
      el("path", { d: "M100 214 L172 218", class: "fig-limb" }, this.svg);
      this.body = el("path", { d: sidePath(0), class: "fig-body" }, this.svg);
    } else {
      el("rect", { x: 112, y: 202, width: 176, height: 44, rx: 22, class: "fig-torso" }, this.svg);
      this.legs = HIPS.map(() => el("path", { d: "", class: "fig-limb" }, this.svg));
      this.knees = HIPS.map(() => el("circle", { r: 11, class: "fig-head" }, this.svg));
    }
    this.arrowLayer = el("g", {}, this.svg);
    this.arrowKey = undefined;
  }

  update(state) {
    if (state.view !== this.view) this.build(state.view);
    if (state.view === "side") {
      this.body.setAttribute("d", sidePath(state.lift));
    } else {
      kneesAt(state.twist, state.circle).forEach(([x, y], i) => {
        const [hx, hy] = HIPS[i];
        this.legs[i].setAttribute("d", `M${hx} ${hy} L${x.toFixed(1)} ${y.toFixed(1)}`);
        this.knees[i].setAttribute("cx", x.toFixed(1));
        this.knees[i].setAttribute("cy", y.toFixed(1));
      });
    }
    if (state.arrow !== this.arrowKey) this.drawArrow(state.arrow);
  }

  drawArrow(kind) {
    this.arrowKey = kind;
    const g = this.arrowLayer;
    g.replaceChildren();
    if (!kind) return;
    if (kind === "clockwise" || kind === "anticlockwise") {
      const cw = kind === "clockwise";
      // An arc of 300 degrees around the knees, with its head at the end.
      const cx = 200, cy = 110, r = 58;
      const a0 = -Math.PI / 2 + (cw ? 0.35 : -0.35);
      const a1 = a0 + (cw ? 1 : -1) * (5 * Math.PI / 3);
      const pt = (a) => [cx + r * Math.cos(a), cy + r * Math.sin(a)];
      const [x0, y0] = pt(a0);
      const [x1, y1] = pt(a1);
      el("path", { d: `M${x0} ${y0} A${r} ${r} 0 1 ${cw ? 1 : 0} ${x1} ${y1}`, class: "fig-arrow" }, g);
      const tangent = (a1 * 180) / Math.PI + (cw ? 90 : -90);
      arrowHead(g, x1, y1, tangent);
      el("text", { x: 200, y: 34, "text-anchor": "middle", class: "fig-label" }, g).textContent = kind;
    } else if (kind === "left" || kind === "right") {
      const s = kind === "left" ? -1 : 1;
      el("path", { d: `M${200 + s * 30} 60 L${200 + s * 130} 60`, class: "fig-arrow" }, g);
      arrowHead(g, 200 + s * 136, 60, s > 0 ? 0 : 180);
      el("text", { x: 200 + s * 80, y: 40, "text-anchor": "middle", class: "fig-label" }, g).textContent = `to your ${kind}`;
    } else {
      const up = kind === "up";
      el("path", { d: up ? "M206 110 L206 50" : "M206 50 L206 110", class: "fig-arrow" }, g);
      arrowHead(g, 206, up ? 44 : 116, up ? -90 : 90);
    }
  }
}

/** A still figure for a pose at its most telling moment (for the routine card). */
export function stillFigure(container, pose, label) {
  const view = new FigureView(container, label);
  const kind = pose === "bridge" ? "hold" : pose === "supine-twist" ? "hold" : pose === "knee-circles" ? "intro" : "rest";
  const direction = pose === "supine-twist" ? "left" : pose === "knee-circles" ? "clockwise" : null;
  view.update(poseAt({ pose, kind, direction }, 0.5));
  return view;
}
