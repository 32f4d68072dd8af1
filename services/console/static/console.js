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

// A running benchmark follows its progress over Server-Sent Events and reloads when it ends.
(() => {
  const live = document.getElementById("live");
  const url = live && live.dataset.events;
  if (!url || typeof EventSource === "undefined") return;
  const set = (id, text) => {
    const element = document.getElementById(id);
    if (element && text !== undefined && text !== null) element.textContent = String(text);
  };
  const source = new EventSource(url);
  source.addEventListener("progress", (event) => {
    const data = JSON.parse(event.data);
    set("run-done", data.done);
    set("run-total", data.total);
    set("run-failed", data.failed);
    set("run-cost", data.cost);
    set("run-eta", data.eta || "–");
    set("run-providers", data.providers);
    const bar = document.getElementById("run-progress");
    if (bar) {
      bar.max = Math.max(1, data.total);
      bar.value = data.done + data.failed;
    }
  });
  source.addEventListener("status", (event) => {
    set("run-status", event.data);
    const status = document.getElementById("run-status");
    if (status) status.dataset.status = event.data;
  });
  source.addEventListener("end", (event) => {
    set("run-status", event.data);
    const status = document.getElementById("run-status");
    if (status) status.dataset.status = event.data;
    source.close();
    window.location.reload();
  });
})();

// A running re-ingest appends each source's line as it finishes (the server sends the line's HTML).
(() => {
  const list = document.getElementById("job-results");
  const url = list && list.dataset.events;
  if (!url || typeof EventSource === "undefined") return;
  const source = new EventSource(url);
  source.addEventListener("result", (event) => {
    list.insertAdjacentHTML("beforeend", event.data);
  });
  source.addEventListener("end", (event) => {
    const state = document.getElementById("job-state");
    if (state) state.textContent = event.data;
    source.close();
  });
})();
