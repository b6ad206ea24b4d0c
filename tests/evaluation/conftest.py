"""A fake rag with `search`/`ask` over hand-made passages, and helpers to build answers."""

from __future__ import annotations

from typing import Any

import pytest

from rag.answer.types import Answer, Citation, Timings
from rag.llm.base import Message
from rag.types import Passage


def passage(doc_id: str, text: str, ordinal: int = 0) -> Passage:
    return Passage(chunk_id=f"{doc_id}#{ordinal}", doc_id=doc_id, text=text, start=0, end=len(text))


def cite(n: int, p: Passage, quote: str | None = None) -> Citation:
    return Citation(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, quote=quote or p.text, start=0, end=len(p.text))


PASSAGES = [
    passage("budget", "The ministry set aside $2.9 billion over two years for research grants."),
    passage("weather", "Heavy rain closed the coastal road for three days in March."),
    passage("ports", "The harbour expansion will add four new berths by 2027."),
]


class FakeRag:
    """Answers from a table {question: (answer text, cited passage indexes, abstained)}; records calls."""

    def __init__(self, answers: dict[str, tuple[str, list[int], bool]], fail_on: str | None = None) -> None:
        self.answers = answers
        self.fail_on = fail_on
        self.search_calls: list[tuple[str, int | None, str | None]] = []
        self.ask_calls: list[dict[str, Any]] = []
        self.closed = False
        self.added: list[Any] = []

    def search(self, query: str, k: int | None = None, *, mode: str | None = None, filters: Any = None) -> list[Passage]:
        self.search_calls.append((query, k, mode))
        if query == self.fail_on:
            raise RuntimeError("index exploded")
        # The passage sharing the most words with the query comes first.
        words = set(query.lower().split())
        ranked = sorted(PASSAGES, key=lambda p: -len(words & set(p.text.lower().split())))
        return ranked[: k or 5]

    def ask(self, question: str, history: list[Message] | None = None, *, top_k: int | None = None,
            llm: str | None = None, mode: str | None = None, filters: Any = None) -> Answer:
        self.ask_calls.append({"question": question, "history": history, "top_k": top_k, "llm": llm, "mode": mode})
        text, cited, abstained = self.answers.get(question, ("I don't know.", [], True))
        citations = [cite(n, PASSAGES[i]) for n, i in enumerate(cited, start=1)]
        return Answer(question=question, answer=text, citations=citations, passages=list(PASSAGES),
                      abstained=abstained, timings=Timings(retrieve_ms=2.0, generate_ms=3.0, total_ms=5.0))

    def add(self, items: Any, *, progress: bool = False) -> Any:
        from rag.types import IngestReport

        self.added.append(items)
        return IngestReport()

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_rag() -> FakeRag:
    return FakeRag({
        "How much money went to research grants?": ("The ministry set aside $2.9 billion [1].", [0], False),
        "How many berths will the harbour add?": ("It will add four new berths [1].", [2], False),
        "Who won the 1930 cup?": ("I cannot answer from the sources.", [], True),
    })
