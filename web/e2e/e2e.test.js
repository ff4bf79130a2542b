// End-to-end: the real `supine serve` binary, a temporary journal, a sped-up clock, and Debian's
// headless Chromium driven by playwright-core. Walks a whole session from the Start button,
// checks the cues, pause, "this hurts", the journal and progress, and saves a screenshot of every
// page under target/e2e/.
//
// SUPINE_BIN must point at the built binary (.ci/run sets it). While working on the page,
// SUPINE_E2E_WEB=DIR serves the page's own files from DIR (e.g. `..`) instead of the copies
// compiled into the binary, so a change to web/ needs no rebuild; CI tests the compiled ones.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { measure, problems } from "./layout.js";

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, "../../target/e2e");
const SPEED = Number(process.env.SUPINE_E2E_SPEED || 30);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  // Another name for 127.0.0.1, for the page opened as it would be from another device.
  "--host-resolver-rules=MAP supine.test 127.0.0.1",
  // Pages answered from disk (SUPINE_E2E_WEB) have no address, so Chromium would block their
  // WebSocket to 127.0.0.1 as a public page reaching into the local network.
  ...(process.env.SUPINE_E2E_WEB ? ["--disable-features=LocalNetworkAccessChecks"] : [])];

let server, base, context, page, tmp;

function startServer(bin, dir, { speed = SPEED, args = [], port = 0, db = join(dir, "journal.db") } = {}) {
  return new Promise((res, rej) => {
    const child = spawn(bin, ["serve", "--port", String(port), "--speed", String(speed), "--db", db, ...args], {
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => rej(new Error(`server did not print its address: ${out}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); res({ child, url: m[0], port: Number(m[1]), dir }); }
    });
    child.on("exit", (code) => rej(new Error(`server exited with ${code}: ${out}`)));
  });
}

const extraServers = [];

/** Another server with a journal of its own (stopped after the suite). */
async function freshServer(opts) {
  const dir = mkdtempSync(join(tmp, "srv-"));
  const s = await startServer(process.env.SUPINE_BIN, dir, opts);
  extraServers.push(s.child);
  return s;
}

async function shot(name, p = page) {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function api(path, init) {
  const res = await fetch(base + path.replace(/^\//, ""), init);
  return res.json();
}

before(async () => {
  const bin = process.env.SUPINE_BIN;
  assert.ok(bin, "set SUPINE_BIN to the supine binary");
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "supine-e2e-"));
  const s = await startServer(bin, tmp);
  server = s.child;
  base = s.url;
  context = await chromium.launchPersistentContext(join(tmp, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  if (process.env.SUPINE_E2E_WEB) await servePageFrom(context, resolve(process.env.SUPINE_E2E_WEB));
  page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
});

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

/** Answers every request for the page's files from `dir`; the API still goes to the server. */
async function servePageFrom(ctx, dir) {
  await ctx.route((url) => !url.pathname.startsWith("/api/"), async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dir, path === "/" ? "index.html" : path);
    if (!file.startsWith(dir) || !existsSync(file)) return route.continue();
    return route.fulfill({ body: readFileSync(file), contentType: TYPES[extname(file)] || "application/octet-stream" });
  });
}

after(async () => {
  await context?.close();
  server?.kill("SIGINT");
  for (const c of extraServers) c.kill("SIGINT");
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("today shows the routine, its length and a big Start button", async () => {
  await page.goto(base);
  await page.locator("#start").waitFor();
  assert.match(await page.locator("h1").textContent(), /Lying-down relief/);
  assert.match(await page.locator(".meta").textContent(), /about \d+ minutes/);
  assert.match(await page.locator("#streak").textContent(), /Start a streak/);
  const box = await page.locator("#start").boundingBox();
  assert.ok(box.height >= 64, `Start is big enough to hit: ${box.height}px`);
  await shot("01-today-empty");
});

/** "Skip this question" on the where-it-hurts screen. */
async function skipWhere() {
  await page.locator(".where").waitFor();
  await page.click(".skip-where");
}

/** The start flow: the full screening (a fresh one stands for today's check) or today's check. */
async function throughScreening(painBefore, { full, where = skipWhere, followUp = null }) {
  await page.click("#start");
  if (full) {
    await page.locator(".question .count").waitFor();
    assert.match(await page.locator(".question .count").textContent(), /Question 1 of 17/);
    await shot("02-screening-question");
    for (let i = 0; i < 17; i++) {
      await page.locator(`.question .count:text("Question ${i + 1} of 17")`).waitFor();
      await page.click("button[data-answer=no]");
    }
  } else {
    // A clear check stands for an hour, so within the suite it is asked again only with a
    // follow-up on the last session, which comes first.
    if (followUp) {
      await page.locator(".question .count:text('Before you start: 1 of 2')").waitFor();
      assert.equal(await page.locator("#q-text").textContent(), followUp);
      await shot("03b-follow-up-check");
      await page.click("button[data-answer=no]");
      await page.locator(".question .count:text('Before you start: 2 of 2')").waitFor();
      await shot("03-daily-check");
      await page.click("button[data-answer=no]");
    }
  }
  await page.locator(".painscale").waitFor();
  if (full) await shot("04-pain-before");
  await page.click(`.painscale button[data-pain="${painBefore}"]`);
  if (painBefore > 0) await where();
  await page.locator(".player").waitFor();
  await page.waitForURL(/#\/session\/\d+/);
  return Number(page.url().match(/session\/(\d+)/)[1]);
}

let firstId;

test("a whole session plays from the floor: cues in order, pause holds time, pain after", async () => {
  // Where it hurts, by keyboard alone: Space toggles, Tab moves on.
  const where = async () => {
    await page.locator(".where").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.dataset.area), "lower_back");
    const pressed = (sel) => page.locator(sel).getAttribute("aria-pressed");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    assert.equal(await pressed("[data-spreads=true]"), "true");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    assert.equal(await pressed("[data-spreads=true]"), "false", "one answer at a time");
    assert.equal(await pressed("[data-spreads=false]"), "true");
    assert.equal(await pressed("[data-area=lower_back]"), "true");
    assert.equal(await pressed("[data-area=hips]"), "false");
    assert.equal(await pressed("[data-area=leg]"), "true");
    const box = await page.locator("[data-area=hips]").boundingBox();
    assert.ok(box.height >= 64, `toggles are big enough to hit: ${box.height}px`);
    await shot("04b-where-it-hurts");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "where-go");
    await page.keyboard.press("Enter");
  };
  firstId = await throughScreening(5, { full: true, where });
  const plan = (await api(`/api/sessions/${firstId}`)).view;
  assert.equal(plan.screen.screen, "playing");
  // The first cue is spoken (captioned, and announced through aria-live).
  await page.locator("#cue-log li").first().waitFor({ state: "attached" });
  assert.match(await page.locator("#cue-log li").first().textContent(), /Settle in/);
  await page.waitForFunction(() => document.querySelector("#pose-title").textContent === "Hip rotations");
  // What comes next is named with what it follows, and the time is the whole routine's, so
  // "0:04 left ... next: Bridge" can no longer read as "Bridge in 4 s".
  assert.equal(await page.locator("#next").textContent(), "After Hip rotations: Bridge");
  assert.match(await page.locator("#time-left").textContent(), /^\d+:\d\d left in total$/);
  await shot("05-player-knee-circles");

  // Pause: everything stops, and time does not move.
  await page.keyboard.press(" ");
  await page.locator("#breath-word:text('Paused')").waitFor();
  const held = (await api(`/api/sessions/${firstId}`)).view.total_left_ms;
  const instruction = await page.locator("#instruction").textContent();
  await page.waitForTimeout(1500);
  assert.equal((await api(`/api/sessions/${firstId}`)).view.total_left_ms, held, "paused time must not move");
  assert.equal(await page.locator("#instruction").textContent(), instruction);
  await shot("06-player-paused");
  await page.keyboard.press(" ");
  await page.locator("#breath-word:text-matches('Breathe (in|out)')").waitFor();

  await page.waitForFunction(() => document.querySelector("#pose-title").textContent === "Bridge", null, { timeout: 60000 });
  await page.waitForFunction(() => /lift your hips/.test(document.querySelector("#instruction").textContent), null, { timeout: 20000 });
  await shot("07-player-bridge");
  await page.waitForFunction(() => document.querySelector("#pose-title").textContent.includes("twist"), null, { timeout: 60000 });
  await page.waitForFunction(() => /left side/.test(document.querySelector("#counter").textContent), null, { timeout: 20000 });
  await shot("08-player-twist");

  // The end: "how is your pain now?"
  await page.locator(".prompt .painscale").waitFor({ timeout: 90000 });
  await shot("09-pain-after");
  await page.keyboard.press("2");
  await page.locator(".prompt a[href='#/progress']").waitFor();
  await page.locator(".prompt .streak").waitFor();
  await shot("10-well-done");

  const cues = await page.locator("#cue-log li").allTextContents();
  // The end and the pain question are said in one breath (one utterance, so neither cuts off
  // the other).
  const order = ["Settle in", "Hip rotations", "Bridge", "twist", "Rest", "whole routine. Well done. How is your pain now"];
  let at = -1;
  for (const word of order) {
    const i = cues.findIndex((c, k) => k > at && c.includes(word));
    assert.ok(i > at, `cue with "${word}" after position ${at}; cues: ${JSON.stringify(cues)}`);
    at = i;
  }
  assert.ok(cues.some((c) => /^(Two|Three)\.$/.test(c)), "counts are spoken");
});

test("the journal has the session, and progress shows it", async () => {
  const sessions = await api("/api/sessions?limit=5");
  assert.equal(sessions[0].id, firstId);
  assert.equal(sessions[0].status, "finished");
  assert.equal(sessions[0].end_reason, "completed");
  assert.equal(sessions[0].pain_before, 5);
  assert.equal(sessions[0].pain_after, 2);
  assert.deepEqual(sessions[0].pain_areas, ["lower_back", "leg"]);
  assert.equal(sessions[0].pain_spreads, false);
  assert.equal(sessions[0].segments_done, sessions[0].segments_total);
  await page.click(".prompt a[href='#/progress']");
  await page.locator("#p-streak").waitFor();
  assert.match(await page.locator("#p-streak").textContent(), /^1/);
  assert.match(await page.locator("#p-sessions").textContent(), /^1/);
  assert.equal(await page.locator("#c-pain ~ div svg polyline").count(), 2);
  // The two-week rule, in the core's words: one day of scores is too early to tell.
  assert.match(await page.locator("#p-advice").textContent(), /1 day\(s\) of pain scores so far/);
  assert.equal(await page.locator("#c-trend ~ div svg polyline.mean").count(), 1);
  assert.equal(await page.locator("#p-markers").count(), 0, "no meaningful change after one day");
  await shot("11-progress");
});

test("'this hurts' follows the stop rule: pain down a leg stops the session, its advice stays, pain after is asked", async () => {
  await page.goto(base);
  await page.locator("#start").waitFor();
  assert.match(await page.locator("#streak").textContent(), /1 day in a row/);
  const id = await throughScreening(3, { full: false });
  await page.waitForFunction(() => document.querySelector("#pose-title").textContent === "Hip rotations", null, { timeout: 30000 });
  await page.keyboard.press("h");
  await page.locator(".prompt .painscale").waitFor();
  await shot("12-this-hurts");
  await page.click(".prompt button[data-pain='4']");
  await page.locator("#prompt-text:text('Is it a sharp pain?')").waitFor();
  await page.click(".prompt button[data-answer=no]");
  await page.locator("#prompt-text:text('spreading down a leg')").waitFor();
  await page.click(".prompt button[data-answer=yes]");
  await page.locator("#prompt-text:text('numbness')").waitFor();
  await page.click(".prompt button[data-answer=no]");
  // The advice on screen, and the pain after asked (not copied from the "this hurts" score).
  await page.locator("#advice:text('stop here for today')").waitFor();
  await page.locator("#prompt-text:text('How is your pain now')").waitFor();
  await shot("13-stopped-for-safety-pain-after");
  await page.keyboard.press("5");
  // The end: the advice again, to hear again; no "well done", no streak.
  await page.locator("#prompt-text[role=alert]:text('stop here for today')").waitFor();
  await page.locator("#say-again").waitFor();
  const box = await page.locator(".prompt .box").textContent();
  assert.doesNotMatch(box, /well done/i);
  assert.equal(await page.locator(".prompt .streak").count(), 0);
  const cues = await page.locator("#cue-log li").allTextContents();
  assert.ok(cues.some((c) => c.includes("stop here for today")), "the advice is spoken");
  assert.ok(!cues.some((c) => /well done/i.test(c)), `no "well done" spoken: ${JSON.stringify(cues.slice(-3))}`);
  await shot("13b-stopped-for-safety-end");
  const s = (await api("/api/sessions?limit=1"))[0];
  assert.equal(s.id, id);
  assert.equal(s.end_reason, "stopped_for_safety");
  assert.equal(s.pain_after, 5);
  // Once the player has closed, Today shows the advice again.
  await page.click(".prompt a[href='#/']");
  await page.locator("#last-advice:has-text('stop here for today')").waitFor();
  assert.equal(await page.locator("#streak").count(), 0, "no streak beside the advice");
  await shot("13c-today-after-safety-stop");
});

test("mild pain offers carry on gently, an easier version or a skip, and the choice is kept", async () => {
  // The check before this session asks first about what stopped the last one.
  await page.goto(base);
  await page.locator("#start").waitFor();
  await throughScreening(3, { full: false, followUp: "Last time you stopped because pain spread down a leg. Is it still spreading?" });
  await page.waitForFunction(() => document.querySelector("#pose-title").textContent === "Hip rotations", null, { timeout: 30000 });
  const mildPain = async () => {
    await page.keyboard.press("h");
    await page.locator(".prompt .painscale").waitFor();
    await page.keyboard.press("3");
    for (const q of ["sharp", "spreading", "numbness"]) {
      await page.locator(`#prompt-text:text("${q}")`).waitFor();
      await page.keyboard.press("n");
    }
    await page.locator(".prompt button[data-choice=skip]").waitFor();
  };
  await mildPain();
  assert.deepEqual(await page.locator(".prompt button[data-choice]").evaluateAll((bs) => bs.map((b) => b.textContent)),
    ["Carry on gently", "Try an easier version", "Skip this pose", "End for today"]);
  await shot("14-hurt-choices");
  // Carry on gently: the same pose goes on.
  await page.click(".prompt button[data-choice=resume]");
  await page.locator(".prompt").waitFor({ state: "hidden" });
  assert.equal(await page.locator("#pose-title").textContent(), "Hip rotations");
  await page.waitForFunction(() => [...document.querySelectorAll("#cue-log li")].some((li) => li.textContent.includes("Carry on gently")));
  await mildPain();
  await page.click(".prompt button[data-choice=skip]");
  await page.waitForFunction(() => !document.querySelector("#pose-title").textContent.includes("Hip rotations"));
  await page.keyboard.press("Escape");
  await page.locator("#prompt-text:text('End the session now?')").waitFor();
  await page.keyboard.press("y");
  await page.locator(".prompt .painscale").waitFor();
  await page.keyboard.press("3");
  await page.locator(".prompt a[href='#/']").waitFor();
  const s = (await api("/api/sessions?limit=1"))[0];
  assert.equal(s.end_reason, "quit");
  assert.deepEqual(s.pain_areas, [], "skipped: nothing stored");
  assert.equal(s.pain_spreads, null);
  const full = await api(`/api/progress`);
  assert.equal(full.sessions, 3);
});

test("settings: a plan preview, validation, and a link that reproduces them", async () => {
  await page.goto(base + "#/settings");
  await page.locator("#preview").waitFor();
  const before = await page.locator("#preview").textContent();
  await page.fill("input[name=minutes]", "6");
  await page.waitForFunction((b) => document.querySelector("#preview").textContent !== b, before);
  assert.match(await page.locator("#preview").textContent(), /about [4-8] minutes/);
  await page.fill("input[name=exhale]", "30");
  await page.locator(".error").waitFor();
  assert.match(await page.locator(".error").textContent(), /exhale_ms/);
  await page.fill("input[name=exhale]", "7");
  await page.click("form.settings button[type=submit]");
  await page.locator("#settings-status:text('Saved')").waitFor();
  // On 127.0.0.1 a link would open nowhere else: the settings code works on any machine.
  assert.equal(await page.locator("#share-link").isVisible(), false);
  await page.locator("#no-link").waitFor();
  assert.equal(await page.locator("#settings-code").textContent(),
    "supine practice --routine lying-down-relief --minutes 6 --level standard --inhale 4 --exhale 7");
  await shot("15-settings");
  // The code, pasted into a fresh page (as on another device), fills in the same settings.
  const other = await context.newPage();
  await other.goto(base + "#/settings");
  await other.fill("#code-input", "zzz");
  await other.click("form.code button[type=submit]");
  await other.locator("#code-status:text('did not work')").waitFor();
  await other.fill("#code-input", "supine practice --routine lying-down-relief --minutes 8 --level gentle --inhale 4 --exhale 7 --easier");
  await other.click("form.code button[type=submit]");
  await other.locator("#from-link").waitFor();
  assert.equal(await other.locator("input[name=minutes]").inputValue(), "8");
  assert.equal(await other.locator("input[name=exhale]").inputValue(), "7");
  assert.equal(await other.locator("select[name=level]").inputValue(), "gentle");
  assert.equal(await other.locator("input[name=easier]").isChecked(), true);
  await other.close();
});

test("settings code and link: each reads back what it says", async () => {
  const { parseSettingsCode, settingsCode, isLoopbackHost } = await import("../share.js");
  const s = { routine: "lying-down-relief", minutes: 12.5, level: "gentle", inhale_ms: 4500, exhale_ms: 7000, easier: true };
  const q = parseSettingsCode(settingsCode(s));
  assert.deepEqual(Object.fromEntries(q), { minutes: "12.5", easier: "1", routine: "lying-down-relief", level: "gentle", inhale: "4.5", exhale: "7" });
  assert.deepEqual(Object.fromEntries(parseSettingsCode("--level=standard")), { minutes: "", easier: "0", level: "standard" });
  // The terminal's way back from a remembered --easier reads as not easier.
  assert.equal(parseSettingsCode("supine practice --easier --no-easier").get("easier"), "0");
  assert.equal(parseSettingsCode("http://yoga.lan:8090/#/settings?minutes=9").get("minutes"), "9");
  assert.throws(() => parseSettingsCode("supine practice --minutes 500"), /--minutes needs a number from 1 to 60 \(got "500"\)/);
  assert.throws(() => parseSettingsCode("supine practice --voice off"), /"--voice" is not part of a settings code/);
  assert.throws(() => parseSettingsCode("  "), /paste a settings code/);
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "[::1]", "app.localhost"]) assert.ok(isLoopbackHost(h), h);
  for (const h of ["192.168.1.20", "yoga.lan", "[fe80::1]"]) assert.ok(!isLoopbackHost(h), h);
});

test("a page opened by another name offers a link on that name", async () => {
  const srv = await freshServer({ args: ["--host-name", "supine.test"] });
  const p = await context.newPage();
  try {
    await p.goto(`http://supine.test:${srv.port}/#/settings`);
    await p.locator("#share-link").waitFor();
    assert.match(await p.locator("#share-link").getAttribute("href"), new RegExp(`^http://supine\\.test:${srv.port}/#/settings\\?minutes=`));
    assert.equal(await p.locator("#no-link").count(), 0);
  } finally {
    await p.close();
  }
});

test("routine card: each pose with its figure, steps and why it helps; print styles", async () => {
  await page.goto(base + "#/card");
  await page.locator(".card-pose").first().waitFor();
  assert.equal(await page.locator(".card-pose").count(), 3);
  assert.equal(await page.locator(".card-pose svg").count(), 3);
  assert.match(await page.locator(".card-pose").first().textContent(), /Why it helps/);
  await shot("16-card");
  await page.emulateMedia({ media: "print" });
  await shot("17-card-print");
  assert.equal(await page.locator(".top").isVisible(), false);
  await page.emulateMedia({ media: "screen" });
});

test("light theme, a 360 px phone, reduced motion, and keyboard-only use", async () => {
  await page.goto(base);
  await page.locator("#start").waitFor();
  await page.click("#theme");
  await shot("18-today-light");
  await page.click("#theme");
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 360, height: 740 });
  await phone.emulateMedia({ reducedMotion: "reduce" });
  await phone.goto(base);
  await phone.locator("#start").waitFor();
  await shot("19-today-phone", phone);
  await phone.goto(base + "#/progress");
  await phone.locator("#p-streak").waitFor();
  await shot("20-progress-phone", phone);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no sideways scrolling at 360 px (${width})`);
  // Keyboard only: Tab reaches Start and Enter follows it.
  await phone.goto(base);
  await phone.locator("#start").waitFor();
  let focused = "";
  for (let i = 0; i < 12 && focused !== "start"; i++) {
    await phone.keyboard.press("Tab");
    focused = await phone.evaluate(() => document.activeElement.id);
  }
  assert.equal(focused, "start");
  await phone.keyboard.press("Enter");
  // Today's check was answered clear within the hour: straight to the pain question.
  await phone.locator(".painscale").waitFor();
  await phone.keyboard.press("Tab");
  await shot("21-pain-before-phone", phone);
  await phone.close();
});

test("the API is documented, and errors are JSON", async () => {
  const doc = await api("/api/openapi.json");
  assert.equal(doc.openapi, "3.1.0");
  const res = await page.evaluate(async () => {
    const r = await fetch("/api/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pain_before: 11 }) });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(res.status, 422);
  assert.match(res.body.error, /0 \(no pain\) to 10/);
});

// ---------- the player's layout, over the whole routine ----------

const VIEWPORTS = [[1280, 800], [1024, 768], [768, 1024], [390, 844], [360, 640]];

/** Safety questions, daily check and a session started through the API, from the page itself. */
async function startByApi(p, { pain = 3, settings } = {}) {
  return p.evaluate(async ({ pain, settings }) => {
    const call = async (path, method, body) => {
      const r = await fetch(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const data = await r.json();
      if (!r.ok) throw new Error(`${path}: ${data.error}`);
      return data;
    };
    const s = await fetch("/api/screening").then((r) => r.json());
    if (s.status.due) await call("/api/screening", "POST", { answers: Object.fromEntries(s.questions.map((q) => [q.id, "no"])) });
    if (settings) await call("/api/settings", "PUT", { ...(await fetch("/api/settings").then((r) => r.json())), ...settings });
    // "No" to today's check and to any follow-up on the last session.
    const others = Object.fromEntries(s.checks.filter((q) => q.id !== s.daily.id).map((q) => [q.id, "no"]));
    await call("/api/daily-check", "POST", { answer: "no", answers: others });
    const started = await call("/api/sessions", "POST", { pain_before: pain });
    return { id: started.id, segments: started.plan.segments.length };
  }, { pain, settings });
}

/** Waits until the page draws the server's current moment of session `id`. */
async function drawn(p, base, id, check = () => true) {
  for (let i = 0; i < 200; i++) {
    const u = await p.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).json(), id);
    if (check(u)) {
      const v = u.view;
      const want = { title: v.title, instruction: v.instruction.replace(/\n/g, " "), counter: v.counter, prompt: v.prompt?.text ?? null };
      const ok = await p.evaluate((w) => {
        const t = (s) => document.querySelector(s)?.textContent ?? "";
        const prompt = document.querySelector(".prompt");
        const shownPrompt = prompt && !prompt.hidden ? t("#prompt-text") : null;
        return t("#pose-title") === w.title && t("#instruction") === w.instruction
          && (!w.counter || t("#counter").includes(w.counter)) && shownPrompt === w.prompt;
      }, want);
      if (ok) return u;
    }
    await p.waitForTimeout(25);
  }
  throw new Error(`the page never drew the expected moment of session ${id}`);
}

/** Measures the player at every viewport; returns the problems found, each labelled. */
async function everyViewport(p, label, extra = () => []) {
  const found = [];
  for (const [w, h] of VIEWPORTS) {
    await p.setViewportSize({ width: w, height: h });
    const m = await measure(p);
    for (const x of [...problems(m), ...extra(m)]) found.push(`${w}x${h} ${label}: ${x}`);
  }
  return found;
}

/**
 * Steps through a whole plan with the next key, paused (where everything shows: "why it helps",
 * key hints) and, unless `pausedOnly`, moving; in the standard plan, through "this hurts" too.
 */
async function walkThePlan(p, base, { id, segments }, name, { pausedOnly = false } = {}) {
  const found = [];
  const movingQuiet = (m) => ["why", "keys"].filter((k) => m.parts[k]).map((k) => `${k} is shown while moving`);
  let u = await drawn(p, base, id, (u) => u.view.screen.screen === "playing");
  await p.keyboard.press(" ");
  u = await drawn(p, base, id, (u) => u.view.screen.screen === "paused");
  for (let i = 0; i < segments; i++) {
    if (i > 0) {
      await p.keyboard.press("ArrowRight");
      u = await drawn(p, base, id, (u) => u.view.segment === i && u.view.screen.screen === "paused");
    }
    const label = `${name} segment ${i} (${u.view.title}, ${u.view.kind}: "${u.view.instruction.slice(0, 40)}")`;
    // One word for the other direction, everywhere: "anticlockwise".
    const words = await p.evaluate(() => document.body.textContent);
    if (/counter-?clockwise/i.test(words)) found.push(`${label}: says "counterclockwise"`);
    found.push(...await everyViewport(p, `${label} paused`));
    if (pausedOnly && i !== 1) continue;
    await p.keyboard.press(" ");
    await drawn(p, base, id, (u) => u.view.segment === i && u.view.screen.screen === "playing");
    found.push(...await everyViewport(p, `${label} moving`, movingQuiet));
    if (i === 1) {
      // After pictures: the pose's set-up, its longest instruction.
      for (const [w, h] of VIEWPORTS) {
        await p.setViewportSize({ width: w, height: h });
        await measure(p);
        await p.screenshot({ path: join(shots, `player-${w}x${h}-${name === "standard" ? "" : "small-"}hip-rotations-setup.png`) });
      }
    }
    await p.keyboard.press(" ");
    await drawn(p, base, id, (u) => u.view.segment === i && u.view.screen.screen === "paused");
    if (!pausedOnly && (i === 0 || i === 1)) {
      // "This hurts", question by question, then back to the routine (a rest: carry on; a pose:
      // the end-session question, answered no).
      await p.keyboard.press("h");
      await drawn(p, base, id, (u) => u.view.prompt?.kind.type === "pain");
      found.push(...await everyViewport(p, `${label} this hurts: pain`));
      await p.keyboard.press("3");
      for (const q of ["sharp", "spreading", "numb"]) {
        await drawn(p, base, id, (u) => u.view.prompt?.text.toLowerCase().includes(q));
        found.push(...await everyViewport(p, `${label} this hurts: ${q}`));
        await p.keyboard.press("n");
      }
      await drawn(p, base, id, (u) => u.view.prompt?.kind.type === "choices");
      found.push(...await everyViewport(p, `${label} this hurts: choices`));
      await p.keyboard.press("Escape");
      await drawn(p, base, id, (u) => u.view.screen.screen === "confirm_quit");
      found.push(...await everyViewport(p, `${label} end the session?`));
      await p.keyboard.press("n");
      await drawn(p, base, id, (u) => u.view.screen.screen === "paused" && u.view.segment === i);
    }
  }
  await p.keyboard.press("ArrowRight");
  await drawn(p, base, id, (u) => u.view.screen.screen === "pain_after");
  found.push(...await everyViewport(p, `${name} pain after`));
  await p.keyboard.press("2");
  await drawn(p, base, id, (u) => u.view.screen.screen === "ended");
  found.push(...await everyViewport(p, `${name} the end`));
  return found;
}

test("the player's areas never overlap or leave the screen, at five sizes, over every segment", async () => {
  const srv = await freshServer({ speed: 1 });
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    const found = [];
    // The easier plan has the longest words; paused, every part of the player shows.
    for (const [name, settings, opts] of [["standard", null, {}], ["easier", { easier: true }, { pausedOnly: true }]]) {
      const session = await startByApi(p, { settings });
      await p.goto(`${srv.url}#/session/${session.id}`);
      found.push(...await walkThePlan(p, srv.url, session, name, opts));
    }
    // A safety stop: its advice above the pain question, then on the last screen.
    const { id } = await startByApi(p);
    await p.goto(`${srv.url}#/session/${id}`);
    await drawn(p, srv.url, id, (u) => u.view.screen.screen === "playing");
    for (const [key, next] of [["h", "pain"], ["4", "sharp"], ["n", "spreading"], ["y", "numb"]]) {
      await p.keyboard.press(key);
      await drawn(p, srv.url, id, (u) => u.view.prompt?.kind.type === next || Boolean(u.view.prompt?.text.toLowerCase().includes(next)));
    }
    await p.keyboard.press("n");
    await drawn(p, srv.url, id, (u) => u.view.screen.screen === "pain_after" && Boolean(u.view.advice));
    found.push(...await everyViewport(p, "safety stop: pain after"));
    await p.keyboard.press("5");
    await drawn(p, srv.url, id, (u) => u.view.screen.screen === "ended");
    found.push(...await everyViewport(p, "safety stop: the end"));
    await p.screenshot({ path: join(shots, "player-360x640-safety-stop-end.png") });
    assert.deepEqual(found.slice(0, 25), [], `${found.length} layout problems`);
  } finally {
    await p.close();
  }
});

// ---------- the smaller page defects ----------

test("after a red flag, Today leads with the advice and does not invite a streak", async () => {
  const srv = await freshServer();
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    await p.evaluate(async () => {
      const s = await fetch("/api/screening").then((r) => r.json());
      const answers = Object.fromEntries(s.questions.map((q) => [q.id, q.id === "cancer" ? "yes" : "no"]));
      await fetch("/api/screening", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ answers }) });
    });
    await p.reload();
    await p.locator("#blocked").waitFor();
    assert.match(await p.locator("#blocked").textContent(), /doctor|clinician|physiotherapist/i);
    assert.equal(await p.locator("#start").count(), 0, "no Start button");
    assert.equal(await p.locator("#streak").count(), 0, "no streak line");
    assert.doesNotMatch(await p.locator("main").textContent(), /streak/i);
    await shot("22-today-red-flag", p);
  } finally {
    await p.close();
  }
});

test("a session left without a heartbeat for two minutes shows as interrupted", async (t) => {
  const srv = await freshServer();
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    // Started and never watched: no heartbeat after its start.
    await startByApi(p);
    const listed = await p.evaluate(async () => (await fetch("/api/sessions?limit=1")).json());
    if (!("last_seen_at" in listed[0])) {
      // The page reads the heartbeat from the session list; until the API gives it, it cannot
      // tell an abandoned session from a live one.
      t.skip("GET /api/sessions and /api/today give no last_seen_at yet (asked of the server's owner)");
      return;
    }
    await p.reload();
    await p.locator("td.how").first().waitFor();
    assert.equal(await p.locator("td.how").first().textContent(), "in progress");
    // Ten minutes on, by the page's clock.
    await p.clock.setFixedTime(new Date(Date.now() + 10 * 60 * 1000));
    await p.reload();
    await p.locator("td.how").first().waitFor();
    assert.equal(await p.locator("td.how").first().textContent(), "interrupted");
  } finally {
    await p.close();
  }
});

// ---------- sound: failures said once, on screen; the settings check ----------

/** A page whose browser has no voice and no WebAudio, or whose voice fails or works. */
async function soundPage(kind) {
  const p = await context.newPage();
  await p.addInitScript((kind) => {
    const fake = (onSpeak) => ({
      getVoices: () => [{ name: "Test voice", lang: "en-GB" }], cancel() {}, addEventListener() {},
      speak: (u) => setTimeout(() => onSpeak(u), 20),
    });
    if (kind === "none") {
      Object.defineProperty(window, "speechSynthesis", { value: undefined });
      Object.defineProperty(window, "AudioContext", { value: undefined });
      Object.defineProperty(window, "webkitAudioContext", { value: undefined });
    } else if (kind === "failing") {
      Object.defineProperty(window, "speechSynthesis", { value: fake((u) => u.onerror?.({ error: "synthesis-failed" })) });
      // An audio device that will not start.
      Object.defineProperty(window, "AudioContext", { value: class { constructor() { this.state = "suspended"; } resume() { return Promise.reject(new Error("no device")); } } });
    } else {
      window.spoken = [];
      Object.defineProperty(window, "speechSynthesis", { value: fake((u) => { window.spoken.push(u.text); u.onstart?.(); }) });
    }
  }, kind);
  return p;
}

async function playerWith(p) {
  await p.goto(base);
  await p.locator("#start").waitFor();
  const { id } = await startByApi(p);
  await p.goto(`${base}#/session/${id}`);
  await p.locator("#instruction:not(:empty)").waitFor();
  // A tap, as a person would make (browsers start sound only after one).
  await p.click("button[data-event=toggle_pause]");
  await p.click("button[data-event=toggle_pause]");
  return id;
}

test("no voice and no WebAudio: the player says so once, calmly, and carries on", async () => {
  const p = await soundPage("none");
  try {
    await playerWith(p);
    await p.locator("#sound-notice:text('I can\\'t speak on this device')").waitFor();
    const notice = await p.locator("#sound-notice").textContent();
    assert.match(notice, /follow the words on screen/);
    assert.match(notice, /Chimes are off: this browser cannot play sounds/);
    await p.keyboard.press("ArrowRight");
    await p.keyboard.press("ArrowRight");
    await p.waitForTimeout(300);
    assert.equal(await p.locator("#sound-notice").count(), 1);
    assert.equal(await p.locator("#sound-notice").textContent(), notice, "said once, not repeated per cue");
    await shot("23-player-no-sound", p);
    await p.keyboard.press("Escape");
    await p.keyboard.press("y");
    await p.keyboard.press("3");
  } finally {
    await p.close();
  }
});

test("a voice that fails and an audio device that will not start are both noticed", async () => {
  const p = await soundPage("failing");
  try {
    await playerWith(p);
    await p.locator("#sound-notice:text('I can\\'t speak on this device')").waitFor();
    await p.locator("#sound-notice:text('Chimes are off: the sound device did not start')").waitFor();
    await p.keyboard.press("Escape");
    await p.keyboard.press("y");
    await p.keyboard.press("3");
    await p.goto(base + "#/settings");
    await p.click("#test-sound");
    await p.locator("#sound-voice").waitFor();
    assert.match(await p.locator("#sound-voice").textContent(), /^Voice: not working\. I can't speak on this device/);
    assert.match(await p.locator("#sound-chimes").textContent(), /Chimes are off: the sound device did not start/);
  } finally {
    await p.close();
  }
});

test("a working voice: no notice in the player, and the settings check says what worked", async () => {
  const p = await soundPage("working");
  try {
    await playerWith(p);
    await p.waitForFunction(() => window.spoken.length > 0);
    await p.waitForTimeout(300);
    assert.equal(await p.locator("#sound-notice").isVisible(), false, await p.locator("#sound-notice").textContent());
    await p.keyboard.press("Escape");
    await p.keyboard.press("y");
    await p.keyboard.press("3");
    await p.goto(base + "#/settings");
    await p.click("#test-sound");
    await p.locator("#sound-voice").waitFor();
    assert.equal(await p.locator("#sound-voice").textContent(), "Voice: working. You should have heard a sentence.");
    assert.match(await p.evaluate(() => window.spoken.at(-1)), /Slowly lift your hips/);
    // Headless Chromium has a (silent) audio output, so the chimes start.
    assert.equal(await p.locator("#sound-chimes").textContent(), "Chimes: played. If you heard nothing, turn the volume up.");
    await shot("24-settings-sound-check", p);
  } finally {
    await p.close();
  }
});

test("stopping the server mid-session: the page says so, aloud and on screen, then that it has stopped", async () => {
  const srv = await freshServer({ speed: 1, args: ["--drain", "3"] });
  const p = await soundPage("working");
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    const { id } = await startByApi(p);
    await p.goto(`${srv.url}#/session/${id}`);
    await p.locator("#instruction:not(:empty)").waitFor();
    await p.click("button[data-event=toggle_pause]");
    await p.click("button[data-event=toggle_pause]");
    const exited = new Promise((res) => srv.child.on("exit", (code, signal) => res({ code, signal })));
    srv.child.kill("SIGTERM");
    const notice = p.locator("#sound-notice");
    await p.waitForFunction(() => /being stopped/.test(document.getElementById("sound-notice")?.textContent || ""));
    assert.ok(await notice.isVisible());
    assert.match(await notice.textContent(), /Everything so far is saved/);
    await p.waitForFunction(() => window.spoken.some((t) => /being stopped/.test(t)));
    await shot("28-player-server-stopping", p);
    // On a phone the longer notice still leaves the player's controls on the screen.
    await p.setViewportSize({ width: 360, height: 640 });
    await p.waitForTimeout(200);
    await shot("28b-player-server-stopping-phone", p);
    const box = await p.locator("button[data-event=hurt]").boundingBox();
    assert.ok(box && box.y + box.height <= 640, `"This hurts" is off the phone's screen: ${JSON.stringify(box)}`);
    await p.waitForFunction(() => /has stopped/.test(document.getElementById("sound-notice")?.textContent || ""), null, { timeout: 15000 });
    await p.waitForFunction(() => window.spoken.some((t) => /has stopped/.test(t)));
    assert.deepEqual(await exited, { code: 0, signal: null }, "a clean exit after the drain time");
  } finally {
    await p.close();
  }
});

test("a server killed mid-session: started again, it carries the session on, and the journal has each event once", async () => {
  const srv = await freshServer({ speed: 20 });
  const p = await soundPage("working");
  try {
    const { id, segments } = await startPausedAndResumed(p, srv.url);
    const before = await p.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).json(), id);
    const died = new Promise((res) => srv.child.on("exit", (code, signal) => res(signal)));
    srv.child.kill("SIGKILL");
    assert.equal(await died, "SIGKILL");
    // Started again on the same port and journal; the page reconnects by itself.
    const again = await startServer(process.env.SUPINE_BIN, srv.dir, { speed: 20, port: srv.port });
    extraServers.push(again.child);
    await p.waitForFunction((seg) => {
      const title = document.querySelector("#pose-title")?.textContent || "";
      return title === "Bridge" || title.includes("twist") || document.querySelector(".prompt .painscale") !== null;
    }, before.view.segment, { timeout: 60000 });
    await shot("29-player-carried-on", p);
    await endWithPain2(p);
    assertCarriedOnce(["--db", join(srv.dir, "journal.db")], id, segments);
  } finally {
    await p.close();
  }
});

/**
 * From `url`'s Today page: a session started (pain 4) and played, paused and resumed in its
 * first pose, so that the journal has inputs to rebuild it from. Returns its id and length.
 */
async function startPausedAndResumed(p, url) {
  await p.goto(url);
  await p.locator("#start").waitFor();
  const { id, segments } = await startByApi(p, { pain: 4 });
  await p.goto(`${url}#/session/${id}`);
  await p.waitForFunction(() => document.querySelector("#pose-title")?.textContent === "Hip rotations", null, { timeout: 30000 });
  await p.click("button[data-event=toggle_pause]");
  await p.locator("#breath-word:text('Paused')").waitFor();
  await p.click("button[data-event=toggle_pause]");
  await p.locator("#breath-word:text-matches('Breathe (in|out)')").waitFor();
  return { id, segments };
}

/** Waits for the pain-after question at the session's end, answers 2, and waits for the end. */
async function endWithPain2(p) {
  await p.locator(".prompt .painscale").waitFor({ timeout: 90000 });
  await p.keyboard.press("2");
  await p.locator(".prompt a[href='#/progress']").waitFor();
}

/**
 * Session `id`, read back with `supine log` (`journal` selects it): finished, pain 4 then 2,
 * with every segment done once and in order, one started record, and the page's inputs (a
 * pause, a resume, the pain after) each kept once.
 */
function assertCarriedOnce(journal, id, segments) {
  const log = execFileSync(process.env.SUPINE_BIN, ["log", "--json", "--limit", "1", ...journal], { encoding: "utf8" });
  const [s] = JSON.parse(log);
  assert.equal(s.id, id);
  assert.equal(s.status, "finished");
  assert.equal(s.end_reason, "completed");
  assert.equal(s.pain_before, 4);
  assert.equal(s.pain_after, 2);
  assert.equal(s.segments_done, segments, "every segment done");
  const of = (kind) => s.events.filter((e) => e.kind === kind).map((e) => e.data);
  const done = of("segment_done").map((d) => d.index);
  assert.deepEqual(done, [...Array(segments).keys()], "each segment done once, in order");
  assert.equal(of("started").length, 1);
  assert.deepEqual(of("input").map((d) => d.event), [
    { type: "toggle_pause" }, { type: "toggle_pause" }, { type: "pain", value: 2 },
  ]);
  assert.equal(of("pain_after").length, 1);
}

/** A port free on 127.0.0.1 now. */
function freePort() {
  return new Promise((res, rej) => {
    const s = createServer().once("error", rej).listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const PG_URL = process.env.SUPINE_TEST_PG_URL || "";
const HAPROXY = process.env.HAPROXY || "haproxy";
const haveHaproxy = spawnSync(HAPROXY, ["-v"]).status === 0;
const clusterSkip = !PG_URL ? "set SUPINE_TEST_PG_URL to a PostgreSQL database to run it"
  : !haveHaproxy ? "haproxy is not installed (apt-get install haproxy)" : false;
if (clusterSkip && process.env.SUPINE_REQUIRE_PG === "1") throw new Error(`SUPINE_REQUIRE_PG=1, but the cluster test cannot run: ${clusterSkip}`);

/**
 * haproxy on `lb` in front of `servers` ({name, port}): sticky by cookie, health-checked on
 * /readyz, a request for a server that is gone sent to another, WebSockets kept open.
 */
function haproxyConfig(lb, servers) {
  return `global
  maxconn 256
defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  retries 2
  option redispatch 1
frontend supine
  bind 127.0.0.1:${lb}
  default_backend supine
backend supine
  balance roundrobin
  cookie SRV insert indirect nocache
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1:${lb}
  http-check expect status 200
  default-server check inter 300ms fall 2 rise 1
${servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} cookie ${s.name}`).join("\n")}
`;
}

test("two servers on one PostgreSQL behind haproxy: the one playing a session is killed, the other carries it on, and the journal has each event once", { skip: clusterSkip }, async () => {
  const dir = mkdtempSync(join(tmp, "cluster-"));
  // A profile of its own, so runs on a shared database do not meet.
  const profile = `e2e-cluster-${process.pid}-${Date.now()}`;
  const lb = await freePort();
  const args = ["--profile", profile, "--host-name", `127.0.0.1:${lb}`];
  const servers = {};
  for (const name of ["a", "b"]) {
    // One after the other: the first sets up the tables.
    const s = await startServer(process.env.SUPINE_BIN, dir, { speed: 20, db: PG_URL, args });
    extraServers.push(s.child);
    servers[name] = s;
  }
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(lb, Object.entries(servers).map(([name, s]) => ({ name, port: s.port }))));
  const proxy = spawn(HAPROXY, ["-db", "-f", cfg], { stdio: ["ignore", "inherit", "inherit"] });
  extraServers.push(proxy);
  const url = `http://127.0.0.1:${lb}/`;
  for (let i = 0; ; i++) {
    const r = await fetch(`${url}readyz`).catch(() => null);
    if (r?.ok) break;
    assert.ok(i < 100, "haproxy did not answer");
    await new Promise((r) => setTimeout(r, 100));
  }
  const p = await soundPage("working");
  try {
    const { id, segments } = await startPausedAndResumed(p, url);
    // The server haproxy keeps this page on, by its cookie.
    const sticky = (await context.cookies(url)).find((c) => c.name === "SRV")?.value;
    assert.ok(sticky in servers, `haproxy's cookie names a server: ${sticky}`);
    const holder = servers[sticky];
    const died = new Promise((res) => holder.child.on("exit", (code, signal) => res(signal)));
    holder.child.kill("SIGKILL");
    assert.equal(await died, "SIGKILL");
    const killed = Date.now();
    // The page reconnects through haproxy, which sends it to the other server.
    for (;;) {
      const r = await p.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).status, id);
      if (r === 200) break;
      assert.ok(Date.now() - killed < 30000, `the session was not carried on: ${r}`);
      await p.waitForTimeout(50);
    }
    console.log(`# carried on by the other server ${Date.now() - killed} ms after the kill`);
    const now = (await context.cookies(url)).find((c) => c.name === "SRV")?.value;
    assert.notEqual(now, sticky, "the page is now on the other server");
    // Drawn by the other server, in the middle of the routine.
    await p.waitForFunction(() => (document.querySelector("#pose-title")?.textContent || "") !== "Hip rotations", null, { timeout: 60000 });
    await shot("30-player-carried-on-by-another-server", p);
    await endWithPain2(p);
    assertCarriedOnce(["--db", PG_URL, "--profile", profile], id, segments);
  } finally {
    await p.close();
    proxy.kill("SIGTERM");
    for (const s of Object.values(servers)) s.child.kill("SIGINT");
  }
});

// ---------- figures ----------

/** The knee's point in the side figure (the second point of the legs' path). */
async function kneeAt(p) {
  const d = await p.evaluate(() => [...document.querySelectorAll(".figure svg .fig-leg")].map((e) => e.getAttribute("d")).find(Boolean));
  const [, x, y] = d.match(/L([\d.-]+) ([\d.-]+)/);
  return [Number(x), Number(y)];
}

async function samples(p, n = 6, gap = 250) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(await kneeAt(p));
    await p.waitForTimeout(gap);
  }
  return out;
}

/** Signed turn of points about their centre: positive is clockwise on screen (y points down). */
function turn(points) {
  const cx = points.reduce((a, q) => a + q[0], 0) / points.length;
  const cy = points.reduce((a, q) => a + q[1], 0) / points.length;
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const a0 = Math.atan2(points[i - 1][1] - cy, points[i - 1][0] - cx);
    const a1 = Math.atan2(points[i][1] - cy, points[i][0] - cx);
    sum += Math.atan2(Math.sin(a1 - a0), Math.cos(a1 - a0));
  }
  return sum;
}

test("figures move the way the voice says, stand still when paused, and keep still for reduced motion", async () => {
  const srv = await freshServer({ speed: 4 });
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    const { id } = await startByApi(p);
    await p.goto(`${srv.url}#/session/${id}`);
    const at = (check) => drawn(p, srv.url, id, check);
    await at((u) => u.view.segment === 0);
    const jump = async (check) => {
      for (let i = 0; i < 40; i++) {
        const u = await at(() => true);
        if (check(u.view)) return u;
        await p.keyboard.press("ArrowRight");
        // At 4x the timer may move on by itself as well: past where it was is enough.
        await at((x) => x.view.segment > u.view.segment);
      }
      throw new Error("no such segment");
    };
    // Reduced motion first: the movement in words, and a figure that does not move.
    await p.emulateMedia({ reducedMotion: "reduce" });
    await jump((v) => v.kind === "circle" && v.direction === "clockwise");
    await p.locator("#figure-words:text('Knees circling clockwise')").waitFor();
    const calm = await samples(p, 3, 200);
    assert.ok(calm.every((q) => q[0] === calm[0][0] && q[1] === calm[0][1]), "no animation for reduced motion");
    await p.emulateMedia({ reducedMotion: "no-preference" });
    assert.equal(await p.locator("#figure-words").isVisible(), false);
    assert.ok(turn(await samples(p)) > 0.5, "clockwise on screen");
    await jump((v) => v.kind === "circle" && v.direction === "anticlockwise");
    const acw = await samples(p);
    assert.ok(turn(acw) < -0.5, "anticlockwise on screen");
    assert.match(await p.locator(".figure .fig-label").textContent(), /^anticlockwise$/);
    // Paused: the figure stands still.
    await p.keyboard.press(" ");
    await at((u) => u.view.screen.screen === "paused");
    const still = await samples(p, 4, 200);
    assert.ok(still.every((q) => q[0] === still[0][0] && q[1] === still[0][1]), `still when paused: ${JSON.stringify(still)}`);
    await p.keyboard.press(" ");
    // The twist: knees go away from you (up the screen) to your left, towards you to your right.
    await jump((v) => v.kind === "move" && v.direction === "left");
    const left = await samples(p, 5, 300);
    assert.ok(left.at(-1)[1] < left[0][1] - 5, `knees away, to your left: ${JSON.stringify(left)}`);
    assert.match(await p.locator(".figure .fig-label").textContent(), /to your left/);
    await jump((v) => v.kind === "move" && v.direction === "right");
    const right = await samples(p, 5, 300);
    assert.ok(right.at(-1)[1] > right[0][1] + 5, `knees towards you, to your right: ${JSON.stringify(right)}`);
    await shot("25-player-twist-right", p);
  } finally {
    await p.close();
  }
});

test("key hints show on a keyboard screen when paused, never while moving, never on a touch screen", async () => {
  const srv = await freshServer({ speed: 1 });
  const p = await context.newPage();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    const { id } = await startByApi(p);
    await p.goto(`${srv.url}#/session/${id}`);
    await drawn(p, srv.url, id, (u) => u.view.screen.screen === "playing");
    assert.equal(await p.locator(".keys").isVisible(), false, "hidden while moving");
    await p.keyboard.press(" ");
    await drawn(p, srv.url, id, (u) => u.view.screen.screen === "paused");
    assert.equal(await p.locator(".keys").isVisible(), true, "shown when paused, with a keyboard");
    const phone = await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true });
    if (process.env.SUPINE_E2E_WEB) await servePageFrom(phone, resolve(process.env.SUPINE_E2E_WEB));
    const t = await phone.newPage();
    await t.goto(`${srv.url}#/session/${id}`);
    await drawn(t, srv.url, id, (u) => u.view.screen.screen === "paused");
    assert.ok(await t.evaluate(() => matchMedia("(hover: none), (pointer: coarse)").matches), "the touch screen is a touch screen");
    assert.equal(await t.locator(".keys").isVisible(), false, "no key hints on a touch screen");
    await shot("26-player-tablet-touch-paused", t);
  } finally {
    await p.close();
    await browser.close();
  }
});

// ---------- the screening and the check before a session ----------

test("an emergency 'yes' ends the safety questions at once, with the urgent message", async () => {
  const srv = await freshServer();
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.click("#start");
    await p.locator(".question .count:text('Question 1 of 17')").waitFor();
    await p.click("button[data-answer=no]");
    await p.locator(".question .count:text('Question 2 of 17')").waitFor();
    assert.match(await p.locator("#q-text").textContent(), /numbness around your groin/);
    await p.click("button[data-answer=yes]");
    await p.locator("h1:text('Please get medical help today')").waitFor();
    assert.match(await p.locator(".message").textContent(), /get medical help today/);
    await shot("27-screening-emergency", p);
    const s = await p.evaluate(async () => (await fetch("/api/screening")).json());
    assert.equal(s.status.outcome.outcome, "see_clinician");
    assert.equal(s.status.outcome.urgency, "urgent");
  } finally {
    await p.close();
  }
});

test("after a safety stop, a 'yes' to the follow-up question means not today", async () => {
  const srv = await freshServer();
  const p = await context.newPage();
  try {
    await p.goto(srv.url);
    await p.locator("#start").waitFor();
    const { id } = await startByApi(p);
    // Numbness reported in "this hurts": the stop rule ends the session.
    await p.evaluate(async (id) => {
      for (const body of [{ type: "start" }, { type: "hurt" }, { type: "pain", value: 4 }, { type: "answer", value: false },
        { type: "answer", value: false }, { type: "answer", value: true }, { type: "pain", value: 4 }]) {
        await fetch(`/api/sessions/${id}/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      }
    }, id);
    await p.reload();
    await p.click("#start");
    await p.locator(".question .count:text('Before you start: 1 of 2')").waitFor();
    assert.match(await p.locator("#q-text").textContent(), /^Last time you stopped because of numbness, tingling or weakness in your legs\./);
    await p.click("button[data-answer=yes]");
    await p.locator(".question .count:text('Before you start: 2 of 2')").waitFor();
    await p.click("button[data-answer=no]");
    await p.locator(".message:text('since your last session')").waitFor();
    await p.goto(srv.url);
    await p.locator("#blocked").waitFor();
    assert.equal(await p.locator("#start").count(), 0);
    assert.equal(await p.locator("#streak").count(), 0);
  } finally {
    await p.close();
  }
});

/** `supine ARGS` over the journal in `dir`, with `input` on its standard input. */
function supineIn(dir, args, input = "") {
  return execFileSync(process.env.SUPINE_BIN, [...args, "--db", join(dir, "journal.db")], {
    input,
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
  }).toString();
}

test("open to the network: an invitation makes an account with a journal of its own, a clinician signs in and reads it, and the person sees who looked", async () => {
  const dir = mkdtempSync(join(tmp, "clinic-"));
  supineIn(dir, ["admin", "add-user", "root", "--password-stdin"], "the owner's long password\n");
  supineIn(dir, ["admin", "add-user", "dr lee", "--role", "clinician", "--password-stdin"], "the clinician's password\n");
  const s = await startServer(process.env.SUPINE_BIN, dir, { args: ["--listen", "0.0.0.0", "--log", "warn"] });
  extraServers.push(s.child);
  const link = supineIn(dir, ["admin", "invite", "ana", "--clinician", "dr lee", "--url", s.url]).match(/\S+\/invite\.html#\S+/)[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    // Ana opens her invitation on her phone and chooses a password.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await phone.newPage();
    p.on("pageerror", (e) => { throw e; });
    await p.goto(link);
    assert.equal(await p.evaluate(() => location.hash), "", "the token left the address bar");
    await p.fill("#password", "ana's own password");
    await p.fill("#again", "ana's own password");
    await shot("34-invitation", p);
    await p.click("#go");
    await p.waitForURL(s.url);
    await p.locator("#start").waitFor();
    // Her journal is her own: empty, and what she saves stays in it.
    assert.deepEqual(await p.evaluate(async () => (await fetch("/api/sessions")).json()), []);
    await p.evaluate(async () => {
      const q = await (await fetch("/api/screening")).json();
      const post = (path, body) => fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      await post("/api/screening", { answers: Object.fromEntries(q.questions.map((x) => [x.id, "no"])) });
      const r = await post("/api/sessions", { pain_before: 4 });
      if (r.status !== 201) throw new Error(`no session: ${await r.text()}`);
    });

    // The clinician signs in on the sign-in page and reads her sessions and progress.
    const desk = await browser.newContext();
    const c = await desk.newPage();
    c.on("pageerror", (e) => { throw e; });
    await c.goto(s.url);
    await c.waitForURL(/signin\.html$/);
    await c.fill("#name", "dr lee");
    await c.fill("#password", "the clinician's password");
    await c.click("#go");
    await c.waitForURL(s.url);
    const seen = await c.evaluate(async () => ({
      people: await (await fetch("/api/people")).json(),
      sessions: await (await fetch("/api/people/ana/sessions")).json(),
      own: await (await fetch("/api/sessions")).json(),
    }));
    assert.deepEqual(seen.people.map((x) => [x.name, x.sessions_this_week]), [["ana", 1]]);
    assert.equal(seen.sessions[0].pain_before, 4);
    assert.deepEqual(seen.own, [], "the clinician's own journal is not ana's");
    assert.equal(await c.evaluate(async () => (await fetch("/api/people/root/progress")).status), 404);
    // And in the page: their people, then ana's page with her progress and sessions.
    await c.click("#nav-people");
    await c.locator("#people a").first().waitFor();
    assert.match(await c.locator("#people").textContent(), /ana1 session in the last 7 days/);
    await c.click("#people a");
    await c.locator("#person-sessions").waitFor();
    assert.match(await c.locator("#person-sessions tbody").textContent(), /in progress4/);
    await shot("36-clinician-person", c);
    // The clinician changes her plan, with a note.
    await c.selectOption("#plan-change select[name=level]", "gentle");
    await c.fill("#plan-change input[name=inhale]", "5");
    await c.fill("#plan-change input[name=exhale]", "7");
    await c.fill("#plan-change textarea[name=note]", "Gentler this week while your back settles.");
    await c.click("#plan-change button[type=submit]");
    await c.waitForFunction(() => /^Changed\./.test(document.querySelector("#plan-status")?.textContent || ""));

    // Ana sees the note on Today and in the terminal, and her next session follows the plan.
    await p.goto(s.url);
    await p.locator("#clinician-note").waitFor();
    assert.match(await p.locator("#clinician-note").textContent(), /dr lee changed your plan on .*level: gentle; breathe in for 5 s and out for 7 s.*Gentler this week while your back settles\./);
    await shot("37-note-from-clinician", p);
    assert.match(supineIn(dir, ["plan", "--profile", "ana"]), /^dr lee changed your plan on .*Gentler this week/);
    const next = await p.evaluate(async () => {
      const r = await fetch("/api/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pain_before: 3 }) });
      const { id } = await r.json();
      const { speed } = await (await fetch("/api/today")).json();
      const u = await (await fetch(`/api/sessions/${id}`)).json();
      return { inhale_ms: Math.round(u.ring.left_ms * speed / 100) * 100, plan: await (await fetch("/api/plan")).json() };
    });
    // The ring counts real time, and this server runs sped up.
    assert.equal(next.inhale_ms, 5000, "the first breath in is 5 s");
    assert.equal(next.plan.settings.level, "gentle");
    // Ana sees, in her settings, that dr lee looked.
    await p.goto(`${s.url}#/settings`);
    await p.locator("#audit li").first().waitFor();
    assert.match(await p.locator("#audit").textContent(), /dr lee looked at your plan, and changed it \(level: gentle/);
    assert.match(await p.locator("#audit").textContent(), /dr lee looked at your sessions/);
    await p.locator("#audit-h").scrollIntoViewIfNeeded();
    await shot("35-who-looked", p);
    // The owner's journal has none of it.
    assert.equal(JSON.parse(supineIn(dir, ["log", "--json"])).length, 0);
  } finally {
    await browser.close();
  }
});
