#!/usr/bin/env node
// A bounded load test of a clinic's supine: N simulated people doing whole sessions across
// several `supine serve` instances on one PostgreSQL, all on 127.0.0.1. Prints, per route, the
// number of requests, p50/p99/max latency and errors, then checks the journal: every session
// finished, each segment done once, and every event a person sent (and got 200 for) kept once,
// in order.
//
//   node tools/loadtest.mjs --bin target/debug/supine --db postgres://supine:supine@127.0.0.1/supine_test
//
// Options: --people 500, --instances 2, --speed 20 (session time this many times faster, so a
// whole routine takes seconds), --ramp 20 (seconds over which people start), --poll 1000 (ms
// between a page's polls, as the page does when its WebSocket is gone), --skip-progress (no
// look at progress after the session). Exits 1 on any error, lost event or server warning.
// Each run uses a profile of its own, so runs on one database do not meet; all its people
// share that profile (a server plays one profile), so each look at progress reads everyone's
// sessions: hundreds of times what one person's would.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    bin: { type: "string", default: "target/debug/supine" },
    db: { type: "string", default: process.env.SUPINE_TEST_PG_URL || "" },
    people: { type: "string", default: "500" },
    instances: { type: "string", default: "2" },
    speed: { type: "string", default: "20" },
    ramp: { type: "string", default: "20" },
    poll: { type: "string", default: "1000" },
    "skip-progress": { type: "boolean", default: false },
  },
});
if (!opt.db.startsWith("postgres")) {
  console.error("loadtest: give --db postgres://... (or set SUPINE_TEST_PG_URL)");
  process.exit(2);
}
const people = Number(opt.people);
const instances = Number(opt.instances);
const speed = Number(opt.speed);
const rampMs = Number(opt.ramp) * 1000;
const pollMs = Number(opt.poll);
const profile = `load-${process.pid}-${Date.now()}`;
const home = mkdtempSync(join(tmpdir(), "supine-load-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One `supine serve` on a free port; resolves with its child and address once it prints it. */
function serve() {
  return new Promise((res, rej) => {
    const child = spawn(opt.bin, ["serve", "--port", "0", "--speed", String(speed), "--db", opt.db,
      "--profile", profile, "--live-sessions", String(Math.ceil(people / instances) + 16), "--log", "warn"], {
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, "config"), XDG_DATA_HOME: join(home, "data") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // What the servers log at `warn`: each line is a problem the run must not have.
    child.stderr.on("data", (d) => problems.push(...String(d).split("\n").filter((l) => /\b(WARN|ERROR)\b/.test(l))));
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) res({ child, url: m[0] });
    });
    child.on("exit", (code) => rej(new Error(`supine serve exited with ${code}: ${out}`)));
  });
}

const problems = []; // the servers' warnings and errors
const times = new Map(); // route -> [ms]
const errors = new Map(); // route -> [message]
const note = (map, key, v) => (map.get(key) ?? map.set(key, []).get(key)).push(v);

/** A request to `base`, timed under `route`; the JSON answer, or null after an error is noted. */
async function call(base, route, method, path, body) {
  const t0 = performance.now();
  try {
    const r = await fetch(base + path.replace(/^\//, ""), {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await r.json();
    note(times, route, performance.now() - t0);
    if (!r.ok) {
      note(errors, route, `${r.status} ${data.error}`);
      return null;
    }
    return data;
  } catch (e) {
    note(errors, route, String(e.cause ?? e));
    return null;
  }
}

/**
 * One person's day: the safety questions (answered once for the profile), today's check, a
 * session started, paused and resumed, one pose skipped, polled to its end, the pain after,
 * then a look at progress. Returns the session's id and the events that were accepted.
 */
async function person(base, i) {
  const screening = await call(base, "GET /api/screening", "GET", "/api/screening");
  if (!screening) return null;
  if (screening.status.due) {
    const answers = Object.fromEntries(screening.questions.map((q) => [q.id, "no"]));
    await call(base, "POST /api/screening", "POST", "/api/screening", { answers });
  }
  const others = Object.fromEntries(screening.checks.filter((q) => q.id !== screening.daily.id).map((q) => [q.id, "no"]));
  await call(base, "POST /api/daily-check", "POST", "/api/daily-check", { answer: "no", answers: others });
  const started = await call(base, "POST /api/sessions", "POST", "/api/sessions", { pain_before: 3 + (i % 4) });
  if (!started) return null;
  const id = started.id;
  const sent = [];
  const send = async (event) => {
    const u = await call(base, "POST /api/sessions/{id}/events", "POST", `/api/sessions/${id}/events`, event);
    if (u && event.type !== "start") sent.push(event);
    return u;
  };
  await send({ type: "start" });
  let polls = 0;
  // Bounded: a session that never ends shows as unfinished, not as a test that hangs.
  for (const give_up = Date.now() + 600_000; Date.now() < give_up;) {
    await sleep(pollMs * (0.75 + Math.random() / 2));
    const u = await call(base, "GET /api/sessions/{id}", "GET", `/api/sessions/${id}`);
    if (!u) continue;
    polls++;
    if (u.ended) break;
    if (u.view.prompt?.kind?.type === "pain") {
      if ((await send({ type: "pain", value: 2 }))?.ended) break;
      continue;
    }
    if (polls === 2) {
      await send({ type: "toggle_pause" });
      await send({ type: "toggle_pause" });
    }
    if (polls === 4) await send({ type: "next" });
  }
  if (!opt["skip-progress"]) await call(base, "GET /api/progress", "GET", "/api/progress");
  return { id, sent };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const servers = [];
try {
  // One after the other: the first sets the tables up.
  for (let k = 0; k < instances; k++) servers.push(await serve());
  const t0 = Date.now();
  const runs = await Promise.all(Array.from({ length: people }, async (_, i) => {
    await sleep((rampMs * i) / people);
    return person(servers[i % instances].url, i);
  }));
  const wall = (Date.now() - t0) / 1000;

  console.log(`${people} people, ${instances} instances, speed ${speed}x, started over ${rampMs / 1000} s; all done in ${wall.toFixed(1)} s`);
  console.log("route                              requests    p50 ms    p99 ms    max ms  errors");
  let errorCount = 0;
  for (const [route, list] of [...times].sort()) {
    const s = [...list].sort((a, b) => a - b);
    const errs = errors.get(route)?.length ?? 0;
    errorCount += errs;
    console.log(`${route.padEnd(34)} ${String(s.length).padStart(8)} ${quantile(s, 0.5).toFixed(1).padStart(9)} ${quantile(s, 0.99).toFixed(1).padStart(9)} ${s[s.length - 1].toFixed(1).padStart(9)} ${String(errs).padStart(7)}`);
  }
  for (const [route, list] of errors) {
    if (!times.has(route)) errorCount += list.length;
    console.log(`errors on ${route}: ${[...new Set(list)].slice(0, 3).join("; ")}`);
  }

  // The journal, read back on its own: every session, its records.
  const log = JSON.parse(execFileSync(opt.bin, ["log", "--json", "--limit", String(people * 2), "--db", opt.db, "--profile", profile],
    { encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, HOME: home } }));
  const byId = new Map(log.map((s) => [s.id, s]));
  // A session is wrong when its journaled inputs are not exactly the events sent (one lost,
  // kept twice or out of order) or a segment is done twice.
  let unfinished = 0, wrong = 0, sentCount = 0;
  for (const run of runs) {
    const s = run && byId.get(run.id);
    if (s?.status !== "finished") { unfinished++; continue; }
    const kept = s.events.filter((e) => e.kind === "input").map((e) => JSON.stringify(e.data.event));
    const want = run.sent.map((e) => JSON.stringify(e));
    sentCount += want.length;
    const done = s.events.filter((e) => e.kind === "segment_done").map((e) => e.data.index);
    if (kept.join("\n") !== want.join("\n") || new Set(done).size !== done.length) wrong++;
  }
  console.log(`sessions finished: ${people - unfinished}/${people}; events sent and accepted: ${sentCount}; sessions with an event lost, doubled or out of order: ${wrong}; request errors: ${errorCount}`);
  process.exitCode = unfinished || wrong || errorCount ? 1 : 0;
} finally {
  // Stopped as a service manager would; what they log while stopping counts too.
  await Promise.all(servers.map((s) => new Promise((res) => { s.child.on("exit", res); s.child.kill("SIGINT"); })));
  console.log(`server warnings: ${problems.length}`);
  for (const line of problems.slice(0, 5)) console.log(`  ${line}`);
  if (problems.length) process.exitCode = 1;
  rmSync(home, { recursive: true, force: true });
}
