// The administrator's live view (/admin/live): the page is drawn by the server; it is drawn
// again every five seconds while it is open, unless the reader has selected text on it.
"use strict";
setInterval(async () => {
  if (String(window.getSelection())) return;
  try {
    const r = await fetch(location.pathname, { credentials: "same-origin" });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const fresh = doc.querySelector("main");
    if (fresh) document.querySelector("main").replaceChildren(...fresh.childNodes);
  } catch (_) {
    // The server is restarting, or the network is gone: the next round tries again.
  }
}, 5000);
