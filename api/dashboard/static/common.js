// Shared by the dashboard pages: messages, the CSRF token, API calls and
// countdowns. Everything a customer wrote is put in the page as text.
"use strict";
const handoff = (() => {
  const body = document.body;
  const strings = JSON.parse(body.dataset.strings || "{}");
  const csrf = body.dataset.csrf || "";
  function t(key, args) {
    let s = strings[key] || key;
    for (const [k, v] of Object.entries(args || {})) s = s.replace("{" + k + "}", v);
    return s;
  }
  async function api(method, path, payload) {
    const opts = { method, headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }, credentials: "same-origin" };
    if (payload !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(payload);
    }
    const res = await fetch(path, opts);
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (res.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); }
    if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
    return data;
  }
  // upload stores an image (POST /api/v1/media, type and size checked
  // there) and returns its public URL.
  async function upload(file) {
    const res = await fetch("/api/v1/media", {
      method: "POST", credentials: "same-origin", body: file,
      headers: { "X-CSRF-Token": csrf, "Content-Type": file.type || "application/octet-stream" },
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
    return data.url;
  }
  // duration formats milliseconds as 1d 02:03:04 / 02:03:04 / 03:04.
  function duration(ms) {
    ms = Math.max(0, ms);
    let s = Math.floor(ms / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const two = (n) => String(n).padStart(2, "0");
    const hms = (h > 0 || d > 0 ? two(h) + ":" : "") + two(m) + ":" + two(s);
    return d > 0 ? d + "d " + hms : hms;
  }
  // clock corrects for the browser's clock: the server says what time it is.
  let skew = 0;
  function setServerNow(iso) { if (iso) skew = Date.parse(iso) - Date.now(); }
  function now() { return Date.now() + skew; }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function newID() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "dash-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  // events opens an event stream that reconnects by itself (the browser
  // sends Last-Event-ID) and shows when it is away.
  function events(path, handlers) {
    const status = document.getElementById("connection");
    const source = new EventSource(path);
    source.onopen = () => { if (status) status.textContent = ""; };
    source.onerror = () => { if (status) status.textContent = t("offline"); };
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (ev) => fn(JSON.parse(ev.data), ev));
    }
    return source;
  }
  return { t, api, upload, duration, now, setServerNow, el, newID, events, role: body.dataset.role };
})();
