// The flows page: the blocks of the bot's flows with previews in every
// language, how the last load of the file went (its error with file and
// line), and a reload button for admins.
"use strict";
(() => {
  const { t, api, el } = handoff;
  const message = document.getElementById("flows-message");
  const reload = document.getElementById("flows-reload");

  function showStatus(status) {
    document.getElementById("flows-path").textContent = status.path;
    document.getElementById("flows-loaded").textContent = new Date(status.loaded_at).toLocaleString();
    document.getElementById("flows-sha").textContent = (status.sha256 || "").slice(0, 12);
    const box = document.getElementById("flows-error");
    box.hidden = !status.last_error;
    document.getElementById("flows-error-text").textContent = status.last_error || "";
    document.getElementById("flows-error-at").textContent = status.last_error_at ? new Date(status.last_error_at).toLocaleString() : "";
  }
  function showBlocks(flows) {
    const body = document.getElementById("flows-blocks");
    body.replaceChildren(...flows.blocks.map((b) => {
      const tr = el("tr", "block");
      tr.dataset.block = b.id;
      const name = el("td", "block-id");
      name.append(el("code", "", b.id));
      const tags = [];
      if (b.id === flows.start) tags.push(t("f_start"));
      if (b.id === flows.fallback) tags.push(t("f_fallback"));
      if (tags.length) name.append(el("div", "tags", tags.join(", ")));
      name.append(el("div", "line", t("f_line", { n: b.line })));
      const preview = el("td", "block-preview");
      for (const lang of flows.languages) {
        const text = b.text && b.text[lang];
        if (text) {
          const p = el("div", "text");
          p.append(el("span", "lang", lang + " "), document.createTextNode(text));
          preview.append(p);
        }
      }
      if (b.image) {
        const img = el("img", "thumb");
        img.alt = "";
        img.loading = "lazy";
        if (/^https?:\/\//.test(b.image)) img.src = b.image;
        preview.append(img);
      }
      tr.append(name, preview);
      return tr;
    }));
  }
  async function load() {
    try {
      const flows = await api("GET", "/api/v1/flows");
      showStatus(flows.status);
      showBlocks(flows);
    } catch (e) {
      message.textContent = e.message;
    }
  }
  if (reload) {
    reload.addEventListener("click", async () => {
      message.textContent = "";
      try {
        await api("POST", "/api/v1/flows/reload", {});
        message.textContent = t("f_reloaded");
      } catch (e) {
        message.textContent = e.message;
      }
      await load();
    });
  }
  load();
})();
