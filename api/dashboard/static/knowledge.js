// The knowledge-base page: entries with their counters, search, create,
// edit, delete, import and export; the ranked unanswered questions, each
// answered as a new entry or added as a phrasing of an existing one. A
// staff reply from a conversation arrives here pre-filled (sessionStorage
// "handoff.kb.draft").
"use strict";
(() => {
  const { t, api, el, newID, role } = handoff;
  const readOnly = role === "auditor";
  const form = document.getElementById("kb-form");
  const status = document.getElementById("kb-status");
  const errorBox = document.getElementById("kb-error");
  const search = document.getElementById("kb-search");
  const field = (name) => document.getElementById("kb-" + name);
  let entries = [], stats = new Map(), editing = null; // editing: {id, revision} or null for a new entry

  function say(message) { status.textContent = message || ""; }
  function fail(message) { errorBox.hidden = !message; errorBox.textContent = message || ""; }
  const norm = (s) => (s || "").toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
  // slug is a new entry's ID from its question: its Latin letters and
  // digits, and a random suffix.
  function slug(text) {
    const latin = norm(text).replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
    return (latin || "entry") + "-" + Math.random().toString(36).slice(2, 7);
  }

  function openForm(entry, revision) {
    fail("");
    editing = revision ? { id: entry.id, revision } : null;
    field("form-title").textContent = editing ? t("k_edit", { id: entry.id }) : t("k_create");
    field("id").value = entry.id || "";
    field("id").readOnly = !!editing;
    field("lang").value = entry.lang || "bg";
    field("question").value = entry.question || "";
    field("alternates").value = (entry.alternates || []).join("\n");
    field("answer").value = entry.answer || "";
    field("links").value = (entry.links || []).map((l) => l.title + " | " + l.url).join("\n");
    field("translations").value = entry.translations ? JSON.stringify(entry.translations, null, 2) : "";
    form.hidden = false;
    (entry.question ? field("answer") : field("question")).focus();
  }
  function formEntry() {
    const lines = (v) => v.split("\n").map((x) => x.trim()).filter(Boolean);
    const entry = {
      id: field("id").value.trim(), lang: field("lang").value.trim(), question: field("question").value.trim(),
      alternates: lines(field("alternates").value), answer: field("answer").value.trim(),
      links: lines(field("links").value).map((l) => {
        const [title, ...url] = l.split("|");
        return { title: title.trim(), url: url.join("|").trim() };
      }),
    };
    const tr = field("translations").value.trim();
    if (tr) {
      try { entry.translations = JSON.parse(tr); } catch (e) { throw new Error(t("k_bad_translations", { r: e.message })); }
    }
    return entry;
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fail("");
    try {
      const entry = formEntry();
      if (!entry.id) throw new Error(t("k_need_id"));
      const body = { ...entry, request_id: newID() };
      if (editing) body.if_revision = editing.revision;
      const res = await api("PUT", "/api/v1/knowledge/" + encodeURIComponent(entry.id), body);
      form.hidden = true;
      say(t("k_saved", { id: entry.id, o: res.outcome }));
      await load();
    } catch (e) {
      fail(e.message);
    }
  });
  document.getElementById("kb-cancel").addEventListener("click", () => { form.hidden = true; fail(""); });
  const newButton = document.getElementById("kb-new");
  if (newButton) newButton.addEventListener("click", () => openForm({ id: "" }));

  const importInput = document.getElementById("kb-import");
  if (importInput) {
    importInput.addEventListener("change", async () => {
      const file = importInput.files[0];
      if (!file) return;
      fail("");
      try {
        const res = await fetch("/api/v1/knowledge/import", {
          method: "POST", credentials: "same-origin", body: await file.text(),
          headers: { "Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf },
        });
        const data = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(data.error || "HTTP " + res.status);
        say(t("k_imported", { n: data.imported, c: data.created, e: data.edited, u: data.unchanged }));
        await load();
      } catch (e) {
        fail(e.message);
      }
      importInput.value = "";
    });
  }

  function renderEntries() {
    const words = norm(search.value).split(/\s+/).filter(Boolean);
    const shown = entries.filter((e) => {
      const hay = norm([e.id, e.question, e.answer, ...(e.alternates || []), ...Object.values(e.translations || {}).map((x) => x.question + " " + x.answer)].join(" "));
      return words.every((w) => hay.includes(w));
    });
    document.getElementById("kb-entries").replaceChildren(...shown.map((e) => {
      const s = stats.get(e.id) || { answered: 0, helped: 0, asked_for_human: 0 };
      const tr = el("tr", "entry");
      tr.dataset.id = e.id;
      const q = el("td");
      q.append(el("div", "question", e.question), el("div", "answer", e.answer), el("code", "id", e.id));
      tr.append(q, el("td", "answered", s.answered), el("td", "helped", s.helped), el("td", "asked-human", s.asked_for_human));
      const actions = el("td", "actions");
      if (!readOnly) {
        const edit = el("button", "edit", t("k_edit_button"));
        edit.type = "button";
        edit.setAttribute("aria-label", t("k_edit", { id: e.id }));
        edit.addEventListener("click", async () => {
          try {
            const rec = await api("GET", "/api/v1/knowledge/" + encodeURIComponent(e.id));
            openForm(rec.entry, rec.revision);
          } catch (err) { fail(err.message); }
        });
        const del = el("button", "delete", t("k_delete"));
        del.type = "button";
        del.setAttribute("aria-label", t("k_delete_named", { id: e.id }));
        del.addEventListener("click", async () => {
          if (!confirm(t("k_confirm_delete", { id: e.id }))) return;
          try {
            await api("DELETE", "/api/v1/knowledge/" + encodeURIComponent(e.id) + "?request_id=" + newID());
            say(t("k_deleted", { id: e.id }));
            await load();
          } catch (err) { fail(err.message); }
        });
        actions.append(edit, del);
      }
      tr.append(actions);
      return tr;
    }));
  }
  search.addEventListener("input", renderEntries);

  function renderUnanswered(groups) {
    document.getElementById("kb-unanswered").replaceChildren(...groups.map((g, i) => {
      const li = el("li", "group");
      li.dataset.question = g.question;
      li.append(el("span", "question", g.question), el("span", "count", t("k_asked_times", { n: g.count })));
      const examples = el("ul", "examples");
      for (const ex of g.examples) {
        const item = el("li");
        const a = el("a", "", ex.text);
        a.href = ex.link || "#";
        item.append(a);
        examples.append(item);
      }
      li.append(examples);
      if (!readOnly) {
        const answer = el("button", "answer-new", t("k_answer_new"));
        answer.type = "button";
        answer.addEventListener("click", () => openForm({ id: slug(g.question), lang: /[а-я]/i.test(g.question) ? "bg" : "en", question: g.question,
          alternates: g.examples.map((x) => x.text).filter((x) => x.trim() !== g.question.trim()) }));
        const label = el("label", "visually-hidden", t("k_phrasing_of"));
        const pick = el("select", "phrasing-entry");
        pick.id = "kb-phrasing-" + i;
        label.htmlFor = pick.id;
        for (const e of entries) {
          const o = el("option", "", e.id + " — " + e.question);
          o.value = e.id;
          pick.append(o);
        }
        const add = el("button", "add-phrasing", t("k_add_phrasing"));
        add.type = "button";
        add.addEventListener("click", async () => {
          try {
            const res = await api("POST", "/api/v1/knowledge/" + encodeURIComponent(pick.value) + "/alternates",
              { questions: [g.question, ...g.examples.map((x) => x.text)].slice(0, 20), request_id: newID() });
            say(t("k_added_phrasings", { n: res.added, id: pick.value }));
            await load();
          } catch (err) { fail(err.message); }
        });
        li.append(answer, label, pick, add);
      }
      return li;
    }));
  }

  async function load() {
    try {
      const [list, st, un] = await Promise.all([
        api("GET", "/api/v1/knowledge"), api("GET", "/api/v1/knowledge/stats"), api("GET", "/api/v1/knowledge/unanswered"),
      ]);
      entries = list.entries || [];
      stats = new Map((st.entries || []).map((s) => [s.entry_id, s]));
      renderEntries();
      renderUnanswered(un.groups || []);
    } catch (e) {
      fail(e.message);
    }
  }
  load().then(() => {
    // A staff reply saved from a conversation view.
    const draft = sessionStorage.getItem("handoff.kb.draft");
    if (draft && !readOnly) {
      sessionStorage.removeItem("handoff.kb.draft");
      const d = JSON.parse(draft);
      openForm({ id: slug(d.question), lang: d.lang || "bg", question: d.question, answer: d.answer, links: d.links || [] });
    }
  });
})();
