// The sign-in page: sends the name and password to POST /api/sign-in and, once signed in,
// goes to the page. The server sets the session cookie (HttpOnly: this script never sees it).

import { keepTheme, sayer, sentence } from "./form.js";

keepTheme();

const form = document.getElementById("sign-in");
const problem = document.getElementById("problem");
const go = document.getElementById("go");

const say = sayer(problem);

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = form.elements.name.value.trim();
  const password = form.elements.password.value;
  if (!name || !password) {
    say("Type your name and your password, then press Sign in.");
    (name ? form.elements.password : form.elements.name).focus();
    return;
  }
  go.disabled = true;
  say("");
  try {
    const res = await fetch("/api/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, password }),
    });
    if (res.ok) {
      location.assign("/");
      return;
    }
    const data = await res.json().catch(() => ({}));
    if (res.status === 401) say("That name and password do not match. Check them and try again.");
    else if (res.status === 409) location.assign("/");
    else say(sentence(data.error, "Signing in did not work. Try again in a moment."));
    form.elements.password.select();
  } catch {
    say("supine cannot be reached. Check that it is still running, then try again.");
  } finally {
    go.disabled = false;
  }
});

document.getElementById("name").focus();
