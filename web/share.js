// Settings that travel: a settings code (the `supine practice` options that give the same
// plan, so it works in any terminal and in any supine page) and, where this page can be reached
// from other devices, a link. Pure functions, no DOM: the e2e suite tests them in Node too.
//
// Only what shapes the plan travels (routine, minutes, level, breath, easier); voice settings
// belong to each device, whose voices differ.

/** Whether a page host name only works on this machine (127.0.0.0/8, localhost, ::1). */
export function isLoopbackHost(hostname) {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

const seconds = (ms) => String(Math.round(ms / 100) / 10);

/** The `supine practice` command that gives these settings' plan. */
export function settingsCode(s) {
  const parts = ["supine practice", `--routine ${s.routine}`];
  if (s.minutes != null) parts.push(`--minutes ${s.minutes}`);
  parts.push(`--level ${s.level}`, `--inhale ${seconds(s.inhale_ms)}`, `--exhale ${seconds(s.exhale_ms)}`);
  if (s.easier) parts.push("--easier");
  return parts.join(" ");
}

/** The settings page's query for these settings (what a link carries). */
export function settingsQuery(s) {
  return new URLSearchParams({
    minutes: s.minutes ?? "", level: s.level, inhale: s.inhale_ms / 1000, exhale: s.exhale_ms / 1000,
    easier: s.easier ? "1" : "0", routine: s.routine,
  });
}

const EXAMPLE = "supine practice --minutes 10 --level gentle --inhale 4 --exhale 6";

/**
 * Reads a settings code (or a shared link) into the settings page's query. A code names
 * `--minutes` and `--easier` only when they are set, so leaving them out means the routine's
 * own length and not easier; any other option left out keeps this device's setting. Throws an
 * Error with a plain message on anything it cannot read.
 */
export function parseSettingsCode(text) {
  const t = text.trim();
  const hash = t.indexOf("#/settings?");
  if (hash >= 0) return new URLSearchParams(t.slice(hash + "#/settings?".length));
  const words = t.split(/\s+/).filter(Boolean);
  if (words[0] === "supine") words.shift();
  if (words[0] === "practice" || words[0] === "plan") words.shift();
  if (!words.length) throw new Error(`paste a settings code such as: ${EXAMPLE}`);
  const q = new URLSearchParams({ minutes: "", easier: "0" });
  const number = (name, v, lo, hi) => {
    const n = Number(v);
    if (v === undefined || v === "" || !Number.isFinite(n) || n < lo || n > hi) {
      throw new Error(`--${name} needs a number from ${lo} to ${hi} (got ${v === undefined ? "nothing" : `"${v}"`})`);
    }
    return String(n);
  };
  for (let i = 0; i < words.length; i++) {
    const [flag, inline] = words[i].split(/=(.*)/s);
    const value = () => (inline !== undefined ? inline : words[++i]);
    switch (flag) {
      case "--routine": {
        const v = value();
        if (!v || v.startsWith("--")) throw new Error("--routine needs a routine id, e.g. --routine lying-down-relief");
        q.set("routine", v);
        break;
      }
      case "--minutes": q.set("minutes", number("minutes", value(), 1, 60)); break;
      case "--inhale": q.set("inhale", number("inhale", value(), 2, 8)); break;
      case "--exhale": q.set("exhale", number("exhale", value(), 2, 12)); break;
      case "--level": {
        const v = value();
        if (v !== "gentle" && v !== "standard") throw new Error(`--level is gentle or standard (got ${v === undefined ? "nothing" : `"${v}"`})`);
        q.set("level", v);
        break;
      }
      case "--easier": q.set("easier", "1"); break;
      case "--no-easier": q.set("easier", "0"); break;
      default:
        throw new Error(`"${words[i]}" is not part of a settings code; it looks like: ${EXAMPLE}`);
    }
  }
  return q;
}
