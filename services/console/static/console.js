// benchhub console: progressive enhancement only; every page works without this file.
// Loaded from /static (the Content-Security-Policy allows no inline script).
"use strict";

document.addEventListener("keydown", (event) => {
  // "/" jumps to the rankings search, as on many sites, unless the person is typing already.
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const search = document.querySelector('input[name="search"]');
  if (search) {
    event.preventDefault();
    search.focus();
  }
});
