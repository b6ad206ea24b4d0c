// The documents panel: upload on choosing files (one request per file, so each gets its own result),
// a paged list with delete (confirmed first), and the index statistics.
import { count, el, json, request } from "./api.js";

const PAGE = 10;

export class Documents {
  constructor({ panel, stats, files, results, list, prev, next, info }) {
    Object.assign(this, { panel, stats, files, results, list, prev, next, info });
    this.offset = 0;
    this.total = 0;
    files.addEventListener("change", () => this.upload([...files.files]));
    prev.addEventListener("click", () => this.page(this.offset - PAGE));
    next.addEventListener("click", () => this.page(this.offset + PAGE));
  }

  async refresh() {
    await Promise.all([this.loadStats(), this.page(this.offset)]);
  }

  async loadStats() {
    try {
      const ready = await json("/readyz");
      this.stats.textContent =
        `${count(ready.documents, "document")}, ${count(ready.chunks, "passage")}; ` +
        `embedder ${ready.embedder}, answers by ${ready.llm}`;
    } catch (error) {
      this.stats.textContent = `Index statistics unavailable: ${error.message}`;
    }
  }

  async page(offset) {
    offset = Math.max(0, offset);
    try {
      const page = await json(`/v1/documents?offset=${offset}&limit=${PAGE}`);
      if (!page.documents.length && offset > 0 && page.total > 0) return this.page(offset - PAGE);
      this.offset = offset;
      this.total = page.total;
      this.list.replaceChildren(...page.documents.map((doc) => this.row(doc)));
      if (!page.documents.length) this.list.append(el("li", { class: "hint", text: "No documents yet." }));
    } catch (error) {
      this.list.replaceChildren(el("li", { class: "error", role: "alert", text: error.message }));
    }
    const pages = Math.max(1, Math.ceil(this.total / PAGE));
    this.info.textContent = `Page ${Math.floor(this.offset / PAGE) + 1} of ${pages}`;
    this.prev.disabled = this.offset === 0;
    this.next.disabled = this.offset + PAGE >= this.total;
  }

  row(doc) {
    const name = doc.title || doc.doc_id;
    const details = [doc.title ? doc.doc_id : null, doc.date, count(doc.chunks, "passage")].filter(Boolean).join(" · ");
    return el("li", { class: "doc" },
      el("div", { class: "doc-text" }, el("span", { class: "doc-title", text: name }),
        el("span", { class: "meta", text: details })),
      el("button", {
        type: "button", class: "danger", text: "Delete", "aria-label": `Delete ${name}`,
        onclick: () => this.remove(doc.doc_id, name),
      }));
  }

  async remove(docId, name) {
    if (!window.confirm(`Delete “${name}” from the index? This cannot be undone.`)) return;
    try {
      await request(`/v1/documents/${docId.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
      this.say(`Deleted ${name}.`, "ok");
    } catch (error) {
      this.say(`Could not delete ${name}: ${error.message}`, "error");
    }
    await this.refresh();
  }

  async upload(chosen) {
    if (!chosen.length) return;
    this.results.replaceChildren();
    this.files.disabled = true;
    for (const file of chosen) {
      const line = el("li", { text: `${file.name}: uploading…` });
      this.results.append(line);
      line.replaceWith(await this.uploadOne(file));
    }
    this.files.value = "";
    this.files.disabled = false;
    this.files.focus();
    await this.refresh();
  }

  async uploadOne(file) {
    const form = new FormData();
    form.append("files", file, file.name);
    try {
      const report = await json("/v1/documents", { method: "POST", body: form });
      return el("li", {}, report.items.map((item) => el("span", {
        class: item.status === "error" || item.status === "skipped" ? "error" : "ok",
        text: `${file.name}: ${describe(item)}`,
      })));
    } catch (error) {
      return el("li", { class: "error", text: `${file.name}: ${error.message}` });
    }
  }

  say(message, kind) {
    this.results.replaceChildren(el("li", { class: kind, text: message }));
  }
}

function describe(item) {
  const chunks = item.chunks ? `, ${count(item.chunks, "passage")}` : "";
  const message = item.message ? ` (${item.message})` : "";
  return `${item.status}${chunks}${message}`;
}
