// supine's page: a small hash router over the JSON API. Pages: today, the start flow (safety
// questions, daily check, pain before), the session player, progress, settings and the
// printable routine card.

import { Camera, Preview, cameraProblem } from "./camera.js";
import { stillFigure } from "./figures.js";
import { Player, painScale } from "./player.js";
import { isLoopbackHost, parseSettingsCode, settingsCode, settingsQuery } from "./share.js";
import { canSpeak, speak, testSound, unlockAudio, voices } from "./sound.js";

const main = document.getElementById("main");
let player = null;
// The camera chosen on the set-up screen, kept open through the start flow into the session.
let camera = null;

// ---------- helpers ----------

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) e.append(c);
  return e;
}

/** Calls the API; throws an Error with the server's message on failure. */
async function api(path, { method = "GET", body } = {}) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  // Beyond 127.0.0.1 a session that ended (signed out, or the server restarted) signs in again.
  if (res.status === 401) location.assign("/signin.html");
  if (!res.ok) {
    const err = new Error(data.error || `request failed (${res.status})`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function announce(text, urgent = false) {
  const region = document.getElementById(urgent ? "alert" : "announce");
  region.textContent = "";
  // A fresh text node each time, so repeated cues are still read.
  setTimeout(() => { region.textContent = text; }, 20);
}

function minutes(ms) {
  const m = Math.round(ms / 60000);
  return m <= 1 ? "about a minute" : `about ${m} minutes`;
}

function dateWords(rfc) {
  const d = new Date(rfc);
  return Number.isNaN(d.getTime()) ? rfc : d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
}

function show(title, ...children) {
  document.title = title ? `${title} · supine` : "supine";
  main.replaceChildren(...children.filter((c) => c != null && c !== false));
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function errorBox(err) {
  return h("p", { class: "error", role: "alert" }, String(err.message || err));
}

const REASONS = {
  completed: "completed",
  quit: "ended early",
  stopped_for_pain: "stopped, it hurt",
  stop_rule: "stopped for safety",
  stopped_for_safety: "stopped for safety",
  partial: "partly done",
  error: "stopped (error)",
};

// A session still open with no heartbeat for this long was left (the journal's own rule: it
// marks such a session interrupted next time; a live one sends a heartbeat every 30 s).
const STALE_MS = 2 * 60 * 1000;

/** How a listed session went, in words; an open one whose heartbeat stopped was interrupted. */
function howItWent(s, now = Date.now()) {
  if (s.status === "finished") return REASONS[s.end_reason] || s.end_reason;
  if (s.status === "interrupted") return "interrupted";
  const seen = Date.parse(s.last_seen_at ?? "");
  return !Number.isNaN(seen) && now - seen > STALE_MS ? "interrupted" : "in progress";
}

// The advice of the last safety stop, kept in this browser so that Today can show it again once
// the player has closed (the journal keeps the stop; the page keeps its words).
const ADVICE_KEY = "supine-last-advice";

function keepAdvice(id, text) {
  try {
    localStorage.setItem(ADVICE_KEY, JSON.stringify({ id, text }));
  } catch {
    // Storage may be off; the advice was shown and said in the session.
  }
}

function readAdvice() {
  try {
    const v = JSON.parse(localStorage.getItem(ADVICE_KEY) || "null");
    return v && typeof v.text === "string" && Number.isInteger(v.id) ? v : null;
  } catch {
    return null;
  }
}

// ---------- theme ----------

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const b = document.getElementById("theme");
  b.textContent = theme === "dark" ? "Light theme" : "Dark theme";
  b.setAttribute("aria-pressed", theme === "light" ? "true" : "false");
}
applyTheme(localStorage.getItem("supine-theme") || "dark");
// Sign out: shown only where the server asks for sign-in (beyond 127.0.0.1).
// On a paired device it unpairs it (the server forgets it; pairing again needs a new code).
const account = api("/api/account").catch(() => null);
account.then((a) => {
  if (a?.role === "clinician" && !a.device) {
    document.querySelector("nav[aria-label=Main]").append(h("a", { href: "#/people", id: "nav-people" }, "Your people"));
  }
  const b = document.getElementById("sign-out");
  if (!a?.sign_in || !a.name) return;
  b.hidden = false;
  if (a.device) {
    b.textContent = "Unpair this device";
    b.title = `Paired as ${a.name}`;
  } else {
    b.title = `Signed in as ${a.name}`;
  }
  b.addEventListener("click", async () => {
    if (a.device && !confirm("Unpair this device? To use it with supine again, you will scan a new pairing code.")) return;
    await api("/api/sign-out", { method: "POST" }).catch(() => {});
    location.assign(a.device ? "/pair.html" : "/signin.html");
  });
});
document.getElementById("theme").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem("supine-theme", next);
  applyTheme(next);
});

// ---------- today ----------

async function today() {
  const t = await api("/api/today");
  const plan = await api("/api/plan");
  const redFlag = t.screening.outcome && t.screening.outcome.outcome === "see_clinician";
  // Today's check (or a follow-up on the last session) said not to exercise today.
  const notToday = !redFlag && t.check === "not_today";
  const blocked = redFlag || notToday;
  const start = h("a", { class: "button big primary", href: "#/start", id: "start" }, "Start");
  const withCamera = h("a", { class: "button", href: "#/camera", id: "start-camera" }, "Start with camera");
  const adaptations = plan.plan.adaptations.map((a) => h("li", {}, `${a.subject || plan.plan.steps[a.step]?.title || "Routine"}: ${a.change}, because ${a.why}.`));
  const recent = t.recent.length
    ? h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Day"), h("th", {}, "Pain before → after"), h("th", {}, "How it went"))),
      h("tbody", {}, t.recent.map((s) => h("tr", {},
        h("td", {}, dateWords(s.started_at)),
        h("td", {}, s.pain_before == null && s.pain_after == null ? "–" : `${s.pain_before ?? "–"} → ${s.pain_after ?? "–"}`),
        h("td", { class: "how" }, howItWent(s))))))
    : h("p", { class: "muted" }, "No sessions yet. Your pain scores will show here.");
  // After a red flag, the advice comes first and nothing invites exercise.
  const advice = redFlag
    ? h("section", { class: "panel advice warn", id: "blocked", role: "alert" }, h("p", { class: "message" }, t.screening.message),
      h("a", { class: "button", href: "#/screening" }, "Answer the safety questions again"))
    : notToday
      ? h("section", { class: "panel advice warn", id: "blocked", role: "alert" }, h("p", { class: "message" }, "Today's check said not to exercise today. Please follow the advice it gave."))
      : null;
  // After a safety stop, its advice stays with the page until the next session.
  const last = t.recent[0];
  const kept = readAdvice();
  const lastAdvice = last && last.end_reason === "stopped_for_safety" && kept?.id === last.id
    ? h("section", { class: "panel advice warn", id: "last-advice", "aria-labelledby": "last-advice-h" },
      h("h2", { id: "last-advice-h" }, "Your last session stopped for safety"),
      h("p", { class: "message" }, kept.text))
    : null;
  show("Today",
    advice,
    lastAdvice,
    h("section", { class: "panel hero", "aria-labelledby": "today-h" },
      h("div", {},
        h("h1", { id: "today-h" }, t.routine_name),
        h("p", { class: "meta" }, `${minutes(t.total_ms)} on your back, paced by your breath.`),
        h("ul", { class: "poses", "aria-label": "Poses" }, t.poses.map((p) => h("li", {}, p))),
        blocked || lastAdvice ? null : h("p", { class: "streak", id: "streak" }, t.streak > 0
          ? [h("strong", {}, String(t.streak)), ` day${t.streak === 1 ? "" : "s"} in a row`]
          : "Start a streak today.")),
      blocked ? null : h("div", { class: "starts" }, start, withCamera)),
    t.clinician_note ? h("section", { class: "panel", id: "clinician-note", "aria-labelledby": "cn-h" },
      h("h2", { id: "cn-h" }, "From your clinician"),
      h("p", {}, t.clinician_note)) : null,
    t.screening.conditions.length ? h("section", { class: "panel", "aria-labelledby": "adj-h" },
      h("h2", { id: "adj-h" }, "Adjusted for you"),
      h("p", {}, `Your answers mentioned ${t.screening.conditions.map((c) => c.label).join(" and ")}, so the routine changes:`),
      h("ul", { class: "steps" }, adaptations.length ? adaptations : h("li", {}, "no changes were needed for these poses."))) : null,
    h("section", { class: "panel", "aria-labelledby": "recent-h" }, h("h2", { id: "recent-h" }, "Recent sessions"), recent),
    h("p", { class: "muted" }, "supine is not medical advice. If something hurts during a session, press “This hurts” (or the h key)."));
}

// ---------- start flow: screening, daily check, pain before, where it hurts ----------

function questionScreen({ count, text, answers, back }) {
  return h("section", { class: "question", "aria-labelledby": "q-text" },
    count ? h("p", { class: "count" }, count) : null,
    h("p", { class: "text", id: "q-text" }, text),
    answers,
    back ? h("p", {}, h("button", { type: "button", on: { click: back } }, "◀ Previous question")) : null);
}

function answerButtons(onAnswer, notSure = true) {
  return h("div", { class: "row answers" },
    h("button", { type: "button", class: "big", "data-answer": "yes", on: { click: () => onAnswer("yes") } }, "Yes"),
    h("button", { type: "button", class: "big", "data-answer": "no", on: { click: () => onAnswer("no") } }, "No"),
    notSure ? h("button", { type: "button", class: "big", "data-answer": "not_sure", on: { click: () => onAnswer("not_sure") } }, "Not sure") : null);
}

function outcomeScreen(o) {
  show("Please check first",
    h("section", { class: "question", "aria-labelledby": "stop-h" },
      h("h1", { id: "stop-h" }, o.code === "see_clinician_urgently" ? "Please get medical help today" : "Please check with a clinician first"),
      h("p", { class: "message", role: "alert" }, o.message),
      h("p", {}, h("a", { class: "button big", href: "#/" }, "Back to today"))));
}

/**
 * The full screening, one question per screen. Resolves with the outcome. An emergency red
 * flag (a question with `ends_screening`) answered other than "no" ends it at once: the answers
 * so far go to the server, which gives the urgent message.
 */
function screening(questions, intro) {
  return new Promise((resolve) => {
    const answers = {};
    let i = 0;
    const send = (upTo) => api("/api/screening", {
      method: "POST",
      body: { answers: Object.fromEntries(questions.slice(0, upTo).map((q) => [q.id, answers[q.id]])) },
    });
    const step = () => {
      const q = questions[i];
      const screen = questionScreen({
        count: `Question ${i + 1} of ${questions.length}`,
        text: q.text,
        answers: answerButtons(async (a) => {
          answers[q.id] = a;
          if (q.ends_screening && a !== "no") return resolve(await send(i + 1));
          if (++i < questions.length) return step();
          resolve(await send(questions.length));
        }),
        back: i > 0 ? () => { i -= 1; step(); } : null,
      });
      show("Safety questions", i === 0 ? h("p", { class: "notice" }, intro) : null, screen);
      screen.querySelector("button")?.focus();
    };
    step();
  });
}

const AREAS = [["lower_back", "Lower back"], ["hips", "Hips"], ["leg", "Leg"]];

/**
 * Where it hurts and whether it spreads down a leg, on one screen of big toggle buttons.
 * Resolves with `{pain_areas, pain_spreads}`; "Skip" (or answering nothing) leaves both empty.
 */
function whereItHurts() {
  return new Promise((resolve) => {
    const areas = new Set();
    let spreads = null;
    const toggle = (btn, on) => btn.setAttribute("aria-pressed", on ? "true" : "false");
    const areaButtons = AREAS.map(([id, label]) => {
      const b = h("button", { type: "button", class: "big toggle", "data-area": id, "aria-pressed": "false", on: { click: () => {
        if (areas.has(id)) areas.delete(id); else areas.add(id);
        toggle(b, areas.has(id));
      } } }, label);
      return b;
    });
    const spreadButtons = [[true, "Yes"], [false, "No"]].map(([value, label]) => {
      const b = h("button", { type: "button", class: "big toggle", "data-spreads": String(value), "aria-pressed": "false", on: { click: () => {
        // Pressing the chosen answer again takes it back (not answered).
        spreads = spreads === value ? null : value;
        for (const o of spreadButtons) toggle(o, spreads === (o.dataset.spreads === "true"));
      } } }, label);
      return b;
    });
    show("Where it hurts", h("section", { class: "question where", "aria-labelledby": "q-text" },
      h("p", { class: "text", id: "q-text" }, "Where does it hurt?"),
      h("p", { class: "muted", id: "where-hint" }, "Choose all that apply."),
      h("div", { class: "row answers", role: "group", "aria-labelledby": "q-text", "aria-describedby": "where-hint" }, areaButtons),
      h("p", { class: "text sub", id: "spreads-q" }, "Does the pain spread down a leg?"),
      h("div", { class: "row answers", role: "group", "aria-labelledby": "spreads-q" }, spreadButtons),
      h("p", { class: "row" },
        h("button", { type: "button", class: "big primary", id: "where-go", on: { click: () => resolve({ pain_areas: [...areas], pain_spreads: spreads }) } }, "Start"),
        h("button", { type: "button", class: "skip-where", on: { click: () => resolve({ pain_areas: [], pain_spreads: null }) } }, "Skip this question"))));
    areaButtons[0].focus();
  });
}

async function startFlow(query) {
  unlockAudio();
  // Only the set-up screen's Start keeps the camera on.
  if (query?.get("camera") !== "1") closeCamera();
  const s = await api("/api/screening");
  if (s.status.due) {
    const o = await screening(s.questions, "A few safety questions first. They decide whether these exercises are right for you today, and adjust them if needed. “Not sure” is fine.");
    if (!o.clear) return outcomeScreen(o);
    if (o.conditions.length) {
      await new Promise((res) => {
        show("Adjusted for you", h("section", { class: "question" },
          h("p", { class: "message" }, o.message),
          h("button", { type: "button", class: "big primary", on: { click: res } }, "Carry on")));
        main.querySelector("button").focus();
      });
    }
  } else if (s.status.outcome?.outcome === "see_clinician") {
    return outcomeScreen({ code: s.status.outcome.urgency === "urgent" ? "see_clinician_urgently" : "see_clinician", message: s.status.message });
  }
  // The check before a session: not asked again within the hour of a clear one (or of a fresh
  // full screening, which asked the same), but always when a follow-up on the last session is
  // due (after a safety stop, or a session that left the pain worse), which comes first.
  const { check } = await api("/api/today");
  if (check === "not_today") return notTodayScreen();
  const followUp = (s.checks || []).some((q) => q.id !== s.daily.id);
  if (check !== "clear" || followUp) {
    const daily = await checks(s.checks?.length ? s.checks : [s.daily], s.daily.id);
    if (!daily.clear) return outcomeScreen(daily);
  }
  const pain = await new Promise((resolve) => {
    show("Pain before", h("section", { class: "question", "aria-labelledby": "q-text" },
      h("p", { class: "text", id: "q-text" }, "How strong is your back pain right now?"),
      painScale(resolve, "Pain before, from 0 to 10"),
      h("p", {}, h("button", { type: "button", class: "skip-pain", on: { click: () => resolve(null) } }, "Skip this question"))));
    main.querySelector(".painscale button").focus();
  });
  // As in the terminal: where it hurts, only when it hurts.
  const where = pain > 0 ? await whereItHurts() : { pain_areas: [], pain_spreads: null };
  const started = await api("/api/sessions", { method: "POST", body: { pain_before: pain, ...where } });
  location.hash = `#/session/${started.id}`;
}

/**
 * The questions before a session, one per screen: the follow-up on the last session (if the
 * server gives one), then the daily question. Resolves with the server's outcome.
 */
function checks(questions, dailyId) {
  return new Promise((resolve) => {
    const answers = {};
    let i = 0;
    const step = () => {
      const q = questions[i];
      show("Today's check", questionScreen({
        count: questions.length > 1 ? `Before you start: ${i + 1} of ${questions.length}` : "Before you start",
        text: q.text,
        answers: answerButtons(async (a) => {
          answers[q.id] = a;
          if (++i < questions.length) return step();
          const { [dailyId]: answer, ...others } = answers;
          resolve(await api("/api/daily-check", { method: "POST", body: { answer, answers: others } }));
        }),
        back: i > 0 ? () => { i -= 1; step(); } : null,
      }));
      main.querySelector("button").focus();
    };
    step();
  });
}

function notTodayScreen() {
  show("Not today",
    h("section", { class: "question", "aria-labelledby": "stop-h" },
      h("h1", { id: "stop-h" }, "Let's not exercise today"),
      h("p", { class: "message", role: "alert" }, "Today's check said not to exercise today. Please follow the advice it gave."),
      h("p", {}, h("a", { class: "button big", href: "#/" }, "Back to today"))));
}

async function screeningAgain() {
  const s = await api("/api/screening");
  const o = await screening(s.questions, "The safety questions again. Your answers replace the ones on file.");
  if (!o.clear) return outcomeScreen(o);
  show("Thank you", h("section", { class: "question" }, h("p", { class: "message" }, o.message),
    h("a", { class: "button big primary", href: "#/" }, "Back to today")));
}

// ---------- camera set-up ----------

/** A placement check is said once it has held this long (ms): not every flicker of it. */
const PLACEMENT_STEADY_MS = 1500;
/** ... and at least this long after the last one said (ms). */
const PLACEMENT_GAP_MS = 4000;

function closeCamera() {
  camera?.close();
  camera = null;
}

/**
 * The camera set-up screen: a live preview with the skeleton the server finds, and the
 * placement check in words (green when the whole body is seen from the side, raised). Frames
 * go to this server on the set-up socket, which keeps nothing.
 */
async function cameraSetup() {
  const status = h("p", { class: "placement", id: "placement", role: "status" }, "Starting the camera…");
  const box = h("div", { class: "camera-box" });
  const go = h("a", { class: "button big primary", href: "#/start?camera=1", id: "camera-go" }, "Start");
  show("Camera set-up",
    h("section", { class: "panel camera-setup", "aria-labelledby": "camera-h" },
      h("h1", { id: "camera-h" }, "Set up the camera"),
      h("p", {}, "Put the camera at your side, about two metres away and raised to the height of a chair or table, so it looks down at the mat. Lie down and check the words below."),
      box,
      status,
      h("p", { class: "muted", id: "frames-stay" }, "Frames stay on this machine: they go only to supine on this computer, are looked at once, and are never stored."),
      h("p", { class: "row" }, go, h("a", { class: "button", href: "#/start", id: "camera-skip" }, "Start without the camera"))));
  // Said aloud too, for someone already lying down: each new placement check once it has held
  // for PLACEMENT_STEADY_MS, and not sooner than PLACEMENT_GAP_MS after the last.
  const settings = await api("/api/settings").catch(() => null);
  const say = (text) => {
    if (settings?.voice) speak(text, { rate: settings.rate, voice: settings.web_voice });
  };
  let heard = { check: null, since: 0 };
  let said = { check: null, at: -Infinity };
  const sayPlacement = (p) => {
    const now = performance.now();
    if (p.check !== heard.check) heard = { check: p.check, since: now };
    if (p.check === said.check || now - heard.since < PLACEMENT_STEADY_MS || now - said.at < PLACEMENT_GAP_MS) return;
    said = { check: p.check, at: now };
    say(p.ok ? `${p.words}. Press Start when you are ready.` : p.words);
  };
  if (!camera) {
    camera = new Camera();
    try {
      await camera.open();
    } catch (err) {
      closeCamera();
      status.textContent = cameraProblem(err);
      status.classList.add("warn");
      go.setAttribute("href", "#/start");
      say(status.textContent);
      return;
    }
  }
  const preview = new Preview(box, camera);
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/api/camera/ws`);
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.camera === "frame") {
      preview.draw(msg.landmarks, msg.placement.ok);
      status.textContent = msg.placement.words;
      status.classList.toggle("good", msg.placement.ok);
      status.dataset.check = msg.placement.check;
      sayPlacement(msg.placement);
    } else if (msg.message || msg.error) {
      status.textContent = msg.message || msg.error;
      status.classList.remove("good");
    }
  };
  ws.onopen = () => camera?.sendTo(ws);
  camera.onEnded = () => {
    status.textContent = cameraProblem(new Error("the camera stopped"));
    status.classList.remove("good");
  };
  // Leaving the screen closes its socket; the camera stays on only for the session.
  const leave = () => {
    window.removeEventListener("hashchange", leave);
    camera?.stopSending();
    ws.close();
    if (!location.hash.startsWith("#/start?camera=1")) closeCamera();
  };
  window.addEventListener("hashchange", leave);
}

// ---------- session ----------

async function session(id) {
  const settings = await api("/api/settings");
  const cam = camera;
  camera = null;
  player = new Player(main, id, {
    api, settings, announce, camera: cam,
    onEnded: async (u) => {
      const safety = u?.view.end === "stopped_for_safety";
      if (safety && u.view.advice) keepAdvice(id, u.view.advice);
      const [t, list] = await Promise.all([api("/api/today").catch(() => null), api("/api/sessions?limit=1").catch(() => [])]);
      const box = document.querySelector(".prompt .box");
      const buttons = box?.querySelector(".answers");
      if (!t || !box || box.querySelector(".streak")) return;
      const s = list[0];
      if (s && s.pain_before != null && s.pain_after != null) {
        const less = s.pain_before - s.pain_after;
        box.insertBefore(h("p", { class: "summary" }, `Pain before ${s.pain_before}, now ${s.pain_after}${less > 0 ? `: ${less} less` : ""}.`), buttons);
      }
      // No streak after a safety stop: the advice is what matters now.
      if (t.streak > 0 && !safety) {
        box.insertBefore(h("p", { class: "streak" }, h("strong", {}, String(t.streak)), ` day${t.streak === 1 ? "" : "s"} in a row`), buttons);
      }
      player?.fitPrompt();
    },
  });
  document.title = "Session · supine";
}

// ---------- progress ----------

async function progress() {
  const p = await api("/api/progress");
  show("Progress", h("h1", {}, "Progress"), ...progressView(p));
}

/** A progress report's sections: summary, advice, the camera, changes and charts. */
function progressView(p) {
  const chart = (id, title, svg, extra) => {
    const box = h("div", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), extra || null);
    const holder = h("div", {});
    // Server-rendered SVG: built from numbers and escaped text only.
    holder.innerHTML = svg;
    box.append(holder);
    return box;
  };
  const avg = p.relief.length ? (p.relief.reduce((a, x) => a + x.relief, 0) / p.relief.length).toFixed(1) : "–";
  const fmtDay = (d) => new Date(`${d}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short" });
  return [
    h("section", { class: "panel stats", "aria-label": "Summary" },
      h("div", { id: "p-streak" }, h("strong", {}, String(p.streak)), "days in a row"),
      h("div", { id: "p-sessions" }, h("strong", {}, String(p.sessions)), "sessions"),
      h("div", {}, h("strong", {}, avg), "average relief (points)")),
    // The two-week rule, in the core's words; a clinician note stands out.
    h("section", { class: `panel advice ${p.see_clinician ? "warn" : ""}`, id: "p-advice", role: p.see_clinician ? "alert" : null, "aria-label": "How it is going" },
      h("p", {}, p.advice_message)),
    p.camera_words ? h("section", { class: "panel", id: "p-camera", "aria-label": "The camera" }, h("p", {}, p.camera_words)) : null,
    p.markers.length
      ? h("section", { class: "panel", "aria-labelledby": "p-markers-h" },
        h("h2", { id: "p-markers-h" }, "Meaningful changes"),
        h("ul", { id: "p-markers" }, p.markers.map((m) => h("li", { class: `marker-${m.change}` }, h("strong", {}, fmtDay(m.day)), `: ${m.message}`))))
      : null,
    h("div", { class: "charts" },
      chart("c-pain", "Pain before and after", p.charts.pain, h("p", { class: "legend" }, h("span", { class: "b" }, "before"), h("span", { class: "a" }, "after"))),
      chart("c-trend", "Pain before sessions, 7-day mean", p.charts.trend, h("p", { class: "legend" }, h("span", { class: "m" }, "7-day mean"), h("span", { class: "d" }, "◆ meaningful change"))),
      chart("c-relief", "Relief per session", p.charts.relief),
      chart("c-weeks", "Sessions per week", p.charts.weeks),
      chart("c-cal", "The last five weeks", p.charts.calendar))];
}

// ---------- a clinician's people ----------

/** A clinician's form to change one of their people's plan, with a note they will see. */
function planChangeForm(name) {
  const status = h("p", { role: "status", id: "plan-status" });
  const field = (label, input) => h("label", {}, label, input);
  const form = h("form", { class: "settings", id: "plan-change", novalidate: true },
    field("Level", h("select", { name: "level" }, h("option", { value: "" }, "as it is"), h("option", { value: "gentle" }, "gentle"), h("option", { value: "standard" }, "standard"))),
    field("Breathe in (seconds, 2 to 8)", h("input", { name: "inhale", type: "number", min: 2, max: 8, step: 0.5 })),
    field("Breathe out (seconds, 2 to 12)", h("input", { name: "exhale", type: "number", min: 2, max: 12, step: 0.5 })),
    field("Minutes (1 to 60)", h("input", { name: "minutes", type: "number", min: 1, max: 60 })),
    field("Your note for them (they see it on their Today page and in the terminal)", h("textarea", { name: "note", rows: 3, maxlength: 1000, required: true })),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Change their plan")),
    status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = form.elements;
    const num = (v, k) => (v === "" ? undefined : Number(v) * k);
    const body = {
      level: f.level.value || undefined,
      inhale_ms: num(f.inhale.value, 1000),
      exhale_ms: num(f.exhale.value, 1000),
      minutes: num(f.minutes.value, 1),
      note: f.note.value,
    };
    try {
      await api(`/api/people/${encodeURIComponent(name)}/plan`, { method: "PUT", body });
      status.textContent = `Changed. ${name} sees your note and follows the new plan from their next session.`;
    } catch (err) {
      status.textContent = `Not changed: ${err.message}`;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "pc-h" }, h("h2", { id: "pc-h" }, "Change their plan"), form);
}

async function people() {
  const list = await api("/api/people");
  const when = (t) => (t ? new Date(t).toLocaleDateString() : "none yet");
  show("Your people",
    h("h1", {}, "Your people"),
    h("p", { class: "muted" }, "The people you follow. Each time you open one, they see it in their settings."),
    h("section", { class: "panel" },
      list.length
        ? h("ul", { class: "devices", id: "people" }, list.map((x) => h("li", {},
          h("a", { href: `#/people/${encodeURIComponent(x.name)}` }, x.name),
          h("span", { class: "muted" }, `${x.sessions_this_week} ${x.sessions_this_week === 1 ? "session" : "sessions"} in the last 7 days; last ${when(x.last_session_at)}`))))
        : h("p", { id: "people" }, "No one is assigned to you yet. Whoever runs supine does that with supine admin assign.")));
}

async function person(name) {
  const path = `/api/people/${encodeURIComponent(name)}`;
  const [p, sessions] = await Promise.all([api(`${path}/progress`), api(`${path}/sessions`)]);
  const row = (x) => h("tr", {},
    h("td", {}, new Date(x.started_at).toLocaleString()),
    h("td", {}, howItWent(x)),
    h("td", {}, x.pain_before ?? "–"),
    h("td", {}, x.pain_after ?? "–"));
  show(name,
    h("p", {}, h("a", { href: "#/people" }, "Your people")),
    h("h1", {}, name),
    planChangeForm(name),
    ...progressView(p),
    h("section", { class: "panel", "aria-labelledby": "s-h" },
      h("h2", { id: "s-h" }, "Sessions"),
      sessions.length
        ? h("table", { id: "person-sessions" },
          h("thead", {}, h("tr", {}, h("th", {}, "started"), h("th", {}, "how it went"), h("th", {}, "pain before"), h("th", {}, "pain after"))),
          h("tbody", {}, sessions.map(row)))
        : h("p", {}, "No sessions yet.")));
}

// ---------- settings ----------

function settingsFromQuery(q, s) {
  const out = { ...s };
  const num = (k) => (q.has(k) && q.get(k) !== "" ? Number(q.get(k)) : undefined);
  if (q.has("minutes")) out.minutes = q.get("minutes") === "" ? null : num("minutes");
  if (q.has("level")) out.level = q.get("level");
  if (q.has("inhale")) out.inhale_ms = Math.round(num("inhale") * 1000);
  if (q.has("exhale")) out.exhale_ms = Math.round(num("exhale") * 1000);
  if (q.has("easier")) out.easier = q.get("easier") === "1";
  if (q.has("routine")) out.routine = q.get("routine");
  return out;
}

/** A link to these settings on this page's own address (useful elsewhere only off loopback). */
function shareLink(s) {
  return `${location.origin}/#/settings?${settingsQuery(s)}`;
}

/** Whether other devices can open this page's address at all. */
const reachableElsewhere = () => !isLoopbackHost(location.hostname);

function planPreview(plan) {
  return h("div", { id: "preview" },
    h("p", {}, `${plan.routine_name}: ${minutes(plan.total_ms)}, a breath every ${(plan.breath_ms / 1000).toFixed(1)} seconds.`),
    h("ol", { class: "steps" }, plan.steps.filter((s) => !s.skipped).map((s) => h("li", {},
      h("strong", {}, s.title),
      s.reps ? ` · ${s.reps} ${s.pose === "knee-circles" ? "circles each way" : s.hold_breaths ? "rounds" : "times"}` : "",
      s.hold_breaths ? ` · hold ${s.hold_breaths} breaths` : "",
      ` · ${Math.round((s.breaths * plan.breath_ms) / 1000)} s`))),
    plan.adaptations.length ? h("ul", {}, plan.adaptations.map((a) => h("li", {}, `${a.subject || plan.steps[a.step]?.title}: ${a.change}, because ${a.why}.`))) : null,
    plan.notes.length ? h("ul", { class: "muted" }, plan.notes.map((n) => h("li", {}, n))) : null);
}

async function settingsPage(query) {
  const saved = await api("/api/settings");
  const fromLink = query && [...query.keys()].length > 0;
  let s = fromLink ? settingsFromQuery(query, saved) : saved;
  const status = h("p", { role: "status", id: "settings-status" });
  const soundResult = h("div", { id: "sound-result", role: "status" });
  async function checkSound() {
    soundResult.replaceChildren(h("p", {}, "Listen: a chime, then a sentence…"));
    const r = await testSound({ rate: Number(form.rate.value) || 150, voice: voiceSelect.value || null });
    soundResult.replaceChildren(
      h("p", { class: r.voiceOk ? "ok" : "notice warn", id: "sound-voice" }, r.voice),
      h("p", { class: r.chimesOk ? "ok" : "notice warn", id: "sound-chimes" }, r.chimes));
  }
  const preview = h("div", { "aria-live": "polite" });
  const link = h("a", { class: "share", id: "share-link" });
  const code = h("code", { class: "share", id: "settings-code" });
  const codeInput = h("input", { type: "text", name: "code", id: "code-input", autocomplete: "off", spellcheck: "false", "aria-describedby": "code-hint" });
  const codeStatus = h("p", { role: "status", id: "code-status" });
  const useCode = (e) => {
    e.preventDefault();
    try {
      location.hash = `#/settings?${parseSettingsCode(codeInput.value)}`;
    } catch (err) {
      codeStatus.textContent = `That code did not work: ${err.message}.`;
    }
  };
  const field = (label, input, hint) => h("label", {}, label, hint ? h("span", { class: "hint" }, hint) : null, input);
  const num = (name, value, min, max, step) => h("input", { type: "number", name, value, min, max, step, inputmode: "decimal" });
  const voiceSelect = h("select", { name: "web_voice" }, h("option", { value: "" }, "The browser's default voice"));
  const fillVoices = () => {
    const current = s.web_voice || "";
    voiceSelect.replaceChildren(h("option", { value: "" }, "The browser's default voice"),
      ...voices().filter((v) => v.lang.startsWith("en")).map((v) => h("option", { value: v.name, selected: v.name === current }, `${v.name} (${v.lang})`)));
  };
  fillVoices();
  if (canSpeak()) window.speechSynthesis.onvoiceschanged = fillVoices;
  const form = h("form", { class: "settings", novalidate: true },
    field("Breathe in (seconds)", num("inhale", s.inhale_ms / 1000, 2, 8, 0.5), "2 to 8"),
    field("Breathe out (seconds)", num("exhale", s.exhale_ms / 1000, 2, 12, 0.5), "2 to 12"),
    field("Minutes", num("minutes", s.minutes ?? "", 1, 60, 1), "1 to 60; leave empty for the routine's own length. The dose stays within safe bounds."),
    field("Level", h("select", { name: "level" },
      h("option", { value: "standard", selected: s.level === "standard" }, "Standard"),
      h("option", { value: "gentle", selected: s.level === "gentle" }, "Gentle (for recent pain: smaller dose, easier versions)"))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "easier", checked: s.easier }), "Use the easier version of every pose"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "voice", checked: s.voice }), "Speak every cue"),
    field("Speaking speed (words a minute)", num("rate", s.rate, 80, 300, 10), "80 to 300; 150 is normal"),
    field("Voice", voiceSelect),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "breath_chimes", checked: s.breath_chimes }), "A soft chime at every in-breath"),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Save settings"),
      h("button", { type: "button", id: "test-sound", on: { click: checkSound } }, "Test voice and chimes")),
    soundResult,
    status);
  const read = () => ({
    routine: s.routine,
    minutes: form.minutes.value === "" ? null : Number(form.minutes.value),
    level: form.level.value,
    inhale_ms: Math.round(Number(form.inhale.value) * 1000),
    exhale_ms: Math.round(Number(form.exhale.value) * 1000),
    easier: form.easier.checked,
    voice: form.voice.checked,
    rate: Math.round(Number(form.rate.value)),
    web_voice: voiceSelect.value || null,
    breath_chimes: form.breath_chimes.checked,
  });
  const refresh = async () => {
    const v = read();
    link.href = shareLink(v);
    link.textContent = link.href;
    code.textContent = settingsCode(v);
    const q = new URLSearchParams({ level: v.level, inhale_ms: v.inhale_ms, exhale_ms: v.exhale_ms, easier: v.easier, routine: v.routine });
    if (v.minutes != null) q.set("minutes", v.minutes);
    try {
      const r = await api(`/api/plan?${q}`);
      preview.replaceChildren(planPreview(r.plan));
    } catch (err) {
      preview.replaceChildren(errorBox(err));
    }
  };
  form.addEventListener("input", refresh);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      s = await api("/api/settings", { method: "PUT", body: read() });
      status.textContent = "Saved. Your next session uses these settings.";
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  });
  show("Settings",
    h("h1", {}, "Settings"),
    fromLink ? h("p", { class: "notice", id: "from-link" }, "These settings came from a shared link or code. Save them to use them.") : null,
    h("div", { class: "grid2" },
      h("section", { class: "panel", "aria-label": "Your settings" }, form),
      h("section", { class: "panel", "aria-labelledby": "prev-h" }, h("h2", { id: "prev-h" }, "Plan preview"), preview,
        h("h2", {}, "Use these settings on another device"),
        h("p", {}, "Your settings code gives the same routine anywhere: paste it into this page on another device, or run it in a terminal."),
        h("p", {}, code),
        reachableElsewhere()
          ? h("p", {}, "Or open this link on a device on your network: ", link)
          : h("p", { class: "muted", id: "no-link" }, "supine is only reachable from this computer (it listens on 127.0.0.1), so a link to it would not open on another device."),
        h("form", { class: "code", on: { submit: useCode } },
          h("label", { for: "code-input" }, "A settings code from another device"),
          h("span", { class: "hint", id: "code-hint" }, "For example: supine practice --minutes 10 --level gentle"),
          codeInput,
          h("div", { class: "row" }, h("button", { type: "submit" }, "Use this code")),
          codeStatus),
        h("h2", {}, "Safety questions"), h("p", {}, h("a", { href: "#/screening" }, "Answer the safety questions again")))),
    await pairedDevices(),
    await whoLooked());
  refresh();
}

/** Beyond 127.0.0.1, signed in with an account: who has read this journal (a clinician). */
async function whoLooked() {
  const a = await account;
  if (!a?.sign_in || a.device) return null;
  const log = await api("/api/audit").catch(() => null);
  if (!log) return null;
  const list = h("ul", { class: "devices", id: "audit" },
    log.length
      ? log.map((e) => h("li", {}, h("span", {}, `${e.actor} looked at your ${e.action}`),
          h("span", { class: "muted" }, new Date(e.at).toLocaleString())))
      : h("li", { class: "muted" }, "No one else has looked at your journal."));
  return h("section", { class: "panel", "aria-labelledby": "audit-h" },
    h("h2", { id: "audit-h" }, "Who has looked at your journal"),
    h("p", {}, "A clinician who follows you can read your progress and sessions. Each time they do, it is listed here."),
    list);
}

/** The devices paired with this supine (`supine serve --lan` only), each with a Revoke button. */
async function pairedDevices() {
  const a = await account;
  if (!a?.pairing) return null;
  const list = h("ul", { class: "devices", id: "devices" });
  const status = h("p", { role: "status", id: "devices-status" });
  async function fill() {
    const devices = await api("/api/devices").catch((err) => {
      status.textContent = `The paired devices cannot be read: ${err.message}`;
      return [];
    });
    list.replaceChildren(...devices.map((d) => h("li", {},
      h("span", {}, d.name, d.this_device ? " (this device)" : ""),
      h("span", { class: "muted" }, ` paired ${new Date(d.paired_at).toLocaleDateString()}, last used ${new Date(d.last_seen_at).toLocaleDateString()} `),
      h("button", { type: "button", "aria-label": `Revoke ${d.name}`, on: { click: () => revoke(d) } }, "Revoke"))));
    if (!devices.length) list.append(h("li", { class: "muted" }, "No device is paired."));
  }
  async function revoke(d) {
    if (!confirm(`Revoke ${d.name}? It is signed out at once and must pair again with a new code.`)) return;
    try {
      await api(`/api/devices/${d.id}`, { method: "DELETE" });
      if (d.this_device) { location.assign("/pair.html"); return; }
      status.textContent = `${d.name} is revoked.`;
      await fill();
    } catch (err) {
      status.textContent = `Not revoked: ${err.message}`;
    }
  }
  await fill();
  return h("section", { class: "panel", "aria-labelledby": "devices-h" },
    h("h2", { id: "devices-h" }, "Paired devices"),
    h("p", {}, "Phones and tablets that can be supine's screen and camera. To pair another, run ", h("code", {}, "supine devices pair"), " on the computer running supine and scan its code."),
    list, status);
}

// ---------- routine card ----------

async function card() {
  const { plan, settings } = await api("/api/plan");
  const poses = plan.steps.filter((s) => s.pose && !s.skipped).map((step) => {
    const segs = plan.segments.slice(step.first_segment, step.first_segment + step.segment_count);
    const intro = segs.find((x) => x.kind === "intro");
    const moves = [];
    for (const x of segs) if (x.kind !== "intro" && !moves.includes(x.show)) moves.push(x.show);
    const fig = h("div", { class: "figure" });
    stillFigure(fig, step.pose, `${step.title} figure`);
    const dose = [
      step.reps ? `${step.reps} ${step.pose === "knee-circles" ? "circles each way" : step.hold_breaths ? "rounds" : "times"}` : null,
      step.hold_breaths ? `hold for ${step.hold_breaths} breaths` : null,
    ].filter(Boolean).join(", ");
    return h("section", { class: "panel card-pose", "aria-labelledby": `card-${step.index}` }, fig,
      h("div", {},
        h("h2", { id: `card-${step.index}` }, step.title),
        dose ? h("p", { class: "muted" }, dose) : null,
        h("ol", { class: "steps" }, (intro ? intro.show.split("\n") : []).concat(moves).map((t) => h("li", {}, t))),
        intro?.why ? h("p", {}, h("strong", {}, "Why it helps: "), intro.why) : null));
  });
  show("Routine card",
    h("h1", {}, plan.routine_name),
    h("p", {}, `${minutes(plan.total_ms)}. Breathe in for ${plan.settings.pace.inhale_ms / 1000} seconds and out for ${plan.settings.pace.exhale_ms / 1000}. Move slowly; stop if it hurts.`),
    h("p", { class: "row noprint" }, h("button", { type: "button", class: "primary", on: { click: () => window.print() } }, "Print this card")),
    h("p", { id: "card-code" }, "Settings code (paste it into supine's settings on another device, or run it in a terminal): ", h("code", {}, settingsCode(settings))),
    ...poses,
    h("p", { class: "muted" }, "supine is not medical advice. Stop if pain spreads down a leg, or you feel numbness or weakness."));
}

// ---------- router ----------

async function route() {
  if (player) { player.close(); player = null; }
  const [path, qs] = (location.hash.slice(1) || "/").split("?");
  const query = new URLSearchParams(qs || "");
  // The camera is on only from its set-up screen, through the start flow, to the session.
  if (path !== "/start" && path !== "/camera" && !path.startsWith("/session/")) closeCamera();
  for (const a of document.querySelectorAll(".top nav a")) {
    const target = a.getAttribute("href").slice(1);
    if (target === path || (target === "/" && path === "")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    const m = path.match(/^\/session\/(\d+)$/);
    if (m) return await session(Number(m[1]));
    const who = path.match(/^\/people\/(.+)$/);
    if (who) return await person(decodeURIComponent(who[1]));
    switch (path) {
      case "/start": return await startFlow(query);
      case "/camera": return await cameraSetup();
      case "/screening": return await screeningAgain();
      case "/progress": return await progress();
      case "/people": return await people();
      case "/settings": return await settingsPage(query);
      case "/card": return await card();
      default: return await today();
    }
  } catch (err) {
    show("Something went wrong", h("section", { class: "panel" }, errorBox(err), h("a", { class: "button", href: "#/" }, "Back to today")));
  }
}

window.addEventListener("hashchange", route);
route();
