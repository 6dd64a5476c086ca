// The conversation list: a snapshot and every change from the change feed,
// live countdowns, name search as you type, keyboard navigation, and an
// opt-in sound and notification when a customer asks for a human.
"use strict";
(() => {
  const { t, duration, now, setServerNow, el, events } = handoff;
  const list = document.getElementById("conversations");
  const empty = document.getElementById("empty");
  const search = document.getElementById("name-search");
  const notifyToggle = document.getElementById("notify-toggle");
  const rows = new Map(); // id → conversation
  const seenKey = (id) => "handoff.seen." + id;

  notifyToggle.checked = localStorage.getItem("handoff.notify") === "1";
  notifyToggle.addEventListener("change", () => {
    localStorage.setItem("handoff.notify", notifyToggle.checked ? "1" : "0");
    if (notifyToggle.checked && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });

  function beep() {
    try {
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.2);
    } catch (e) { /* no audio */ }
  }
  function alertHuman(c) {
    if (!notifyToggle.checked) return;
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(t("asks_human", { n: c.customer_name || c.customer_id }));
    }
  }

  function unread(c) {
    const seen = Number(localStorage.getItem(seenKey(c.id)) || 0);
    const last = c.last_customer_seq || 0;
    return last > Math.max(seen, c.last_staff_seq || 0);
  }
  function order(a, b) {
    const ar = a.agent_requested_at ? 1 : 0, br = b.agent_requested_at ? 1 : 0;
    if (ar !== br) return br - ar;
    if (ar) return Date.parse(a.agent_requested_at) - Date.parse(b.agent_requested_at);
    return Date.parse(b.last_message_at) - Date.parse(a.last_message_at);
  }
  function matches(c, words) {
    if (!words.length) return true;
    const name = (c.customer_name || "").toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
    const parts = name.split(/\s+/);
    return words.every((w) => parts.some((p) => p.startsWith(w)));
  }
  function render() {
    const words = search.value.toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "").split(/\s+/).filter(Boolean);
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null;
    const open = [...rows.values()].filter((c) => Date.parse(c.staff_deadline) > now() && matches(c, words)).sort(order);
    list.replaceChildren(...open.map(item));
    empty.hidden = open.length > 0;
    empty.textContent = t("empty");
    const waiting = [...rows.values()].filter((c) => c.agent_requested_at && Date.parse(c.staff_deadline) > now()).length;
    document.title = (waiting ? t("title_waiting", { n: waiting }) + " " : "") + "handoff";
    if (focused) { const f = list.querySelector('[data-id="' + CSS.escape(focused) + '"]'); if (f) f.focus(); }
    tick();
  }
  function item(c) {
    const li = el("li", "conversation" + (c.agent_requested_at ? " asked" : "") + (unread(c) ? " unread" : ""));
    const a = el("a", "open");
    a.href = "/dashboard/conversations/" + encodeURIComponent(c.channel) + "/" + encodeURIComponent(c.customer_id);
    a.dataset.id = c.id;
    a.append(el("span", "name", c.customer_name || c.customer_id));
    a.append(el("span", "channel", c.channel));
    a.append(el("span", "state state-" + c.state, t("state_" + c.state)));
    if (unread(c)) a.append(el("span", "unread-mark", t("unread")));
    const preview = el("span", "preview", c.preview || (c.preview_sender ? t("image") : ""));
    a.append(preview);
    const waiting = el("span", "countdown waiting");
    if (c.agent_requested_at) waiting.dataset.since = c.agent_requested_at;
    a.append(waiting);
    const windowEl = el("span", "countdown window");
    windowEl.dataset.until = c.window_closes_at;
    if (c.human_agent_until) windowEl.dataset.humanAgent = c.human_agent_until;
    a.append(windowEl);
    const live = el("span", "countdown live");
    if (c.live_chat_expires_at) live.dataset.until = c.live_chat_expires_at;
    a.append(live);
    li.append(a);
    return li;
  }
  function tick() {
    const n = now();
    for (const e of list.querySelectorAll(".waiting[data-since]")) e.textContent = t("waiting", { t: duration(n - Date.parse(e.dataset.since)) });
    for (const e of list.querySelectorAll(".window")) {
      const left = Date.parse(e.dataset.until) - n;
      if (left > 0) e.textContent = t("closes", { t: duration(left) });
      else if (e.dataset.humanAgent) e.textContent = t("human_agent", { t: duration(Date.parse(e.dataset.humanAgent) - n) });
      else e.textContent = t("closed");
    }
    for (const e of list.querySelectorAll(".live[data-until]")) e.textContent = t("live_ends", { t: duration(Date.parse(e.dataset.until) - n) });
  }
  let expiring = 0;
  setInterval(() => {
    tick();
    // A conversation whose staff deadline passed leaves the list.
    const gone = [...rows.values()].filter((c) => Date.parse(c.staff_deadline) <= now()).length;
    if (gone !== expiring) { expiring = gone; render(); }
  }, 1000);

  events("/api/v1/events", {
    snapshot: (data) => {
      setServerNow(data.now);
      rows.clear();
      for (const c of data.conversations) rows.set(c.id, c);
      render();
    },
    conversation: (c) => {
      const old = rows.get(c.id);
      if (old && Date.parse(old.updated_at) > Date.parse(c.updated_at)) return;
      if (c.agent_requested_at && (!old || !old.agent_requested_at)) alertHuman(c);
      rows.set(c.id, c);
      render();
    },
  });
  search.addEventListener("input", render);

  // Keyboard: arrow keys (or j / k) move between conversations, Enter opens.
  document.addEventListener("keydown", (ev) => {
    if (ev.target === search && ev.key !== "ArrowDown") return;
    const links = [...list.querySelectorAll("a.open")];
    if (!links.length) return;
    const i = links.indexOf(document.activeElement);
    if (ev.key === "ArrowDown" || ev.key === "j") { ev.preventDefault(); links[Math.min(i + 1, links.length - 1)].focus(); }
    if (ev.key === "ArrowUp" || ev.key === "k") { ev.preventDefault(); (i <= 0 ? search : links[i - 1]).focus(); }
    if (ev.key === "/" && ev.target !== search) { ev.preventDefault(); search.focus(); }
  });
})();
