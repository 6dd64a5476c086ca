// Templates in the composer: a picker with search, and "/" plus a few
// letters at the start of the reply. Inserting a template fills the reply
// (the customer's first name for {name}), its link button or image, and
// marks the reply with the template's ID, which the send counter counts.
"use strict";
(() => {
  const { t, api, el } = handoff;
  const composer = document.getElementById("composer");
  if (!composer) return;
  const text = document.getElementById("composer-text");
  const search = document.getElementById("template-search");
  const options = document.getElementById("template-options");
  const chosen = document.getElementById("template-chosen");
  let library = [], shown = [], active = 0;

  function firstName() {
    const name = (document.getElementById("customer-name").textContent || "").trim().split(/\s+/)[0] || "";
    return name;
  }
  function insert(tpl) {
    text.value = (tpl.text || "").split("{name}").join(firstName()).trim();
    document.getElementById("link-title").value = tpl.kind === "link" && tpl.button ? tpl.button.title : "";
    document.getElementById("link-url").value = tpl.kind === "link" && tpl.button ? tpl.button.url : "";
    composer.dataset.templateId = tpl.id;
    composer.dataset.templateImage = tpl.kind === "image" ? tpl.image_url : "";
    chosen.textContent = t("template_chosen", { n: tpl.title });
    options.hidden = true;
    picking(false);
    search.value = "";
    text.focus();
  }
  // picking tells the composer that Enter picks a template instead of
  // sending, while "/" searches the library.
  function picking(on) {
    if (on) composer.dataset.picking = "1"; else delete composer.dataset.picking;
  }
  function render(list) {
    shown = list.slice(0, 8);
    active = 0;
    options.replaceChildren(...shown.map((tpl, i) => {
      const li = el("li", "template-option" + (i === active ? " active" : ""));
      li.setAttribute("role", "option");
      li.id = "template-option-" + i;
      li.dataset.id = tpl.id;
      li.append(el("span", "title", tpl.title), el("span", "kind", tpl.kind), el("span", "preview", tpl.text || tpl.image_url || ""));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); insert(tpl); });
      return li;
    }));
    options.hidden = shown.length === 0;
  }
  function matching(q) {
    q = q.toLocaleLowerCase();
    return library.filter((tpl) => (tpl.title + " " + (tpl.text || "")).toLocaleLowerCase().includes(q));
  }
  function move(delta) {
    if (!shown.length) return;
    active = (active + delta + shown.length) % shown.length;
    [...options.children].forEach((li, i) => li.classList.toggle("active", i === active));
  }
  async function load() {
    try { library = (await api("GET", "/api/v1/templates")).templates || []; } catch (e) { library = []; }
  }
  search.addEventListener("focus", () => render(matching(search.value)));
  search.addEventListener("input", () => render(matching(search.value)));
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
    if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    if (ev.key === "Enter" && shown.length) { ev.preventDefault(); insert(shown[active]); }
    if (ev.key === "Escape") options.hidden = true;
  });
  search.addEventListener("blur", () => setTimeout(() => { options.hidden = true; }, 100));
  // "/" and a few letters at the start of the reply search the library;
  // the composer's Enter then inserts the highlighted template.
  text.addEventListener("input", () => {
    const m = /^\/(\S*)$/.exec(text.value);
    if (m) render(matching(m[1])); else if (document.activeElement === text) options.hidden = true;
    picking(!!m && !options.hidden);
  });
  text.addEventListener("keydown", (ev) => {
    if (options.hidden || !/^\//.test(text.value)) return;
    if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
    if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    if (ev.key === "Escape") { options.hidden = true; picking(false); }
    if (ev.key === "Enter" && !ev.shiftKey && shown.length) { ev.preventDefault(); ev.stopImmediatePropagation(); insert(shown[active]); }
  }, true);
  composer.addEventListener("handoff:sent", () => { chosen.textContent = ""; load(); });
  load();
})();
