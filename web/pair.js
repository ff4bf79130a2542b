// The pairing page: the code comes in the address's fragment (after #), which the browser never
// sends to a server; this page posts it to POST /api/pair with a name for the device and, once
// paired, goes to the app. The server sets the device cookie (HttpOnly: this script never sees it).

import { keepTheme, sayer, sentence } from "./form.js";

keepTheme();

const form = document.getElementById("pair");
const problem = document.getElementById("problem");
const go = document.getElementById("go");

const say = sayer(problem);

/** A name for this device from what the browser says it is; the person can change it. */
function guessName() {
  const ua = navigator.userAgent || "";
  if (/iPad/.test(ua)) return "iPad";
  if (/iPhone/.test(ua)) return "iPhone";
  if (/Android/.test(ua)) return /Mobile/.test(ua) ? "Android phone" : "Android tablet";
  return "Phone";
}

const fromAddress = decodeURIComponent(location.hash.slice(1)).trim();
// The code leaves the address bar (and the browser's history) at once.
if (fromAddress) history.replaceState(null, "", location.pathname);
form.elements.code.value = fromAddress;
form.elements.name.value = guessName();

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const code = form.elements.code.value.trim();
  const name = form.elements.name.value.trim();
  if (!code) {
    say("Type the pairing code the computer shows, or scan its QR code again.");
    form.elements.code.focus();
    return;
  }
  go.disabled = true;
  say("");
  try {
    const res = await fetch("/api/pair", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, name }),
    });
    if (res.ok) {
      location.assign("/");
      return;
    }
    const data = await res.json().catch(() => ({}));
    if (res.status === 401) say("That code does not work: it may be used already or more than 5 minutes old. On the computer, run supine devices pair for a new one.");
    else say(sentence(data.error, "Pairing did not work. Try again in a moment."));
    form.elements.code.select();
  } catch {
    say("supine cannot be reached. Check that it is still running, then try again.");
  } finally {
    go.disabled = false;
  }
});

(fromAddress ? go : form.elements.code).focus();
