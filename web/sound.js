// Voice through speechSynthesis and soft chimes through WebAudio. Both start from a tap or key
// (browsers need one). Where either fails (no speechSynthesis, no voices, an utterance that
// errors or never starts; no AudioContext, one the browser keeps suspended or that will not
// start), the failure is noted once, in plain words, for the page to show: silence is never
// left unexplained. A voice that starts after all, or chimes that wake up, clear the note.

/** What the page shows when the voice fails. */
export const SPEECH_FAILED = "I can't speak on this device: follow the words on screen.";
/** What the page shows when chimes cannot play, by cause. */
export const CHIMES = {
  missing: "Chimes are off: this browser cannot play sounds.",
  blocked: "Chimes are off: tap the screen once to let this page play sounds.",
  failed: "Chimes are off: the sound device did not start.",
};

// How long an utterance may take to start before we say the voice is not working (real time;
// the first utterance of a browser can take a second or two to begin).
const SPEECH_START_MS = 6000;
// How long the browser may take to list its voices after the page opens.
const VOICES_WAIT_MS = 2500;

const problems = new Map();
const listeners = new Set();

function emit() {
  const list = [...problems.values()];
  for (const fn of listeners) fn(list);
}

function report(kind, message) {
  if (problems.get(kind) === message) return;
  problems.set(kind, message);
  emit();
}

function clear(kind) {
  if (problems.delete(kind)) emit();
}

/** Calls `fn(messages)` now and whenever the sound problems change; returns an unsubscribe. */
export function onSoundProblems(fn) {
  listeners.add(fn);
  fn([...problems.values()]);
  return () => listeners.delete(fn);
}

// ---------- chimes ----------

let ctx = null;

function audioContextClass() {
  return typeof window === "undefined" ? null : window.AudioContext || window.webkitAudioContext || null;
}

function watchState() {
  if (ctx.state === "running") clear("chimes");
  else if (ctx.state === "closed" || ctx.state === "interrupted") report("chimes", CHIMES.failed);
}

function ensureContext() {
  if (ctx) return ctx;
  const AC = audioContextClass();
  if (!AC) {
    report("chimes", CHIMES.missing);
    return null;
  }
  try {
    ctx = new AC();
  } catch {
    report("chimes", CHIMES.failed);
    return null;
  }
  ctx.onstatechange = watchState;
  return ctx;
}

/**
 * Creates or wakes the audio context; call from a click or key handler. Resolves with whether
 * chimes can play now.
 */
export async function unlockAudio() {
  const c = ensureContext();
  if (!c) return false;
  if (c.state !== "running") {
    try {
      await c.resume();
    } catch {
      report("chimes", CHIMES.failed);
      return false;
    }
  }
  if (c.state === "running") {
    clear("chimes");
    return true;
  }
  report("chimes", CHIMES.blocked);
  return false;
}

// Each chime: notes as [frequency Hz, start s, length s, loudness].
const NOTES = {
  start: [[523.25, 0, 1.6, 0.22], [659.25, 0.22, 1.6, 0.2], [783.99, 0.44, 2.0, 0.18]],
  transition: [[659.25, 0, 1.8, 0.2]],
  hold_end: [[783.99, 0, 1.2, 0.18], [523.25, 0.25, 1.8, 0.2]],
  inhale: [[392.0, 0, 0.9, 0.07]],
  pause: [[440.0, 0, 0.8, 0.14]],
  end: [[783.99, 0, 2.0, 0.18], [659.25, 0.3, 2.0, 0.18], [523.25, 0.6, 2.6, 0.2]],
};

/**
 * Plays a chime by the core's name (start, transition, hold_end, inhale, pause, end). Returns
 * whether it could be played (the context is running and took the notes).
 */
export function chime(name) {
  const c = ensureContext();
  if (!c) return false;
  if (c.state !== "running") {
    // Suspended until a tap, unless it already failed to start (that says more).
    if (!problems.has("chimes")) report("chimes", CHIMES.blocked);
    return false;
  }
  try {
    const t0 = c.currentTime + 0.02;
    for (const [f, at, len, vol] of NOTES[name] || NOTES.transition) {
      const osc = c.createOscillator();
      const gain = c.createGain();
      osc.type = "sine";
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0, t0 + at);
      gain.gain.linearRampToValueAtTime(vol, t0 + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + len);
      osc.connect(gain).connect(c.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + len + 0.05);
    }
    return true;
  } catch {
    report("chimes", CHIMES.failed);
    return false;
  }
}

// ---------- voice ----------

const synth = () => (typeof window !== "undefined" && window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null);

/** Whether this browser has speech synthesis at all. */
export const canSpeak = () => Boolean(synth());

/** Voices the browser offers (may fill in a moment after load). */
export function voices() {
  try {
    return synth()?.getVoices() || [];
  } catch {
    return [];
  }
}

let voicesChecked = null;

/** Resolves with the browser's voices, waiting a little for them to be listed. */
function voicesReady() {
  voicesChecked ||= new Promise((resolve) => {
    const s = synth();
    if (!s) return resolve([]);
    if (voices().length) return resolve(voices());
    const done = () => resolve(voices());
    s.addEventListener?.("voiceschanged", done, { once: true });
    setTimeout(done, VOICES_WAIT_MS);
  });
  return voicesChecked;
}

// The utterance being said and its start watchdog (cleared when it starts, fails or is stopped).
let current = null;
// Whether any utterance has started (then an empty voice list is no reason to worry).
let spoke = false;

function forget(u) {
  if (current?.u !== u) return;
  clearTimeout(current.timer);
  current = null;
}

/**
 * Says text, replacing anything still being said. rate is words a minute (80-300). Resolves
 * with "ok" once the voice starts, or with the reason it cannot speak (also shown by the page).
 */
export function speak(text, { rate = 150, voice = null } = {}) {
  const s = synth();
  if (!s) {
    report("speech", SPEECH_FAILED);
    return Promise.resolve(SPEECH_FAILED);
  }
  if (!text) return Promise.resolve("ok");
  voicesReady().then((list) => {
    if (!list.length && !spoke) report("speech", SPEECH_FAILED);
  });
  stopSpeech();
  return new Promise((resolve) => {
    const failed = () => {
      report("speech", SPEECH_FAILED);
      resolve(SPEECH_FAILED);
    };
    let u;
    try {
      u = new SpeechSynthesisUtterance(text);
    } catch {
      failed();
      return;
    }
    // About 150 words a minute is the browser's normal rate.
    u.rate = Math.min(3, Math.max(0.5, rate / 150));
    const v = voice && voices().find((x) => x.name === voice);
    if (v) u.voice = v;
    u.lang = v ? v.lang : "en";
    u.onstart = () => {
      forget(u);
      spoke = true;
      clear("speech");
      resolve("ok");
    };
    u.onerror = (e) => {
      forget(u);
      // Cancelled or cut off by the next cue: that is us, not a failure.
      if (e.error === "interrupted" || e.error === "canceled") resolve("ok");
      else failed();
    };
    current = { u, timer: setTimeout(() => { forget(u); failed(); }, SPEECH_START_MS) };
    try {
      s.speak(u);
    } catch {
      forget(u);
      failed();
    }
  });
}

/** Stops speaking now. */
export function stopSpeech() {
  if (current) forget(current.u);
  try {
    synth()?.cancel();
  } catch {
    // Nothing is being said.
  }
}

/**
 * The settings page's check: speaks a sentence and plays a chime. Resolves with what worked,
 * in words: `{ voice, chimes, voiceOk, chimesOk }`.
 */
export async function testSound({ rate = 150, voice = null } = {}) {
  const chimesOk = (await unlockAudio()) && chime("start");
  const said = await speak("This is your supine voice. Slowly lift your hips.", { rate, voice });
  const voiceOk = said === "ok" && canSpeak();
  return {
    voiceOk,
    chimesOk,
    voice: voiceOk ? "Voice: working. You should have heard a sentence." : `Voice: not working. ${SPEECH_FAILED}`,
    chimes: chimesOk
      ? "Chimes: played. If you heard nothing, turn the volume up."
      : problems.get("chimes") || CHIMES.failed,
  };
}

let lock = null;

/** Keeps the screen awake while a session plays (where the browser allows). */
export async function keepAwake(on) {
  try {
    if (on && "wakeLock" in navigator && document.visibilityState === "visible") {
      if (!lock) {
        lock = await navigator.wakeLock.request("screen");
        lock.addEventListener("release", () => { lock = null; });
      }
    } else if (!on && lock) {
      await lock.release();
      lock = null;
    }
  } catch {
    lock = null;
  }
}
