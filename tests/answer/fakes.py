"""Test doubles for the answer pipeline: a streaming LLM with queued replies, and sample passages."""

from __future__ import annotations

from collections.abc import Iterator

from rag.errors import BackendError
from rag.llm.base import Delta, GenerationRequest, StreamingLLM, Usage
from rag.types import Passage


class FakeLLM(StreamingLLM):
    """Replies with queued strings (or raises queued errors), word by word; records every request."""

    def __init__(self, *replies: str | Exception, name: str = "fake") -> None:
        self.name = name
        self.replies: list[str | Exception] = list(replies)
        self.requests: list[GenerationRequest] = []

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else "No reply queued."
        if isinstance(reply, Exception):
            raise reply
        for i, word in enumerate(reply.split(" ")):
            yield Delta(text=word if i == 0 else " " + word)
        yield Delta(usage=Usage(prompt_tokens=100, completion_tokens=len(reply.split())))


def down(name: str = "fake") -> BackendError:
    return BackendError(f"{name} is unreachable; check that the server is running", backend=name, timeout=True)


def passage(n: int, text: str, doc: str | None = None, start: int = 0, **meta: str) -> Passage:
    doc_id = doc or f"doc{n}"
    return Passage(chunk_id=f"{doc_id}#0", doc_id=doc_id, text=text, start=start, end=start + len(text), rank=n, **meta)


# A fictional company, described in our own words.
VELDT = [
    passage(
        1,
        "Veldt Dynamics builds warehouse robots in Rotterdam. On Monday the company said it will spend "
        "$110 million on a research program with three Dutch universities. The program runs for four years.",
        title="Veldt expands research",
        source="harbour-news",
        date="2031-03-03",
    ),
    passage(
        2,
        "Critics asked whether the robots would replace dock workers. Veldt Dynamics will put $100 million "
        "into a research program with Dutch universities, according to a filing. Chief executive Mara "
        "Oyelaran founded the company in 2019.",
        title="Robot maker's filing",
        source="port-daily",
        date="2031-03-04",
    ),
    passage(
        3,
        "The company plans to train 4,000 technicians by 2033 at a new campus in Eindhoven. Training is "
        "free for apprentices.",
        title="Veldt training campus",
        source="harbour-news",
        date="2031-03-05",
    ),
]
