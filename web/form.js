// What the small public pages share (sign-in, pairing, invitation): the theme the person chose,
// a problem line that speaks up, and the server's error as a sentence.

/** Uses the theme chosen in the app, if any. */
export function keepTheme() {
  const theme = localStorage.getItem("supine-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
}

/** A function that shows `text` in the element `el` (an alert), or hides it for none. */
export function sayer(el) {
  return (text) => {
    el.textContent = text;
    el.hidden = !text;
  };
}

/** The server's error message as a sentence, or `fallback` without one. */
export function sentence(error, fallback) {
  return error ? error.charAt(0).toUpperCase() + error.slice(1) + "." : fallback;
}
