// End-to-end with a camera: the real `supine serve` binary, and Debian's headless Chromium with a
// fake camera playing a video made here from the e2e clip's frames (a person lying down doing
// one knee circle clockwise and one anticlockwise). The camera set-up screen checks placement;
// a camera-led session of one circle each way counts what the camera sees; the journal keeps
// what it saw; a camera that stops mid-session leaves the timer to finish it.
//
// SUPINE_BIN must point at the built binary (.ci/run sets it). The server runs in real time
// (the camera's video plays in real time).

import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, "../../target/e2e");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FIXTURE = resolve(here, "../../crates/supine-vision/tests/fixtures/real/e2e");
const CLIP_FPS = 5;
const BASE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let server, base, tmp, context, video, truth;

function startServer(bin, dir) {
  return new Promise((res, rej) => {
    const child = spawn(bin, ["serve", "--port", "0", "--db", join(dir, "journal.db")], {
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => rej(new Error(`server did not print its address: ${out}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); res({ child, url: m[0] }); }
    });
    child.on("exit", (code) => rej(new Error(`server exited with ${code}: ${out}`)));
  });
}

/**
 * Hip rotations alone, one circle each way, as the default routine: the built-in pose with its
 * dose made 1, in the content folder the server reads from its config home.
 */
function oneCircleContent(dir) {
  const root = join(dir, "config", "supine", "content");
  mkdirSync(join(root, "poses"), { recursive: true });
  mkdirSync(join(root, "routines"), { recursive: true });
  const builtin = readFileSync(resolve(here, "../../content/poses/knee-circles.toml"), "utf8");
  const pose = builtin.replace("default = 5\nmin = 3\n", "default = 1\nmin = 1\n");
  assert.notEqual(pose, builtin, "the pose's dose is no longer where this test expects it");
  writeFileSync(join(root, "poses", "knee-circles.toml"), pose);
  writeFileSync(join(root, "routines", "lying-down-relief.toml"),
    'id = "lying-down-relief"\nname = "One circle each way"\nsummary = "Hip rotations, one circle each way."\n\n[[steps]]\npose = "knee-circles"\n');
}

/**
 * The clip's frames `order` as a y4m video (I420) at the clip's 5 frames a second. The JPEGs
 * are decoded by Chromium itself (Node has no JPEG decoder) and turned into I420 there.
 */
async function writeY4m(path, order) {
  const files = readdirSync(join(FIXTURE, "circles")).filter((f) => f.endsWith(".jpg")).sort();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BASE_FLAGS });
  try {
    const p = await browser.newPage();
    const planes = [];
    let size;
    for (const f of files) {
      const b64 = readFileSync(join(FIXTURE, "circles", f)).toString("base64");
      const r = await p.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
        const { width: w, height: h } = bmp;
        const c = new OffscreenCanvas(w, h);
        const g = c.getContext("2d");
        g.drawImage(bmp, 0, 0);
        const px = g.getImageData(0, 0, w, h).data;
        const y = new Uint8Array(w * h);
        const u = new Uint8Array((w / 2) * (h / 2));
        const v = new Uint8Array((w / 2) * (h / 2));
        for (let i = 0; i < w * h; i++) {
          const [R, G, B] = [px[4 * i], px[4 * i + 1], px[4 * i + 2]];
          y[i] = Math.round(16 + 0.257 * R + 0.504 * G + 0.098 * B);
        }
        for (let j = 0; j < h / 2; j++) {
          for (let i = 0; i < w / 2; i++) {
            let R = 0; let G = 0; let B = 0;
            for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
              const k = 4 * ((2 * j + dy) * w + 2 * i + dx);
              R += px[k] / 4; G += px[k + 1] / 4; B += px[k + 2] / 4;
            }
            u[j * (w / 2) + i] = Math.round(128 - 0.148 * R - 0.291 * G + 0.439 * B);
            v[j * (w / 2) + i] = Math.round(128 + 0.439 * R - 0.368 * G - 0.071 * B);
          }
        }
        const enc = (a) => { let s = ""; for (let i = 0; i < a.length; i += 8192) s += String.fromCharCode(...a.subarray(i, i + 8192)); return btoa(s); };
        return { w, h, data: enc(y) + "," + enc(u) + "," + enc(v) };
      }, b64);
      size = [r.w, r.h];
      planes.push(Buffer.concat(r.data.split(",").map((s) => Buffer.from(s, "base64"))));
    }
    const fd = openSync(path, "w");
    writeSync(fd, `YUV4MPEG2 W${size[0]} H${size[1]} F${CLIP_FPS}:1 Ip A1:1 C420jpeg\n`);
    for (const i of order) {
      writeSync(fd, "FRAME\n");
      writeSync(fd, planes[i]);
    }
    closeSync(fd);
  } finally {
    await browser.close();
  }
}

before(async () => {
  const bin = process.env.SUPINE_BIN;
  assert.ok(bin, "set SUPINE_BIN to the supine binary");
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "supine-camera-e2e-"));
  truth = JSON.parse(readFileSync(join(FIXTURE, "circles.json"), "utf8"));
  // The clip's truth: in the pose 3.11-16.46 s, the clockwise circle 4.08-7.89 s, the
  // anticlockwise one 11.61-15.06 s. Chromium plays the video in a loop, so the loop is the
  // stretch from just before the first circle to the end of the pose (12.8 s): each circle
  // closes well inside it (the counter confirms a close up to 0.5 s later, so a loop cut
  // just after the second circle left its count to the frames after the jump back), and
  // whenever a circle set begins, its circle comes within one loop, while a set waits for it
  // up to its breath and two more (24 s at 4 s + 4 s breaths).
  const from = Math.floor(3.8 * CLIP_FPS);
  const to = Math.floor(16.46 * CLIP_FPS) + 1;
  video = join(tmp, "circles.y4m");
  await writeY4m(video, Array.from({ length: to - from }, (_, k) => from + k));
  oneCircleContent(tmp);
  const s = await startServer(bin, tmp);
  server = s.child;
  base = s.url;
  context = await chromium.launchPersistentContext(join(tmp, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${video}`],
    viewport: { width: 1280, height: 800 },
  });
});

/** Milliseconds the server's pipeline took per frame, from its camera messages. */
const frameMs = [];

after(async () => {
  // Numbers for the notes (benchmarks, not checks): CPU per frame, and the server's peak memory.
  if (frameMs.length) {
    const ms = [...frameMs].sort((a, b) => a - b);
    const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    console.log(`camera ms per frame over ${ms.length} frames: p50 ${at(0.5)}, p99 ${at(0.99)}; at 10 frames a second ${(at(0.5) * 10 / 1000 * 100).toFixed(0)}% of one core`);
  }
  try {
    const hwm = readFileSync(`/proc/${server.pid}/status`, "utf8").match(/VmHWM:\s+(\d+ kB)/);
    if (hwm) console.log(`server peak memory (VmHWM) after the camera sessions: ${hwm[1]}`);
  } catch {
    // Not Linux: no number.
  }
  await context?.close();
  server?.kill("SIGINT");
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The journal's sessions, as `supine log --json` shows them. */
function logged(dir = tmp) {
  return JSON.parse(supine(dir, ["log", "--json"]));
}

/** What `supine ARGS` prints, over the journal in `dir`. */
function supine(dir, args) {
  const out = execFileSync(process.env.SUPINE_BIN, [...args, "--db", join(dir, "journal.db")], {
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
  });
  return out.toString();
}

/** A page whose speech is written down (window.spoken) instead of said. */
async function listeningPage(ctx = context) {
  const p = await ctx.newPage();
  p.on("pageerror", (e) => { throw e; });
  p.on("websocket", (ws) => ws.on("framereceived", (f) => {
    if (typeof f.payload !== "string" || !f.payload.startsWith('{"camera":"frame"')) return;
    frameMs.push(JSON.parse(f.payload).ms);
  }));
  await p.addInitScript(() => {
    window.spoken = [];
    Object.defineProperty(window, "speechSynthesis", { value: {
      getVoices: () => [{ name: "Test voice", lang: "en-GB" }], cancel() {}, addEventListener() {},
      speak: (u) => setTimeout(() => { window.spoken.push(u.text); u.onstart?.(); u.onend?.(); }, 5),
    } });
  });
  return p;
}

/** The screening on file, breaths of 4 s in and 4 s out (by the API, from the page). */
async function prepare(p, url = base) {
  await p.goto(url);
  await p.locator("#start-camera").waitFor();
  await p.evaluate(async () => {
    const call = async (path, method, body) => {
      const r = await fetch(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`${path}: ${(await r.json()).error}`);
      return r.json();
    };
    const s = await fetch("/api/screening").then((r) => r.json());
    if (s.status.due) await call("/api/screening", "POST", { answers: Object.fromEntries(s.questions.map((q) => [q.id, "no"])) });
    const settings = await fetch("/api/settings").then((r) => r.json());
    await call("/api/settings", "PUT", { ...settings, inhale_ms: 4000, exhale_ms: 4000 });
  });
}

/** Start on the set-up screen, today's check if it is asked (all "no"), pain before 0: the session. */
async function startFromSetUp(p) {
  await p.click("#camera-go");
  for (;;) {
    await p.locator(".painscale, button[data-answer=no]").first().waitFor();
    if (await p.locator(".painscale").count()) break;
    await p.click("button[data-answer=no]");
  }
  await p.click('.painscale button[data-pain="0"]');
  await p.waitForURL(/#\/session\/\d+/);
}

/** From Today through the camera set-up screen and the start flow into a camera-led session. */
async function startWithCamera(p, name, url = base) {
  await p.goto(url);
  await p.click("#start-camera");
  await p.locator("#frames-stay").waitFor();
  assert.match(await p.locator("#frames-stay").textContent(), /Frames stay on this machine/);
  // The placement check, green once the whole body is seen from the side.
  await p.locator("#placement.good").waitFor({ timeout: 60000 });
  assert.equal(await p.locator("#placement").textContent(), "I can see all of you from the side");
  // Said aloud as well, for someone already lying down.
  await p.waitForFunction(() => window.spoken.some((t) => t.startsWith("I can see all of you from the side. Press Start")), null, { timeout: 20000 });
  await p.locator("#skeleton").waitFor();
  if (name) {
    await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    // And on a phone propped at the side.
    const size = p.viewportSize();
    await p.setViewportSize({ width: 360, height: 740 });
    await p.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
    await p.setViewportSize(size);
  }
  await startFromSetUp(p);
  await p.locator("#camera-inset video").waitFor();
  return Number(p.url().match(/session\/(\d+)/)[1]);
}

test("a camera-led session counts the circles the camera sees, says them, and the journal keeps them", async () => {
  const p = await listeningPage();
  try {
    await prepare(p);
    const id = await startWithCamera(p, "camera-1-setup");
    // The seen count, while the camera leads a circle set.
    await p.waitForFunction(() => /^Seen \d of 1$/.test(document.querySelector("#camera-status")?.textContent || ""), null, { timeout: 60000 });
    await p.screenshot({ path: join(shots, "camera-2-session.png"), fullPage: true });
    const size = p.viewportSize();
    await p.setViewportSize({ width: 360, height: 740 });
    await p.screenshot({ path: join(shots, "camera-2-session-phone.png"), fullPage: true });
    await p.setViewportSize(size);
    await p.locator(".prompt .painscale").waitFor({ timeout: 180000 });
    const spoken = await p.evaluate(() => window.spoken);
    // Each set ends on its count, in order: the clockwise circle's, "the other way", then
    // the anticlockwise one's (cues said together go out as one utterance).
    const said = spoken.join(" ");
    const first = said.indexOf("That's one.");
    const turn = said.indexOf("other way", first);
    const second = said.indexOf("That's one.", turn);
    assert.ok(first >= 0 && turn > first && second > turn, `counts in order: ${JSON.stringify(spoken)}`);
    assert.equal(said.split("That's one.").length - 1, 2, `two counts: ${JSON.stringify(spoken)}`);
    await p.keyboard.press("1");
    await p.locator(".prompt a[href='#/progress']").waitFor();
    const s = logged().find((x) => x.id === id);
    assert.equal(s?.status, "finished", JSON.stringify(s));
    // The clip's truth: one circle each way, seen in the one pose watched.
    assert.equal(s.seen.length, 1, JSON.stringify(s.seen));
    assert.equal(s.seen[0].clockwise, truth.expected.circles_cw, JSON.stringify(s.seen));
    assert.equal(s.seen[0].anticlockwise, truth.expected.circles_ccw, JSON.stringify(s.seen));
    // Progress says the camera watched it.
    await p.click(".prompt a[href='#/progress']");
    await p.locator("#p-camera").waitFor();
    assert.match(await p.locator("#p-camera").textContent(), /The camera watched 1 of 1 session in the last 4 weeks\. The latest time it saw: knee-circles 1 clockwise, 1 anticlockwise\./);
  } finally {
    await p.close();
  }
});

test("a camera that stops mid-session leaves the timer to finish the session", async () => {
  const p = await listeningPage();
  try {
    await prepare(p);
    const id = await startWithCamera(p);
    // The session has the camera.
    await p.waitForFunction(() => /^(Seen|Watching|Camera on)/.test(document.querySelector("#camera-status")?.textContent || ""), null, { timeout: 60000 });
    assert.ok((await p.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).json(), id)).view.camera, "the camera is on");
    // The camera stops, as when it is unplugged or another program takes it.
    await p.evaluate(() => { for (const t of document.querySelector("#camera-video").srcObject.getTracks()) t.stop(); });
    // Two seconds without a picture: the page says so, and the timer leads.
    await p.waitForFunction(() => /no picture from the camera.*timer/.test(document.querySelector("#camera-status")?.textContent || ""), null, { timeout: 20000 });
    const u = await p.evaluate(async (id) => (await fetch(`/api/sessions/${id}`)).json(), id);
    assert.equal(u.view.camera, undefined, "the session is timed once the camera is off");
    await p.locator(".prompt .painscale").waitFor({ timeout: 180000 });
    await p.keyboard.press("1");
    await p.locator(".prompt a[href='#/progress']").waitFor();
    const s = logged().find((x) => x.id === id);
    assert.equal(s?.status, "finished", JSON.stringify(s));
    // The timer finished what the camera began.
    assert.equal(s.end_reason, "completed", JSON.stringify(s));
  } finally {
    await p.close();
  }
});

test("no camera allowed: the set-up screen says why, and Start runs the timed session", async () => {
  const p = await context.newPage();
  p.on("pageerror", (e) => { throw e; });
  // The person said no to the browser's camera question.
  await p.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });
  try {
    await prepare(p);
    await p.goto(base);
    await p.click("#start-camera");
    await p.locator("#placement.warn").waitFor();
    assert.equal(await p.locator("#placement").textContent(),
      "supine can't use a camera here: the camera was not allowed for this page; the session runs on the timer.");
    await p.screenshot({ path: join(shots, "camera-3-denied.png"), fullPage: true });
    await startFromSetUp(p);
    await p.locator("#instruction:not(:empty)").waitFor();
    // The timed player, with no camera in it.
    assert.equal(await p.locator("#camera-inset").count(), 0);
  } finally {
    await p.close();
  }
});

/**
 * `supine serve --lan` in `dir`: its address on the network and the pairing address it prints
 * (the QR code's), once it answers.
 */
function startLanServer(bin, dir) {
  return new Promise((res, rej) => {
    const child = spawn(bin, ["serve", "--lan", "--port", "0", "--log", "warn", "--db", join(dir, "journal.db")], {
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => rej(new Error(`server did not print its pairing address: ${out}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const at = out.match(/supine is at (https:\/\/\S+\/) on your network/);
      const pair = out.match(/^pair: (https:\/\/\S+)$/m);
      if (at && pair) { clearTimeout(timer); res({ child, url: at[1], pair: pair[1], out }); }
    });
    child.on("exit", (code) => rej(new Error(`server exited with ${code}: ${out}`)));
  });
}

test("a phone paired over HTTPS is the screen and the camera of a session; its code works once; revoked, it is out", async () => {
  const dir = mkdtempSync(join(tmpdir(), "supine-lan-e2e-"));
  oneCircleContent(dir);
  const lan = await startLanServer(process.env.SUPINE_BIN, dir);
  // A phone: its own browser, the same fake camera, and a certificate it does not know
  // (the person checks the printed fingerprint and goes on).
  assert.match(lan.out, /SHA-256 fingerprint:\n {2}([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: [...BASE_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${video}`],
  });
  const phone = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, hasTouch: true });
  try {
    const p = await listeningPage(phone);
    // Not paired yet: nothing but the sign-in and pairing pages.
    await p.goto(lan.url);
    await p.waitForURL(/signin\.html$/);
    assert.equal(await p.evaluate(async () => (await fetch("/api/today")).status), 401);
    // The QR code's address: the code fills itself in; Pair goes to Today.
    await p.goto(lan.pair);
    assert.equal(await p.evaluate(() => location.hash), "", "the code left the address bar");
    assert.match(await p.locator("#code").inputValue(), /^[A-Z2-7]{16}$/);
    await p.fill("#name", "Ana's phone");
    await p.screenshot({ path: join(shots, "31-pair-phone.png"), fullPage: true });
    await p.click("#go");
    await p.waitForURL(lan.url);
    await p.locator("#start-camera").waitFor();
    assert.equal(await p.evaluate(() => window.isSecureContext), true);
    // The phone is the screen and the camera: a camera-led session over HTTPS.
    await prepare(p, lan.url);
    const id = await startWithCamera(p, null, lan.url);
    await p.waitForFunction(() => /^Seen \d of 1$/.test(document.querySelector("#camera-status")?.textContent || ""), null, { timeout: 60000 });
    await p.screenshot({ path: join(shots, "32-paired-phone-session.png"), fullPage: true });
    await p.locator(".prompt .painscale").waitFor({ timeout: 180000 });
    await p.keyboard.press("1");
    await p.locator(".prompt a[href='#/progress']").waitFor();
    const s = logged(dir).find((x) => x.id === id);
    assert.equal(s?.status, "finished", JSON.stringify(s));
    assert.equal(s.seen[0].clockwise, truth.expected.circles_cw, JSON.stringify(s.seen));
    assert.equal(s.seen[0].anticlockwise, truth.expected.circles_ccw, JSON.stringify(s.seen));

    // Settings list the phone as this device.
    await p.goto(`${lan.url}#/settings`);
    await p.locator("#devices li").first().waitFor();
    assert.match(await p.locator("#devices").textContent(), /Ana's phone \(this device\)/);
    await p.screenshot({ path: join(shots, "33-paired-devices.png"), fullPage: true });

    // The same code in another browser pairs nothing.
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    const q = await other.newPage();
    await q.goto(lan.pair);
    await q.click("#go");
    await q.locator("#problem:not([hidden])").waitFor();
    assert.match(await q.locator("#problem").textContent(), /does not work/);
    await other.close();

    // Revoked from the computer: the phone's next request is refused and it is sent away.
    const devices = JSON.parse(supine(dir, ["devices", "list", "--json"]));
    assert.deepEqual(devices.map((d) => d.name), ["Ana's phone"]);
    supine(dir, ["devices", "revoke", String(devices[0].id)]);
    assert.equal(await p.evaluate(async () => (await fetch("/api/today")).status), 401);
    await p.goto(lan.url);
    await p.waitForURL(/signin\.html$/);
    await p.close();
  } finally {
    await phone.close();
    await browser.close();
    lan.child.kill("SIGINT");
    rmSync(dir, { recursive: true, force: true });
  }
});
