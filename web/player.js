// The session player. The server owns the session: this page sends events and carries out the
// effects it is sent (speak, stop speaking, chime), and draws the view. No timing or dose logic
// lives here; the figure and the breath ring only animate between the server's updates.

import { Preview, cameraProblem } from "./camera.js";
import { FigureView, figureWords, poseAt, tellingMoment } from "./figures.js";
import { keepFitted } from "./fit.js";
import { chime, keepAwake, onSoundProblems, speak, stopSpeech, unlockAudio } from "./sound.js";

const reduceMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

const CHOICE_WORDS = {
  easier: "Try an easier version",
  skip: "Skip this pose",
  end: "End for today",
  resume: "Carry on gently",
};

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c);
  return e;
}

function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Pain 0-10 as big buttons with words at the ends. */
export function painScale(onPick, label) {
  const group = h("div", { class: "painscale", role: "group", "aria-label": label });
  for (let i = 0; i <= 10; i++) {
    const words = i === 0 ? "0, no pain" : i === 10 ? "10, the worst pain imaginable" : String(i);
    group.append(h("button", { type: "button", "data-pain": i, "aria-label": words, on: { click: () => { unlockAudio(); onPick(i); } } }, String(i)));
  }
  return h("div", {}, group, h("div", { class: "painends", "aria-hidden": "true" }, h("span", {}, "0 = no pain"), h("span", {}, "10 = worst imaginable")));
}

export class Player {
  constructor(main, id, { api, settings, announce, onEnded, camera = null }) {
    this.id = id;
    this.camera = camera;
    this.api = api;
    this.settings = settings;
    this.announce = announce;
    this.onEnded = onEnded;
    this.seq = -1;
    this.update = null;
    this.closed = false;
    this.promptKey = null;
    this.build(main);
    this.onKey = (e) => this.key(e);
    document.addEventListener("keydown", this.onKey);
    this.onVisible = () => { if (document.visibilityState === "visible" && !this.update?.ended) keepAwake(true); };
    document.addEventListener("visibilitychange", this.onVisible);
    document.body.classList.add("playing");
    keepAwake(true);
    this.connect(0);
    this.frame = this.frame.bind(this);
    this.raf = requestAnimationFrame(this.frame);
  }

  build(main) {
    this.el = {};
    const e = this.el;
    const svg = (name, attrs) => {
      const x = document.createElementNS("http://www.w3.org/2000/svg", name);
      for (const [k, v] of Object.entries(attrs)) x.setAttribute(k, v);
      return x;
    };
    e.name = h("span", { class: "routine" });
    e.poseNo = h("span", { class: "pose-no" });
    e.left = h("span", { class: "left", id: "time-left" });
    e.bar = h("div", {});
    e.progress = h("div", { class: "progress", role: "progressbar", "aria-label": "Progress through the routine", "aria-valuemin": 0, "aria-valuemax": 100 }, e.bar);
    e.notice = h("p", { class: "sound-notice", id: "sound-notice", role: "status", hidden: true });
    e.figureBox = h("div", {});
    e.figureWords = h("p", { class: "figure-words", id: "figure-words", "aria-hidden": "true" });
    e.figure = h("div", { class: "figure", id: "figure" }, e.figureBox, e.figureWords);
    if (this.camera) {
      // A small preview in the figure's corner, with what the camera sees of the session.
      e.cameraBox = h("div", { class: "camera-box small" });
      e.cameraStatus = h("p", { class: "camera-status", id: "camera-status", role: "status" }, "Starting the camera…");
      e.figure.append(h("div", { class: "camera-inset", id: "camera-inset" }, e.cameraBox, e.cameraStatus));
      this.preview = new Preview(e.cameraBox, this.camera);
      this.camera.onEnded = () => this.cameraGone(cameraProblem(new Error("the camera stopped")));
    }
    this.figure = new FigureView(e.figureBox, "The pose");
    e.ringFill = svg("circle", { cx: 100, cy: 100, r: 96, class: "ring-fill" });
    const ringSvg = svg("svg", { viewBox: "0 0 200 200", "aria-hidden": "true" });
    ringSvg.append(svg("circle", { cx: 100, cy: 100, r: 96, class: "ring-edge" }), e.ringFill);
    e.breathWord = h("span", { class: "breath-word", id: "breath-word" }, "");
    e.ring = h("div", { class: "ring", id: "ring" }, ringSvg, e.breathWord);
    e.title = h("p", { class: "pose-title", id: "pose-title" });
    e.instruction = h("p", { class: "instruction", id: "instruction" });
    e.counter = h("p", { class: "counter", id: "counter" });
    e.why = h("p", { class: "why", id: "why" });
    e.caption = h("p", { class: "caption", id: "caption" });
    e.next = h("p", { class: "next", id: "next" });
    e.cueLog = h("ol", { id: "cue-log", hidden: true });
    const btn = (label, cls, type, key) => h("button", { type: "button", class: cls, "data-event": type, "aria-keyshortcuts": key, on: { click: () => { unlockAudio(); this.send(type); } } }, label);
    e.back = btn("◀ Back", "", "back", "ArrowLeft");
    e.pause = btn("Pause", "primary", "toggle_pause", "Space");
    e.nextBtn = btn("Next ▶", "", "next", "ArrowRight");
    e.hurt = btn("This hurts", "hurt", "hurt", "H");
    e.end = btn("End", "", "quit", "Escape");
    e.prompt = h("div", { class: "prompt", hidden: true, role: "dialog", "aria-modal": "true", "aria-labelledby": "prompt-text" });
    // Each part has an area of its own in the player's grid (style.css), so none can cover
    // another; the words shrink to fit their area.
    const player = h("section", { class: "player", "aria-label": "Session" },
      h("div", { class: "pbar" }, e.name, e.poseNo, e.progress, e.left),
      e.notice, e.figure, e.ring, e.title, e.instruction, e.counter,
      h("div", { class: "note" }, e.why, e.caption),
      e.next,
      h("div", { class: "controls" }, e.back, e.pause, e.nextBtn, e.hurt, e.end),
      h("p", { class: "keys" }, h("kbd", {}, "space"), " pause · ", h("kbd", {}, "←"), " ", h("kbd", {}, "→"), " back, next · ", h("kbd", {}, "h"), " this hurts · ", h("kbd", {}, "Esc"), " end"),
      e.prompt, e.cueLog);
    e.player = player;
    main.replaceChildren(player);
    this.fit = keepFitted([e.title, e.instruction, e.counter, e.why, e.caption, e.next]);
    this.promptSize = new ResizeObserver(() => this.fitPrompt());
    this.promptSize.observe(e.prompt);
    this.noticesShown = new Set();
    this.soundNotes = [];
    this.serverNotes = [];
    this.stopNotices = onSoundProblems((list) => { this.soundNotes = list; this.drawNotices(); });
  }

  /**
   * Sound problems, and what the server says (supine stopping, the journal not saving), in a
   * line of their own, each said once, calmly; the server's words are spoken too.
   */
  drawNotices() {
    const list = [...this.serverNotes, ...this.soundNotes];
    const n = this.el.notice;
    n.textContent = list.join(" ");
    n.hidden = list.length === 0;
    for (const m of list) {
      if (this.noticesShown.has(m)) continue;
      this.noticesShown.add(m);
      this.announce(m);
      if (this.serverNotes.includes(m) && this.settings.voice) speak(m, { rate: this.settings.rate, voice: this.settings.web_voice });
    }
  }

  connect(tries) {
    if (this.closed) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/sessions/${this.id}/ws`);
    this.ws = ws;
    ws.onmessage = (m) => {
      tries = 0;
      const msg = JSON.parse(m.data);
      if (msg.camera) this.cameraNews(msg);
      else if (msg.view) this.apply(msg);
      else if (msg.error) this.cameraNote(msg.error);
    };
    if (this.camera) ws.onopen = () => this.camera?.sendTo(ws);
    ws.onclose = () => {
      if (this.closed || this.update?.ended) return;
      // Reconnect calmly; after a few failures, poll instead.
      if (tries < 3) setTimeout(() => this.connect(tries + 1), 800);
      else this.poll();
    };
  }

  /** What the server says of the camera: a frame's skeleton, the camera off, or no place. */
  cameraNews(msg) {
    if (!this.camera) return;
    if (msg.camera === "frame") {
      this.preview.draw(msg.landmarks, msg.placement.ok);
      this.cameraOff = false;
      this.drawCamera();
    } else if (msg.camera === "off") {
      this.cameraOff = true;
      this.cameraNote(msg.message);
    } else if (msg.camera === "refused") {
      this.cameraGone(msg.message);
    }
  }

  cameraNote(text) {
    if (!this.el.cameraStatus) return;
    this.el.cameraStatus.textContent = text;
  }

  /** The camera can't be used any more: said once, and the timer leads. */
  cameraGone(text) {
    this.camera?.close();
    this.camera = null;
    this.cameraOff = true;
    this.cameraNote(text);
    this.announce(text);
  }

  /** The camera's line: the circles seen, or what it can't see, or who leads. */
  drawCamera() {
    const st = this.el.cameraStatus;
    if (!st || this.cameraOff) return;
    const c = this.update?.view.camera;
    if (!c) { st.textContent = "Starting the camera…"; return; }
    if (c.cant_see) st.textContent = `I can't see ${c.cant_see}; I'll keep count`;
    else if (c.circles) st.textContent = `Seen ${c.circles[0]} of ${c.circles[1]}`;
    else st.textContent = c.following ? (c.waiting ? "Watching: take your time" : "Watching you") : "Camera on";
    st.dataset.seen = c.circles ? String(c.circles[0]) : "";
  }

  async poll() {
    while (!this.closed && !this.update?.ended) {
      try { this.apply(await this.api(`/api/sessions/${this.id}`)); } catch { /* try again */ }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async send(type, value) {
    if (this.update?.ended) return;
    const body = value === undefined ? { type } : { type, value };
    try {
      this.apply(await this.api(`/api/sessions/${this.id}/events`, { method: "POST", body }));
    } catch (err) {
      this.announce(String(err.message || err), true);
    }
  }

  apply(u) {
    if (u.seq <= this.seq) return;
    this.seq = u.seq;
    this.update = u;
    for (const fx of u.effects) this.effect(fx);
    this.serverNotes = [u.stopping, u.error].filter(Boolean);
    this.drawNotices();
    this.draw(u);
    if (u.ended) this.finish();
  }

  effect(fx) {
    switch (fx.effect) {
      case "speak": {
        if (this.settings.voice) speak(fx.value, { rate: this.settings.rate, voice: this.settings.web_voice });
        // The caption shows what was said when it adds to the words already on screen.
        const shown = this.update?.view.instruction.replace(/\n/g, " ") || "";
        this.el.caption.textContent = shown && fx.value.includes(shown) ? "" : fx.value;
        this.el.cueLog.append(h("li", {}, fx.value));
        this.announce(fx.value);
        break;
      }
      case "stop_speech": stopSpeech(); break;
      case "chime": chime(fx.value); break;
      default: break;
    }
  }

  draw(u) {
    const v = u.view;
    const e = this.el;
    const paused = v.screen.screen === "paused";
    e.player.dataset.screen = v.screen.screen;
    e.player.dataset.moving = u.ring.moving ? "true" : "false";
    e.name.textContent = v.routine_name;
    e.poseNo.textContent = v.pose_number ? `pose ${v.pose_number[0]} of ${v.pose_number[1]}` : "";
    // Time left for the whole routine, named so, far from what comes next.
    e.left.textContent = `${clock(u.total_left_real_ms)} left in total`;
    const pct = Math.round(v.progress * 100);
    e.bar.style.width = `${pct}%`;
    e.progress.setAttribute("aria-valuenow", pct);
    e.title.textContent = v.title;
    e.instruction.textContent = v.instruction.replace(/\n/g, " ");
    e.counter.textContent = v.counter || (v.breaths_in_segment > 1 ? `breath ${v.breath_number} of ${v.breaths_in_segment}` : "");
    // What follows this part, by name, so it cannot be read as a countdown.
    e.next.textContent = v.next ? `After ${v.title}: ${v.next}` : "This is the last part";
    e.why.textContent = v.why ? `Why it helps: ${v.why}` : "";
    // "Why it helps" only while still; then it takes the caption's place.
    e.why.hidden = !paused || !v.why;
    e.caption.hidden = !e.why.hidden;
    e.pause.textContent = paused ? "Resume" : "Pause";
    e.pause.setAttribute("aria-pressed", paused ? "true" : "false");
    this.drawRing(u.ring, paused);
    // The figure's clock: where the segment started, in page time.
    this.segReal = u.segment_real_ms;
    this.segStart = performance.now() - (u.segment_real_ms - u.segment_left_real_ms);
    this.moving = u.ring.moving;
    this.frozenP = 1 - u.segment_left_real_ms / Math.max(1, u.segment_real_ms);
    const words = figureWords(u.figure);
    this.figure.describe(words);
    e.figureWords.textContent = words;
    this.drawPrompt(v);
    this.drawCamera();
    if (reduceMotion()) this.figure.update(poseAt(u.figure, tellingMoment(u.figure)));
    this.fit.refit();
  }

  drawRing(r, paused) {
    const fill = this.el.ringFill;
    const scale = (f) => 0.45 + 0.55 * f;
    this.el.breathWord.textContent = paused ? "Paused" : r.inhale ? "Breathe in" : "Breathe out";
    fill.style.transition = "none";
    fill.style.transform = `scale(${scale(r.fill)})`;
    if (!r.moving || reduceMotion()) return;
    // Force the start size, then ease to the end of this phase in time with the voice.
    fill.getBoundingClientRect();
    fill.style.transition = `transform ${r.left_ms}ms ease-in-out`;
    fill.style.transform = `scale(${scale(r.inhale ? 1 : 0)})`;
  }

  frame(now) {
    if (this.closed) return;
    if (this.update && !reduceMotion()) {
      const p = this.moving ? (now - this.segStart) / Math.max(1, this.segReal) : this.frozenP;
      this.figure.update(poseAt(this.update.figure, Math.min(1, Math.max(0, p))));
    }
    this.raf = requestAnimationFrame(this.frame);
  }

  drawPrompt(v) {
    const box = this.el.prompt;
    const p = v.prompt;
    const key = p ? `${v.screen.screen}|${p.text}|${p.kind.type}|${v.advice || ""}` : null;
    if (key === this.promptKey) return;
    this.promptKey = key;
    // While a question is open, nothing behind it can be reached.
    for (const c of this.el.player.children) if (c !== box && c !== this.el.cueLog) c.inert = Boolean(p);
    if (!p) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const text = h("p", { class: "text", id: "prompt-text" }, p.text);
    let answers;
    const t = p.kind.type;
    if (t === "pain") {
      answers = painScale((n) => this.send("pain", n), "Pain from 0 to 10");
    } else if (t === "yes_no") {
      answers = h("div", { class: "row answers" },
        h("button", { type: "button", class: "big", "data-answer": "yes", on: { click: () => this.send("answer", true) } }, "Yes"),
        h("button", { type: "button", class: "big", "data-answer": "no", on: { click: () => this.send("answer", false) } }, "No"));
    } else if (t === "choices") {
      answers = h("div", { class: "row answers" }, p.kind.choices.map((c) =>
        h("button", { type: "button", class: c === "end" ? "big" : "big primary", "data-choice": c, on: { click: () => this.send("choose", c) } }, CHOICE_WORDS[c] || c)));
    } else {
      answers = h("div", { class: "row answers" },
        v.advice ? h("button", { type: "button", class: "big", id: "say-again", on: { click: () => { unlockAudio(); speak(v.advice, { rate: this.settings.rate, voice: this.settings.web_voice }); } } }, "Hear this again") : null,
        h("a", { class: "button big primary", href: "#/" }, "Back to today"),
        // After a safety stop, the advice matters now, not the charts.
        v.advice ? null : h("a", { class: "button big", href: "#/progress" }, "See progress"));
    }
    // After a safety stop its advice stays on screen, above whatever is asked next.
    const advice = v.advice && v.advice !== p.text
      ? h("p", { class: "advice-box", id: "advice", role: "alert" }, v.advice)
      : null;
    if (v.advice && v.advice === p.text) text.setAttribute("role", "alert");
    box.replaceChildren(h("div", { class: "box" }, advice, text, answers));
    box.hidden = false;
    this.fitPrompt();
    box.querySelector("button, a")?.focus();
  }

  /**
   * Scales the open question or message down until it fits the screen (never below 0.7, so
   * the answers stay big enough to hit); call after its words change.
   */
  fitPrompt() {
    const box = this.el.prompt;
    const inner = box.firstElementChild;
    if (box.hidden || !inner) return;
    const fits = () => inner.scrollHeight <= box.clientHeight - 32 && inner.scrollWidth <= box.clientWidth;
    let s = 1;
    box.style.setProperty("--s", "1");
    while (!fits() && s > 0.7) {
      s = Math.max(0.7, s - 0.05);
      box.style.setProperty("--s", String(s));
    }
  }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const v = this.update?.view;
    if (!v) return;
    unlockAudio();
    const prompt = v.prompt?.kind.type;
    if (prompt === "pain" && /^[0-9]$/.test(e.key)) { e.preventDefault(); this.send("pain", Number(e.key)); return; }
    if (prompt === "yes_no" && (e.key === "y" || e.key === "n")) { e.preventDefault(); this.send("answer", e.key === "y"); return; }
    if (prompt === "message") return;
    switch (e.key) {
      case " ":
        if (prompt) return;
        e.preventDefault(); this.send("toggle_pause"); break;
      case "ArrowRight": if (!prompt) { e.preventDefault(); this.send("next"); } break;
      case "ArrowLeft": if (!prompt) { e.preventDefault(); this.send("back"); } break;
      case "h": case "H": e.preventDefault(); this.send("hurt"); break;
      case "Escape": case "q": e.preventDefault(); this.send("quit"); break;
      default: break;
    }
  }

  finish() {
    keepAwake(false);
    this.camera?.close();
    this.camera = null;
    this.onEnded?.(this.update);
  }

  close() {
    this.closed = true;
    cancelAnimationFrame(this.raf);
    document.removeEventListener("keydown", this.onKey);
    document.removeEventListener("visibilitychange", this.onVisible);
    document.body.classList.remove("playing");
    this.fit.stop();
    this.promptSize.disconnect();
    this.stopNotices();
    stopSpeech();
    keepAwake(false);
    this.camera?.close();
    this.camera = null;
    try { this.ws?.close(); } catch { /* already closed */ }
  }
}
