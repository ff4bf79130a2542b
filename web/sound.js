// Voice through speechSynthesis and soft chimes through WebAudio. Both start from a tap or key
// (browsers need one) and fail quietly where the browser has neither.

let ctx = null;

/** Creates or wakes the audio context; call from a click or key handler. */
export function unlockAudio() {
  try {
    ctx = ctx || new (window.AudioContext || window.webkitAudioContext)();
    if (ctx.state === "suspended") ctx.resume();
  } catch {
    ctx = null;
  }
}

// Each chime: notes as [frequency Hz, start s, length s, loudness].
const CHIMES = {
  start: [[523.25, 0, 1.6, 0.22], [659.25, 0.22, 1.6, 0.2], [783.99, 0.44, 2.0, 0.18]],
  transition: [[659.25, 0, 1.8, 0.2]],
  hold_end: [[783.99, 0, 1.2, 0.18], [523.25, 0.25, 1.8, 0.2]],
  inhale: [[392.0, 0, 0.9, 0.07]],
  pause: [[440.0, 0, 0.8, 0.14]],
  end: [[783.99, 0, 2.0, 0.18], [659.25, 0.3, 2.0, 0.18], [523.25, 0.6, 2.6, 0.2]],
};

/** Plays a chime by the core's name (start, transition, hold_end, inhale, pause, end). */
export function chime(name) {
  if (!ctx) return;
  const notes = CHIMES[name] || CHIMES.transition;
  const t0 = ctx.currentTime + 0.02;
  for (const [f, at, len, vol] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = f;
    gain.gain.setValueAtTime(0, t0 + at);
    gain.gain.linearRampToValueAtTime(vol, t0 + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + len);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + len + 0.05);
  }
}

const synth = typeof window !== "undefined" ? window.speechSynthesis : null;

/** Whether this browser can speak. */
export const canSpeak = () => Boolean(synth && window.SpeechSynthesisUtterance);

/** Voices the browser offers (may fill in a moment after load). */
export function voices() {
  return canSpeak() ? synth.getVoices() : [];
}

/** Says text, replacing anything still being said. rate is words a minute (80-300). */
export function speak(text, { rate = 150, voice = null } = {}) {
  if (!canSpeak() || !text) return;
  synth.cancel();
  const u = new SpeechSynthesisUtterance(text);
  // About 150 words a minute is the browser's normal rate.
  u.rate = Math.min(3, Math.max(0.5, rate / 150));
  const v = voice && voices().find((x) => x.name === voice);
  if (v) u.voice = v;
  u.lang = v ? v.lang : "en";
  synth.speak(u);
}

/** Stops speaking now. */
export function stopSpeech() {
  if (canSpeak()) synth.cancel();
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
