// Text that fits its area: each fitted element keeps the font size its stylesheet gives (the
// largest wanted) when its words fit inside its box, and otherwise gets the largest size that
// does, found by halving the interval. Words are measured by their glyphs (a Range over the
// element's contents), so text that would spill out of the box, or be cut by it, counts.

const range = typeof document === "undefined" ? null : document.createRange();

function fits(el) {
  range.selectNodeContents(el);
  const t = range.getBoundingClientRect();
  const b = el.getBoundingClientRect();
  return t.top >= b.top - 0.5 && t.bottom <= b.bottom + 0.5 && t.left >= b.left - 0.5 && t.right <= b.right + 0.5;
}

/** Fits one element's text to its box, no smaller than minPx. */
export function fitText(el, minPx = 11) {
  el.style.fontSize = "";
  if (!el.textContent.trim() || el.getClientRects().length === 0 || fits(el)) return;
  let hi = parseFloat(getComputedStyle(el).fontSize);
  let lo = Math.min(minPx, hi);
  for (let i = 0; i < 9 && hi - lo > 0.5; i++) {
    const mid = (lo + hi) / 2;
    el.style.fontSize = `${mid}px`;
    if (fits(el)) lo = mid;
    else hi = mid;
  }
  el.style.fontSize = `${Math.floor(lo * 2) / 2}px`;
}

/**
 * Keeps the text of `elements` fitted: call `refit()` after changing any of their words; an
 * element whose box changes size is refitted by itself. Returns `{ refit, stop }`.
 */
export function keepFitted(elements, minPx) {
  const observer = new ResizeObserver((entries) => { for (const e of entries) fitText(e.target, minPx); });
  for (const el of elements) observer.observe(el);
  return { refit: () => { for (const el of elements) fitText(el, minPx); }, stop: () => observer.disconnect() };
}
