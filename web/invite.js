// The invitation page: the token comes in the address's fragment (after #), which the browser
// never sends to a server; this page posts it with the chosen password to
// POST /api/invitations/accept and, once the account is made and signed in, goes to the app.

import { keepTheme, sayer, sentence } from "./form.js";

keepTheme();

const form = document.getElementById("accept");
const problem = document.getElementById("problem");
const go = document.getElementById("go");

const say = sayer(problem);

const token = decodeURIComponent(location.hash.slice(1)).trim();
// The token leaves the address bar (and the browser's history) at once.
if (token) history.replaceState(null, "", location.pathname);
if (!token) say("This page needs the whole link of your invitation. Open the link you were sent again.");

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const password = form.elements.password.value;
  if (password.length < 8) {
    say("Choose a password of at least 8 characters.");
    form.elements.password.focus();
    return;
  }
  if (password !== form.elements.again.value) {
    say("The two passwords differ. Type the same one twice.");
    form.elements.again.select();
    return;
  }
  go.disabled = true;
  say("");
  try {
    const res = await fetch("/api/invitations/accept", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, password }),
    });
    if (res.ok) {
      location.assign("/");
      return;
    }
    const data = await res.json().catch(() => ({}));
    if (res.status === 401) say("This invitation does not work: it may be used already or more than 7 days old. Ask whoever invited you for a new one.");
    else say(sentence(data.error, "That did not work. Try again in a moment."));
  } catch {
    say("supine cannot be reached. Check your connection, then try again.");
  } finally {
    go.disabled = false;
  }
});

form.elements.password.focus();
