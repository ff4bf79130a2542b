// Bounding-box checks of the session player: every area that shows something (figure, breath
// ring, title, instruction, counter, controls, and the quieter lines around them) must lie inside
// the viewport and must not touch another. Text is measured by its glyphs (a Range over its
// contents), not by its box, so words that spill out of a clipped or too-small area count.

/** Runs in the page: the rectangles of every visible player area (or of the open prompt). */
function measureInPage() {
  const vis = (e) => e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const rect = (r) => ({ x: r.left, y: r.top, w: r.width, h: r.height });
  const textRect = (e) => {
    if (!vis(e) || !e.textContent.trim()) return null;
    const range = document.createRange();
    range.selectNodeContents(e);
    const r = range.getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? rect(r) : null;
  };
  const union = (els) => {
    const rs = els.filter(vis).map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
    if (!rs.length) return null;
    const x0 = Math.min(...rs.map((r) => r.left)), y0 = Math.min(...rs.map((r) => r.top));
    const x1 = Math.max(...rs.map((r) => r.right)), y1 = Math.max(...rs.map((r) => r.bottom));
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  };
  const q = (s) => document.querySelector(s);
  const prompt = q(".prompt");
  const parts = {};
  let ring = null;
  if (prompt && !prompt.hidden) {
    parts.question = textRect(q("#prompt-text"));
    parts.answers = union([...prompt.querySelectorAll(".box button, .box a")]);
    for (const [i, e] of [...prompt.querySelectorAll(".box p:not(#prompt-text)")].entries()) {
      if (!e.closest(".answers")) parts[`message${i}`] = textRect(e);
    }
  } else {
    const pbar = q(".pbar");
    parts.bar = pbar ? union([...pbar.children]) : null;
    parts.figure = vis(q(".figure svg")) ? rect(q(".figure svg").getBoundingClientRect()) : null;
    const ringSvg = q(".ring svg");
    parts.ring = vis(ringSvg) ? rect(ringSvg.getBoundingClientRect()) : null;
    parts.title = textRect(q("#pose-title"));
    parts.instruction = textRect(q("#instruction"));
    parts.counter = textRect(q("#counter"));
    parts.why = textRect(q("#why"));
    parts.caption = textRect(q("#caption"));
    parts.next = textRect(q("#next"));
    parts.controls = union([...document.querySelectorAll(".controls button")]);
    parts.keys = textRect(q(".keys"));
    parts.notices = textRect(q("#sound-notice"));
    const word = textRect(q("#breath-word"));
    if (parts.ring && word) ring = { ring: parts.ring, word };
  }
  for (const k of Object.keys(parts)) if (!parts[k]) delete parts[k];
  const instruction = q("#instruction");
  return {
    vw: innerWidth,
    vh: innerHeight,
    parts,
    ring,
    instruction: instruction && vis(instruction) && !(prompt && !prompt.hidden)
      ? { text: instruction.textContent, fontPx: parseFloat(getComputedStyle(instruction).fontSize) }
      : null,
  };
}

/** Waits until layout (and anything fitted to it) has settled for two frames. */
export async function settle(page) {
  await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(() => res()))));
}

export async function measure(page) {
  await settle(page);
  return page.evaluate(measureInPage);
}

const SLACK = 0.5;

/** Every problem with one measurement, as readable strings (empty when the layout is right). */
export function problems(m, { shortCue = 40, minShare = 0.06 } = {}) {
  const out = [];
  const names = Object.keys(m.parts);
  for (const n of names) {
    const r = m.parts[n];
    if (r.x < -SLACK || r.y < -SLACK || r.x + r.w > m.vw + SLACK || r.y + r.h > m.vh + SLACK) {
      out.push(`${n} lies outside the ${m.vw}x${m.vh} viewport: ${fmt(r)}`);
    }
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = m.parts[names[i]], b = m.parts[names[j]];
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > SLACK && dy > SLACK) out.push(`${names[i]} ${fmt(a)} overlaps ${names[j]} ${fmt(b)}`);
    }
  }
  if (m.ring) {
    // The breath word sits inside the ring's circle (radius 96 of the 200-unit view box).
    const { ring, word } = m.ring;
    const cx = ring.x + ring.w / 2, cy = ring.y + ring.h / 2, r = (Math.min(ring.w, ring.h) / 2) * 0.96;
    const corners = [[word.x, word.y], [word.x + word.w, word.y], [word.x, word.y + word.h], [word.x + word.w, word.y + word.h]];
    if (corners.some(([x, y]) => Math.hypot(x - cx, y - cy) > r + SLACK)) {
      out.push(`the breath word ${fmt(word)} spills out of the ring ${fmt(ring)}`);
    }
  }
  if (m.instruction && m.instruction.text.length <= shortCue && m.instruction.fontPx < minShare * m.vh - SLACK) {
    out.push(`short instruction "${m.instruction.text}" is ${m.instruction.fontPx.toFixed(1)} px, under ${(minShare * 100).toFixed(0)}% of ${m.vh} px`);
  }
  return out;
}

function fmt(r) {
  return `[${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.w)}x${Math.round(r.h)}]`;
}
