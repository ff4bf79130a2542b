// Time to first render of supine's pages in headless Chromium: first contentful paint, and the
// moment the page's own content is on screen (an upper bound: it includes the test driver's
// round trip), median of 10 fresh loads.
import { chromium } from "playwright-core";

const base = process.env.BENCH_BASE;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(url, ready) {
  const fcp = [], content = [];
  for (let i = 0; i < 10; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForSelector(ready);
    const t = await page.evaluate((sel) => new Promise((res) => {
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      res({ fcp: paint ? paint.startTime : NaN, now: performance.now(), ready: Boolean(document.querySelector(sel)) });
    }), ready);
    fcp.push(t.fcp);
    content.push(t.now);
    await ctx.close();
  }
  return { fcp: median(fcp), content: median(content) };
}

const today = await measure(base, "#start");
console.log(`first render, Today page: first contentful paint ${today.fcp.toFixed(0)} ms; content drawn by ${today.content.toFixed(0)} ms (medians of 10)`);
const res = await fetch(`${base}api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"pain_before\": 2}" });
const { id } = await res.json();
const session = await measure(`${base}#/session/${id}`, "#instruction:not(:empty)");
console.log(`first render, session page: first contentful paint ${session.fcp.toFixed(0)} ms; instruction drawn by ${session.content.toFixed(0)} ms (medians of 10)`);
await browser.close();
