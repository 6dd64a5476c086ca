// The settings page: every admin-tunable setting with its default from
// config.yaml, a reset per overridden setting, and the change history. It
// sends only what changed, through the same API (and gets the same
// validation messages) as any client.
"use strict";
(() => {
  const { t, api, el, newID, role } = handoff;
  const form = document.getElementById("settings-form");
  const status = document.getElementById("settings-status");
  const errorBox = document.getElementById("settings-error");
  const readOnly = role === "auditor";
  const simple = ["inactivity_timeout", "notification_email", "notification_phone", "notification_cooldown", "ai_confidence_threshold"];
  const switches = ["messenger_human_agent", "ai_enabled"];
  const texts = ["bot_reply", "agent_requested_reply"];
  let loaded = null;

  function showError(message) {
    errorBox.hidden = !message;
    errorBox.textContent = message || "";
  }
  function textsEditor(name, values, defaults) {
    const box = document.getElementById("s-" + name);
    const langs = [...new Set(["en", "bg", ...Object.keys(defaults || {}), ...Object.keys(values || {})])].sort();
    box.replaceChildren(...langs.map((lang) => {
      const wrap = el("div", "language");
      const id = "s-" + name + "-" + lang;
      const label = el("label", "", lang);
      label.htmlFor = id;
      const area = el("textarea");
      area.id = id;
      area.rows = 2;
      area.maxLength = 4000;
      area.dataset.lang = lang;
      area.value = (values || {})[lang] || "";
      area.disabled = readOnly;
      wrap.append(label, area);
      return wrap;
    }));
  }
  function readTexts(name) {
    const out = {};
    for (const area of document.querySelectorAll("#s-" + name + " textarea")) {
      if (area.value.trim() !== "") out[area.dataset.lang] = area.value;
    }
    return out;
  }
  function shown(value) {
    if (Array.isArray(value)) return value.join(", ");
    if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => k + ": " + v).join("; ");
    return String(value);
  }
  function render(data) {
    loaded = data;
    const s = data.settings, d = data.defaults;
    for (const name of simple) document.getElementById("s-" + name).value = s[name];
    for (const name of switches) document.getElementById("s-" + name).checked = s[name];
    for (const name of texts) textsEditor(name, s[name], d[name]);
    document.getElementById("s-agent_phrases").value = (s.agent_phrases || []).join("\n");
    for (const box of form.querySelectorAll(".setting")) {
      const name = box.dataset.name;
      box.querySelectorAll(".default, .reset").forEach((e) => e.remove());
      const overridden = data.overridden.includes(name);
      box.classList.toggle("overridden", overridden);
      const note = el("small", "default", overridden ? t("changed_default", { v: shown(d[name]) }) : t("follows_config"));
      box.append(note);
      if (overridden && !readOnly) {
        const reset = el("button", "reset", t("reset"));
        reset.type = "button";
        reset.dataset.reset = name;
        reset.setAttribute("aria-label", t("reset_named", { n: name }));
        reset.addEventListener("click", () => save({ reset: [name] }));
        box.append(reset);
      }
    }
    for (const input of form.querySelectorAll("input, textarea")) input.disabled = readOnly;
  }
  // changes is what the form changed against what was loaded.
  function changes() {
    const s = loaded.settings, out = {};
    for (const name of simple) {
      const v = document.getElementById("s-" + name).value.trim();
      if (v !== String(s[name])) out[name] = name === "ai_confidence_threshold" ? Number(v) : v;
    }
    for (const name of switches) {
      const v = document.getElementById("s-" + name).checked;
      if (v !== s[name]) out[name] = v;
    }
    for (const name of texts) {
      const v = readTexts(name);
      if (JSON.stringify(v) !== JSON.stringify(Object.fromEntries(Object.entries(s[name]).sort()))) out[name] = v;
    }
    const phrases = document.getElementById("s-agent_phrases").value.split("\n").map((p) => p.trim()).filter(Boolean);
    if (JSON.stringify(phrases) !== JSON.stringify(s.agent_phrases)) out.agent_phrases = phrases;
    return out;
  }
  async function save(patch) {
    showError("");
    status.textContent = "";
    try {
      render(await api("PATCH", "/api/v1/settings", { ...patch, request_id: newID() }));
      status.textContent = t("saved");
      await loadChanges();
    } catch (e) {
      showError(e.message);
    }
  }
  async function loadChanges() {
    const { changes } = await api("GET", "/api/v1/settings/changes");
    const body = document.getElementById("settings-changes");
    body.replaceChildren(...changes.slice().reverse().map((ch) => {
      const tr = el("tr");
      const what = el("td");
      for (const [name, c] of Object.entries(ch.changes || {})) {
        what.append(el("div", "change", name + ": " + c.from + " → " + c.to));
      }
      tr.append(el("td", "when", new Date(ch.at).toLocaleString()), el("td", "who", ch.author), what);
      return tr;
    }));
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const patch = changes();
    if (Object.keys(patch).length === 0) {
      status.textContent = t("nothing_changed");
      return;
    }
    save(patch);
  });
  (async () => {
    try {
      render(await api("GET", "/api/v1/settings"));
      await loadChanges();
    } catch (e) {
      showError(e.message);
    }
  })();
})();
