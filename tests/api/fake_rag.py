"""A small in-memory stand-in for `rag.engine.RAG`, for faults the real one cannot be made to show.

Same methods as the facade; word-overlap search; an "answer" made of the top passage's first
sentence with a [1] marker. Faults: `fail` (raised before any text), `fail_mid_stream`
(raised after the first piece), `piece_delay` (slow streaming), `stream_closed` (set when a
stream generator is closed before its end).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.answer.types import Answer, Citation, Timings
from rag.config import Settings
from rag.errors import ConfigError, InvalidQuestionError
from rag.llm.base import Message, Usage
from rag.types import Document, DocumentInfo, Filters, IndexStats, IngestItem, IngestReport, Passage

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "rag" / "sample_corpus"
# The bundled sample corpus (one passage per paragraph), so the same questions work on the fake.
SAMPLE = [
    Document(id=f"{path.name}/{i}", title=path.stem, source="sample", date="2024-04-10", text=para)
    for path in sorted(SAMPLE_DIR.glob("*.md"))
    for i, para in enumerate(p for p in path.read_text().split("\n\n") if len(p) > 80)
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


class FakeRAG:
    def __init__(self, settings: Settings | None = None, documents: list[Document] = SAMPLE):
        self.settings = settings or Settings()
        self._docs: dict[str, Document] = {}
        self._write = threading.Lock()
        self.fail: Exception | None = None
        self.fail_mid_stream: Exception | None = None
        self.piece_delay = 0.0
        self.answer_extra: dict[str, Any] = {}  # fields set on every Answer, e.g. fallback_from
        self.stream_closed = threading.Event()
        self.calls: list[dict[str, Any]] = []
        self.closed = False
        self.add(documents)

    # -- documents --------------------------------------------------------------------------
    def add(self, items: Any, *, progress: bool = False) -> IngestReport:
        report = IngestReport()
        with self._write:
            docs = dict(self._docs)  # copy-on-write: readers keep the old snapshot
            for doc in self._expand(items):
                status = "replaced" if doc.id in docs else "added"
                docs[doc.id] = doc
                report.items.append(IngestItem(doc_id=doc.id, source=doc.source, status=status, chunks=1))
            self._docs = docs
        return report

    def _expand(self, items: Any) -> Iterator[Document]:
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, Document):
                yield item if item.id else item.model_copy(update={"id": f"doc-{abs(hash(item.text)):x}"})
            else:
                from rag.ingest.loaders import iter_documents

                yield from (doc for doc in iter_documents([item]) if isinstance(doc, Document))

    def delete(self, doc_id: str) -> bool:
        with self._write:
            docs = dict(self._docs)
            found = docs.pop(doc_id, None) is not None
            self._docs = docs
        return found

    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]:
        docs = sorted(self._docs.values(), key=lambda d: d.id or "")[offset: offset + limit]
        return [DocumentInfo(doc_id=d.id or "", title=d.title, source=d.source, content_hash="h", chunks=1,
                             chars=len(d.text)) for d in docs]

    def stats(self) -> IndexStats:
        return IndexStats(documents=len(self._docs), chunks=len(self._docs), embedder="fake", dimension=1)

    # -- search and answers -----------------------------------------------------------------
    def search(self, query: str, k: int | None = None, *, filters: Filters | dict | None = None,
               mode: str | None = None) -> list[Passage]:
        if not query.strip():
            raise InvalidQuestionError("the question is empty")
        wanted = _words(query)
        scored = sorted(((len(wanted & _words(d.text)), d) for d in self._docs.values()), key=lambda x: -x[0])
        return [Passage(chunk_id=f"{d.id}#0", doc_id=d.id or "", text=d.text, start=0, end=len(d.text),
                        title=d.title, source=d.source, date=d.date, score=float(s), rank=i + 1)
                for i, (s, d) in enumerate(scored[: k or 5]) if s > 0]

    def ask(self, question: str, history: list[Message] | None = None, **overrides: Any) -> Answer:
        *_, answer = self.stream(question, history, **overrides)
        return answer

    def stream(self, question: str, history: list[Message] | None = None, **overrides: Any) -> Iterator[str | Answer]:
        self._check(question, overrides)
        self.calls.append({"question": question, "history": history, **overrides})
        if self.fail is not None:
            raise self.fail
        return self._pieces(question, overrides)

    def _check(self, question: str, overrides: dict[str, Any]) -> None:
        unknown = set(overrides) - {"top_k", "llm", "mode", "filters"}
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)}")
        if not question.strip():
            raise InvalidQuestionError("the question is empty; ask something about the indexed documents")
        if overrides.get("llm") not in (None, "extractive", self.settings.llm.backend):
            raise ConfigError(f"unknown LLM backend {overrides['llm']!r}; valid names: extractive")

    def _pieces(self, question: str, overrides: dict[str, Any]) -> Iterator[str | Answer]:
        passages = self.search(question, overrides.get("top_k"))
        text = passages[0].text.split(". ")[0].rstrip(".") + ". [1]" if passages else "I don't know."
        try:
            for i, word in enumerate(re.findall(r"\S+\s*", text)):
                if i == 1 and self.fail_mid_stream is not None:
                    raise self.fail_mid_stream
                time.sleep(self.piece_delay)
                yield word
        except GeneratorExit:
            self.stream_closed.set()
            raise
        cites = [Citation(n=1, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, source=p.source, date=p.date,
                          quote=text, start=0, end=len(text)) for p in passages[:1]]
        answer = Answer(question=question, answer=text, citations=cites, passages=passages, abstained=not passages,
                     backend=overrides.get("llm") or self.settings.llm.backend, usage=Usage(prompt_tokens=10,
                     completion_tokens=5), timings=Timings(retrieve_ms=1.0, generate_ms=2.0, total_ms=3.0))
        yield answer.model_copy(update=self.answer_extra)

    def close(self) -> None:
        self.closed = True
