// The template library: text, text + link button, and gallery images;
// create, edit, delete, search, and sort by how often each was sent.
"use strict";
(() => {
  const { t, api, upload, el, newID, role } = handoff;
  const readOnly = role === "auditor";
  const form = document.getElementById("tpl-form");
  const status = document.getElementById("tpl-status");
  const errorBox = document.getElementById("tpl-error");
  const f = (name) => document.getElementById("tpl-" + name);
  let editing = null, imageURL = "";

  function fail(message) { errorBox.hidden = !message; errorBox.textContent = message || ""; }
  function kindFields() {
    const kind = f("kind").value;
    f("link-fields").hidden = kind !== "link";
    f("image-fields").hidden = kind !== "image";
  }
  f("kind").addEventListener("change", kindFields);
  function open(tpl) {
    fail("");
    editing = tpl && tpl.id ? tpl : null;
    f("form-title").textContent = editing ? t("t_edit", { n: tpl.title }) : t("t_create");
    f("kind").value = (tpl && tpl.kind) || "text";
    f("kind").disabled = !!editing;
    f("title").value = (tpl && tpl.title) || "";
    f("text").value = (tpl && tpl.text) || "";
    f("button-title").value = (tpl && tpl.button && tpl.button.title) || "";
    f("button-url").value = (tpl && tpl.button && tpl.button.url) || "";
    imageURL = (tpl && tpl.image_url) || "";
    f("image-preview").hidden = !imageURL;
    if (imageURL) f("image-preview").src = thumbnail(imageURL);
    f("image").value = "";
    kindFields();
    form.hidden = false;
    f("title").focus();
  }
  f("image").addEventListener("change", async () => {
    const file = f("image").files[0];
    if (!file) return;
    fail("");
    try {
      imageURL = await upload(file);
      f("image-preview").src = thumbnail(imageURL);
      f("image-preview").hidden = false;
    } catch (e) {
      f("image").value = "";
      fail(e.message);
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fail("");
    const kind = f("kind").value;
    const body = { kind, title: f("title").value, text: f("text").value, request_id: newID() };
    if (kind === "link") body.button = { title: f("button-title").value, url: f("button-url").value };
    if (kind === "image") body.image_url = imageURL;
    try {
      if (editing) {
        body.if_revision = editing.revision;
        await api("PUT", "/api/v1/templates/" + encodeURIComponent(editing.id), body);
      } else {
        await api("POST", "/api/v1/templates", body);
      }
      form.hidden = true;
      status.textContent = t("t_saved", { n: body.title });
      await load();
    } catch (e) {
      fail(e.message);
    }
  });
  f("cancel").addEventListener("click", () => { form.hidden = true; fail(""); });
  if (f("new")) f("new").addEventListener("click", () => open(null));

  // thumbnail is the URL of an uploaded image's thumbnail (GET
  // /media/{name}?size=thumb); other URLs as they are.
  function thumbnail(url) {
    return /\/media\/[0-9a-f]{32}\.(jpg|png|gif|webp)$/.test(url) ? url + "?size=thumb" : url;
  }
  function preview(tpl) {
    const td = el("td", "tpl-preview");
    if (tpl.text) td.append(el("div", "text", tpl.text));
    if (tpl.button) td.append(el("span", "button", tpl.button.title + " → " + tpl.button.url));
    if (tpl.image_url) {
      const img = el("img", "thumb");
      img.src = thumbnail(tpl.image_url);
      img.alt = tpl.title;
      img.loading = "lazy";
      td.append(img);
    }
    return td;
  }
  async function load() {
    try {
      const q = encodeURIComponent(f("search").value.trim());
      const data = await api("GET", "/api/v1/templates?sort=" + f("sort").value + (q ? "&q=" + q : ""));
      f("list").replaceChildren(...data.templates.map((tpl) => {
        const tr = el("tr", "template kind-" + tpl.kind);
        tr.dataset.id = tpl.id;
        const name = el("td");
        name.append(el("div", "title", tpl.title), el("div", "kind", t("t_kind_" + tpl.kind)));
        const actions = el("td", "actions");
        if (!readOnly) {
          const edit = el("button", "edit", t("k_edit_button"));
          edit.type = "button";
          edit.addEventListener("click", () => open(tpl));
          const del = el("button", "delete", t("k_delete"));
          del.type = "button";
          del.addEventListener("click", async () => {
            if (!confirm(t("t_confirm_delete", { n: tpl.title }))) return;
            try {
              await api("DELETE", "/api/v1/templates/" + encodeURIComponent(tpl.id) + "?request_id=" + newID());
              await load();
            } catch (e) { fail(e.message); }
          });
          actions.append(edit, del);
        }
        tr.append(name, preview(tpl), el("td", "sent", tpl.sent), actions);
        return tr;
      }));
    } catch (e) {
      fail(e.message);
    }
  }
  f("search").addEventListener("input", load);
  f("sort").addEventListener("change", load);
  load();
})();
