// The conversation: questions, answers streamed as they are written, citations that open their passage.
import { el, events, request, safeUrl } from "./api.js";

export class Chat {
  constructor({ turns, form, question, send, empty, source }) {
    Object.assign(this, { turns, form, question, send, empty });
    this.source = new SourceDialog(source);
    this.history = [];
    this.busy = false;
    form.addEventListener("submit", (e) => { e.preventDefault(); this.ask(); });
    question.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.ask(); }
    });
  }

  reset() {
    this.history = [];
    this.turns.replaceChildren();
    this.empty.hidden = false;
    this.question.focus();
  }

  async ask() {
    const text = this.question.value.trim();
    if (!text || this.busy) return;
    this.setBusy(true);
    this.empty.hidden = true;
    const turn = new Turn(text, this.source);
    this.turns.append(turn.node);
    this.question.value = "";
    turn.node.scrollIntoView({ block: "end" });
    try {
      const answer = await this.stream(text, turn);
      if (answer) this.history.push({ role: "user", content: text }, { role: "assistant", content: answer.answer });
    } catch (error) {
      turn.fail(error.message);
    } finally {
      this.setBusy(false);
      this.question.focus();
    }
  }

  async stream(text, turn) {
    const body = JSON.stringify({ question: text, history: this.history, stream: true });
    const response = await request("/v1/ask", {
      method: "POST", headers: { "Content-Type": "application/json" }, body,
    });
    for await (const { event, data } of events(response)) {
      if (event === "delta") turn.write(data.text);
      else if (event === "done") { turn.finish(data); return data; }
      else if (event === "error") throw new Error(data.error.message);
    }
    throw new Error("the answer stopped before it was complete; ask again");
  }

  setBusy(busy) {
    this.busy = busy;
    this.send.disabled = busy;
    this.send.textContent = busy ? "Answering…" : "Ask";
    this.form.setAttribute("aria-busy", String(busy));
  }
}

class Turn {
  constructor(question, source) {
    this.source = source;
    this.text = "";
    this.answer = el("div", { class: "answer streaming", "aria-busy": "true" });
    this.node = el("li", { class: "turn" },
      el("p", { class: "question" }, el("span", { class: "visually-hidden", text: "You asked: " }), question),
      this.answer);
  }

  write(piece) {
    this.text += piece;
    this.answer.textContent = this.text;
  }

  finish(answer) {
    this.answer.classList.remove("streaming");
    this.answer.removeAttribute("aria-busy");
    this.answer.replaceChildren();
    if (answer.abstained) {
      this.answer.classList.add("abstained");
      this.answer.append(el("p", { class: "badge", text: "Not in the documents" }));
    }
    this.answer.append(el("p", { class: "text" }, withMarkers(answer, this.source)));
    if (answer.disagreements && answer.disagreements.length) {
      this.answer.append(el("div", { class: "differ", role: "note" },
        el("p", { class: "differ-title", text: "Sources differ" }),
        el("ul", {}, answer.disagreements.map((note) => el("li", { text: note })))));
    }
    const sources = distinct(answer.citations);
    if (sources.length) {
      this.answer.append(el("ol", { class: "sources", "aria-label": "Sources" },
        sources.map((c) => el("li", {}, citeButton(c, answer, this.source, `[${c.n}] ${c.title || c.doc_id}`)))));
    }
  }

  fail(message) {
    this.answer.classList.remove("streaming");
    this.answer.removeAttribute("aria-busy");
    this.answer.append(el("p", { class: "error", role: "alert", text: `Could not answer: ${message}` }));
  }
}

function distinct(citations) {
  const seen = new Map();
  for (const c of citations || []) if (!seen.has(c.n)) seen.set(c.n, c);
  return [...seen.values()].sort((a, b) => a.n - b.n);
}

// The answer text with each [n] turned into a button that opens the passage behind it.
function withMarkers(answer, source) {
  const byNumber = new Map(distinct(answer.citations).map((c) => [String(c.n), c]));
  const parts = [];
  let last = 0;
  for (const match of answer.answer.matchAll(/\[(\d+)\]/g)) {
    const citation = byNumber.get(match[1]);
    if (!citation) continue;
    parts.push(answer.answer.slice(last, match.index), citeButton(citation, answer, source, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(answer.answer.slice(last));
  return parts;
}

function citeButton(citation, answer, source, label) {
  return el("button", {
    type: "button", class: "cite", text: label,
    "aria-label": `Source ${citation.n}: ${citation.title || citation.doc_id}`,
    onclick: () => source.show(citation, answer.passages || []),
  });
}

class SourceDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.title = dialog.querySelector("#source-title");
    this.meta = dialog.querySelector("#source-meta");
    this.link = dialog.querySelector("#source-link");
    this.context = dialog.querySelector("#source-context");
  }

  show(citation, passages) {
    this.title.textContent = citation.title || citation.doc_id;
    const meta = [citation.source, citation.date, citation.title ? citation.doc_id : null].filter(Boolean);
    this.meta.textContent = [...new Set(meta)].join(" · ");
    const href = safeUrl(citation.url);
    this.link.replaceChildren(href
      ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: href })
      : (citation.url ? `Link not shown (not a web address): ${citation.url}` : ""));
    this.context.replaceChildren(...inContext(citation, passages));
    this.dialog.showModal();
  }
}

// The quote inside its passage, marked; the quote alone when the passage did not come back.
function inContext(citation, passages) {
  const passage = passages.find((p) => p.chunk_id === citation.chunk_id);
  if (passage) {
    const from = citation.start - passage.start;
    const to = citation.end - passage.start;
    if (from >= 0 && to <= passage.text.length && passage.text.slice(from, to) === citation.quote) {
      return [passage.text.slice(0, from), el("mark", { text: citation.quote }), passage.text.slice(to)];
    }
    const at = passage.text.indexOf(citation.quote);
    if (at >= 0) {
      return [passage.text.slice(0, at), el("mark", { text: citation.quote }),
        passage.text.slice(at + citation.quote.length)];
    }
  }
  return [el("mark", { text: citation.quote })];
}
