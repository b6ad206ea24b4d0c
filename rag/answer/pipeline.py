"""From retrieved passages to a cited `Answer`: check support, prompt, generate, resolve citations."""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Sequence

from rag.answer.attribution import attribute
from rag.answer.citations import StreamRenumbering, answer_sentences, resolve_citations
from rag.answer.clauses import should_abstain
from rag.answer.condense import condense_question
from rag.answer.packing import PASSAGE_OVERHEAD, pack_passages, token_counter
from rag.answer.prompts import REFUSAL, render_messages
from rag.answer.refusals import is_refusal
from rag.answer.types import Answer, Timings
from rag.config import Settings
from rag.errors import BackendError
from rag.llm.base import GenerationRequest, LLMBackend, Message, Usage
from rag.text.question import MAX_QUESTION_CHARS, clean_question
from rag.types import Passage

__all__ = ["MAX_QUESTION_CHARS", "clean_question", "compose_answer", "condense_question", "stream_answer"]

_DISAGREEMENT = re.compile(r"^sources (?:differ|disagree)\b", re.IGNORECASE)


def compose_answer(
    question: str,
    passages: Sequence[Passage],
    backend: LLMBackend,
    settings: Settings,
    *,
    history: list[Message] | None = None,
    standalone: str | None = None,
    fallback: LLMBackend | None = None,
) -> Answer:
    """The whole answer at once; see `stream_answer`."""
    for item in stream_answer(
        question, passages, backend, settings, history=history, standalone=standalone, fallback=fallback
    ):
        if isinstance(item, Answer):
            return item
    raise RuntimeError("stream_answer ended without an Answer")  # pragma: no cover - a bug, not a user error


def stream_answer(
    question: str,
    passages: Sequence[Passage],
    backend: LLMBackend,
    settings: Settings,
    *,
    history: list[Message] | None = None,
    standalone: str | None = None,
    fallback: LLMBackend | None = None,
) -> Iterator[str | Answer]:
    """Text pieces as the backend produces them, then the final `Answer`.

    `question` is taken as cleaned by `rag.text.question.clean_question` (the `RAG` facade does it).

    Markers are renumbered 1..k in order of use as the text streams, the same numbers the final
    answer's citations carry. `standalone` is the follow-up already
    condensed by the caller (the engine condenses before retrieval); when omitted and there is
    history, it is condensed here. `fallback` overrides `settings.llm.fallback`.
    """
    started = time.perf_counter()
    history = list(history or [])
    if standalone is None:
        standalone = condense_question(question, history, backend, settings)
    base = {"question": question, "backend": backend.name, "standalone_question": standalone if history else None}
    if should_abstain(standalone, passages, settings):
        yield REFUSAL
        yield _refusal(base, list(passages), started)
        return
    request = _request(standalone, passages, history, settings, prompt=getattr(backend, "reads_prompt", True))
    packed = request.passages
    pieces: list[str] = []
    usage = yield from _generate_or_fall_back(backend, fallback, settings, request, pieces, base)
    text = "".join(pieces)
    if base["backend"] != "extractive":  # the extractive answerer cites every sentence itself
        text, _ = attribute(text, packed, settings.answer.attribution_threshold, question=standalone)
    yield _finish(base, text, packed, usage, started)


def _request(
    standalone: str, passages: Sequence[Passage], history: list[Message], settings: Settings, *, prompt: bool = True
) -> GenerationRequest:
    """The prompt for the backend: the passages packed into the context budget, rendered as messages.

    `prompt=False` for a backend that never reads the rendered messages (the extractive answerer
    quotes the passages itself): they are left empty, rendered only if a fallback needs them."""
    packed = _pack(standalone, passages, history, settings)
    return GenerationRequest(
        question=standalone,
        passages=packed,
        messages=render_messages(standalone, packed, history, settings) if prompt else [],
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        history=history,
    )


def _generate_or_fall_back(
    backend: LLMBackend,
    fallback: LLMBackend | None,
    settings: Settings,
    request: GenerationRequest,
    pieces: list[str],
    base: dict,
) -> Generator[str, None, Usage]:
    """`_generate` with `backend`; on a BackendError, with the fallback (recorded in `base`) if there is one."""
    try:
        return (yield from _generate(backend, request, pieces))
    except BackendError:
        alternative = fallback or _configured_fallback(backend, settings)  # built only when needed
        if alternative is None:
            raise
        base.update(backend=alternative.name, fallback_from=backend.name)
        if not request.messages:
            request.messages = render_messages(request.question, request.passages, request.history, settings)
        pieces.clear()  # a half-streamed reply is dropped; the final Answer holds the fallback's text
        return (yield from _generate(alternative, request, pieces))


def _generate(backend: LLMBackend, request: GenerationRequest, pieces: list[str]) -> Generator[str, None, Usage]:
    """Stream one backend's deltas as text with markers already renumbered; returns its usage."""
    usage = Usage()
    renumber = StreamRenumbering(len(request.passages))
    for delta in backend.stream(request):
        if delta.text:
            pieces.append(delta.text)
            shown = renumber.feed(delta.text)
            if shown:
                yield shown
        if delta.usage is not None:
            usage = delta.usage
    tail = renumber.close()
    if tail:
        yield tail
    return usage


def _pack(question: str, passages: Sequence[Passage], history: list[Message], settings: Settings) -> list[Passage]:
    """Passages that fit the context window beside the prompt scaffolding and the answer."""
    count = token_counter(settings)
    scaffold = sum(count(m.content) + 4 for m in render_messages(question, [], history, settings))
    budget = settings.llm.context_window - settings.llm.max_tokens - scaffold
    return pack_passages(passages, budget, count, overhead=PASSAGE_OVERHEAD)


def _configured_fallback(backend: LLMBackend, settings: Settings) -> LLMBackend | None:
    name = settings.llm.fallback
    if not name or name == backend.name:
        return None
    from rag.llm.registry import get_llm  # lazy: the registry imports every backend's module path

    return get_llm(name, settings)


def _finish(base: dict, text: str, packed: list[Passage], usage: Usage, started: float) -> Answer:
    elapsed = (time.perf_counter() - started) * 1000
    timings = Timings(generate_ms=elapsed, total_ms=elapsed)
    if is_refusal(text):
        return Answer(**base, answer=REFUSAL, passages=packed, abstained=True, usage=usage, timings=timings)
    resolved = resolve_citations(text, packed)
    notes = [s for s in answer_sentences(resolved.text) if _DISAGREEMENT.match(s)]
    return Answer(
        **base,
        answer=resolved.text,
        citations=resolved.citations,
        passages=packed,
        usage=usage,
        timings=timings,
        dropped_markers=resolved.dropped_markers,
        unsupported_sentences=resolved.unsupported_sentences,
        disagreements=notes,
    )


def _refusal(base: dict, passages: list[Passage], started: float) -> Answer:
    elapsed = (time.perf_counter() - started) * 1000
    return Answer(**base, answer=REFUSAL, passages=passages, abstained=True, timings=Timings(total_ms=elapsed))
