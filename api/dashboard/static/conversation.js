// One conversation: the customer's and staff's messages, newest at the
// bottom, live from the change feed; the live-chat switch with its
// countdown; keyword search with highlighted matches; the composer.
"use strict";
(() => {
  const { t, api, upload, duration, now, el, newID, events, role } = handoff;
  const page = document.querySelector(".conversation-page");
  const channel = page.dataset.channel, customer = page.dataset.customer;
  const base = "/api/v1/conversations/" + encodeURIComponent(channel) + "/" + encodeURIComponent(customer);
  const list = document.getElementById("messages");
  const liveChat = document.getElementById("live-chat");
  const stateEl = document.getElementById("state");
  const windowEl = document.getElementById("window");
  const liveEl = document.getElementById("live-countdown");
  const nameEl = document.getElementById("customer-name");
  const items = new Map(); // seq → li
  let conv = null;
  const seenKey = "handoff.seen.conversation/" + channel + "/" + customer;

  let customerLanguage = "";
  function show(c) {
    conv = c;
    if (c.language) customerLanguage = c.language; // the view has it, list rows do not
    nameEl.textContent = c.customer_name || c.customer_id || customer;
    stateEl.textContent = t("state_" + c.state);
    stateEl.className = "state state-" + c.state;
    liveChat.checked = c.state === "live_chat";
    tick();
  }
  function tick() {
    if (!conv) return;
    const n = now();
    const left = Date.parse(conv.window_closes_at) - n;
    if (left > 0) windowEl.textContent = t("closes", { t: duration(left) });
    else if (conv.human_agent_until) windowEl.textContent = t("human_agent", { t: duration(Date.parse(conv.human_agent_until) - n) });
    else windowEl.textContent = t("closed");
    liveEl.textContent = conv.live_chat_expires_at && conv.state === "live_chat"
      ? t("live_ends", { t: duration(Date.parse(conv.live_chat_expires_at) - n) }) : "";
  }
  setInterval(tick, 1000);

  function delivery(m) {
    if (!m.delivery) return null;
    const d = m.delivery;
    if (d.status === "sent") return el("span", "delivery sent", t("sent"));
    if (d.status === "failed") return el("span", "delivery failed", t("failed", { r: d.error || "" }));
    return el("span", "delivery pending", t("pending"));
  }
  function messageItem(m) {
    const li = el("li", "message " + m.sender);
    li.dataset.seq = m.seq;
    const meta = el("div", "meta");
    meta.append(el("span", "who", m.sender === "staff" ? (m.author || t("staff")) : t("customer")));
    meta.append(el("time", "at", new Date(m.sent_at).toLocaleString()));
    if (m.ai) meta.append(el("span", "ai", m.ai.declined ? t("ai_declined") : t("ai", { e: m.ai.entry_id || "" })));
    li.append(meta);
    if (m.text) li.append(el("p", "text", m.text));
    for (const a of m.attachments || []) {
      if (a.type === "image" && /^https?:\/\//.test(a.url || "")) {
        const img = el("img", "attachment");
        img.src = a.url;
        img.alt = t("image");
        li.append(img);
      } else if (a.url) {
        li.append(el("p", "attachment", a.url));
      }
    }
    for (const b of m.buttons || []) {
      const span = el("span", "button", b.title + (b.url ? " → " + b.url : ""));
      li.append(span);
    }
    const d = delivery(m);
    if (d) li.append(d);
    if (role === "admin" && m.sender === "staff" && m.text) {
      const save = el("button", "save-entry", t("save_entry"));
      save.type = "button";
      save.addEventListener("click", () => saveAsEntry(m));
      li.append(save);
    }
    return li;
  }
  // saveAsEntry opens the knowledge-base page with a new entry pre-filled:
  // the customer's latest message before this staff reply as the question,
  // the reply (and its link buttons) as the answer.
  function saveAsEntry(m) {
    let question = null;
    for (const [seq, msg] of messages) if (seq < m.seq && msg.sender === "customer" && msg.text && (!question || seq > question.seq)) question = msg;
    sessionStorage.setItem("handoff.kb.draft", JSON.stringify({
      question: question ? question.text : "", answer: m.text, lang: customerLanguage || "bg",
      links: (m.buttons || []).filter((b) => b.url).map((b) => ({ title: b.title, url: b.url })),
    }));
    location.href = "/dashboard/knowledge";
  }
  const messages = new Map(); // seq → message
  function add(m) {
    messages.set(m.seq, m);
    const li = messageItem(m);
    const old = items.get(m.seq);
    if (old) { old.replaceWith(li); items.set(m.seq, li); return; }
    items.set(m.seq, li);
    // Keep sequence order, newest at the bottom.
    let next = null;
    for (const [seq, node] of items) if (seq > m.seq && (!next || seq < Number(next.dataset.seq))) next = node;
    list.insertBefore(li, next);
    if (!next) li.scrollIntoView({ block: "end" });
    if (m.sender === "customer") localStorage.setItem(seenKey, String(Math.max(Number(localStorage.getItem(seenKey) || 0), m.seq)));
  }

  api("GET", base).then((data) => show(data.conversation || data)).catch(() => {});
  events(base + "/events", {
    message: (m) => add(m),
    conversation: (c) => { if (!conv || Date.parse(c.updated_at) >= Date.parse(conv.updated_at || 0)) show(c); },
  });

  if (liveChat && role !== "auditor") {
    liveChat.addEventListener("change", async () => {
      const on = liveChat.checked;
      try {
        const data = await api("POST", base + "/live-chat", { on });
        if (data.conversation) show({ ...conv, ...data.conversation });
      } catch (e) {
        liveChat.checked = !on;
        composerError(e.message);
      }
    });
  }

  const composer = document.getElementById("composer");
  const text = document.getElementById("composer-text");
  const errorEl = document.getElementById("composer-error");
  function composerError(msg) {
    if (!errorEl) return;
    errorEl.hidden = !msg;
    errorEl.textContent = msg ? t("send_failed", { r: msg }) : "";
  }
  const imageInput = document.getElementById("composer-image");
  async function send() {
    const payload = { id: newID(), text: text.value };
    const title = document.getElementById("link-title").value.trim();
    const url = document.getElementById("link-url").value.trim();
    if (title || url) payload.buttons = [{ title, url }];
    // A template inserted into the reply (composer_templates.js).
    if (composer.dataset.templateId) payload.template_id = composer.dataset.templateId;
    if (composer.dataset.templateImage) payload.attachments = [{ type: "image", url: composer.dataset.templateImage }];
    composerError("");
    try {
      if (imageInput && imageInput.files.length) payload.attachments = [...(payload.attachments || []), { type: "image", url: await upload(imageInput.files[0]) }];
      await api("POST", base + "/messages", payload);
      delete composer.dataset.templateId;
      delete composer.dataset.templateImage;
      composer.dispatchEvent(new Event("handoff:sent"));
      text.value = "";
      if (imageInput) imageInput.value = "";
      document.getElementById("link-title").value = "";
      document.getElementById("link-url").value = "";
    } catch (e) {
      composerError(e.message);
    }
  }
  if (composer) {
    composer.addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
    text.addEventListener("keydown", (ev) => {
      // While "/" searches the templates, Enter picks one (composer_templates.js).
      if (composer.dataset.picking) return;
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
    });
  }

  // Blocks of the bot's flows, with a preview in the customer's language
  // (else the flow's default), sent as a staff message.
  const blocksBox = document.getElementById("blocks");
  if (blocksBox && role !== "auditor") {
    api("GET", "/api/v1/flows").then((flows) => {
      const select = document.getElementById("block-select");
      const blocks = flows.blocks || [];
      if (!blocks.length) return;
      for (const b of blocks) {
        const opt = el("option", "", b.id);
        opt.value = b.id;
        select.append(opt);
      }
      const preview = () => {
        const b = blocks.find((x) => x.id === select.value);
        const lang = customerLanguage || flows.default_language;
        document.getElementById("block-preview-text").textContent = b && b.text ? (b.text[lang] || Object.values(b.text)[0] || "") : "";
        const img = document.getElementById("block-preview-image");
        img.hidden = !(b && /^https?:\/\//.test(b.image || ""));
        if (!img.hidden) img.src = b.image;
      };
      select.addEventListener("change", preview);
      preview();
      blocksBox.hidden = false;
      document.getElementById("send-block").addEventListener("click", async () => {
        composerError("");
        try {
          await api("POST", base + "/blocks", { id: newID(), block: select.value });
        } catch (e) {
          composerError(e.message);
        }
      });
    }).catch(() => { /* no flows configured */ });
  }

  // Search: hits with the server's highlights (matches in <mark>, the rest
  // escaped), rebuilt as text and mark elements only.
  const searchForm = document.getElementById("search-form");
  const searchInput = document.getElementById("message-search");
  const hits = document.getElementById("hits");
  function highlighted(fragment) {
    const p = el("p", "text");
    const parts = fragment.split(/(<mark>|<\/mark>)/);
    let marked = false;
    const decode = (s) => new DOMParser().parseFromString("<!doctype html><body>" + s, "text/html").body.textContent;
    for (const part of parts) {
      if (part === "<mark>") { marked = true; continue; }
      if (part === "</mark>") { marked = false; continue; }
      p.append(marked ? el("mark", "", decode(part)) : document.createTextNode(decode(part)));
    }
    return p;
  }
  let searchTimer = 0;
  async function runSearch() {
    const q = searchInput.value.trim();
    if (!q) { hits.hidden = true; hits.replaceChildren(); return; }
    try {
      const data = await api("GET", base + "/search?q=" + encodeURIComponent(q) + "&size=50");
      hits.replaceChildren(...(data.hits || []).map((h) => {
        const li = el("li", "hit " + h.message.sender);
        li.append(el("time", "at", new Date(h.message.sent_at).toLocaleString()));
        for (const f of h.highlights && h.highlights.length ? h.highlights : [h.message.text]) li.append(highlighted(f));
        return li;
      }));
      if (!data.hits || !data.hits.length) hits.replaceChildren(el("li", "hit", t("no_hits")));
      hits.hidden = false;
    } catch (e) {
      hits.replaceChildren(el("li", "hit error", e.message));
      hits.hidden = false;
    }
  }
  searchForm.addEventListener("submit", (ev) => { ev.preventDefault(); runSearch(); });
  searchInput.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); });
  // Keyboard: Escape goes back to the list; Alt+↓ / Alt+↑ open the next or
  // previous conversation in the list's order.
  async function neighbour(step) {
    const data = await api("GET", "/api/v1/conversations?limit=1000");
    const rows = data.conversations || [];
    const i = rows.findIndex((c) => c.channel === channel && c.customer_id === customer);
    const next = rows[i + step];
    if (next) location.href = "/dashboard/conversations/" + encodeURIComponent(next.channel) + "/" + encodeURIComponent(next.customer_id);
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && ev.target.tagName !== "TEXTAREA") location.href = "/dashboard/";
    if (ev.altKey && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
      ev.preventDefault();
      neighbour(ev.key === "ArrowDown" ? 1 : -1).catch(() => {});
    }
  });
})();
