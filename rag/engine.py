"""The `RAG` facade: the one object an app, the CLI and the HTTP service talk to."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import InvalidQuestionError
from rag.retrieve import Retriever
from rag.text.question import clean_question
from rag.types import Document, DocumentInfo, Filters, IndexStats, IngestReport, Passage

if TYPE_CHECKING:
    from rag.answer.types import Answer
    from rag.embed.base import Embedder
    from rag.llm.base import LLMBackend, Message
    from rag.store.protocol import Store

log = logging.getLogger("rag")

OVERRIDES = frozenset({"top_k", "llm", "mode", "filters", "temperature", "max_tokens"})


def sample_corpus_dir() -> Path:
    """The bundled sample corpus (package data, so a wheel install finds it too)."""
    return Path(str(resources.files("rag") / "sample_corpus"))


class RAG:
    """An index plus the models that search and answer over it. Safe to share between threads."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder, location: str = "") -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.location = location  # where the index is, for messages: a folder, or a URL without its password
        self._write_lock = threading.Lock()
        self._backends: dict[str, LLMBackend] = {}
        self._backend_lock = threading.Lock()
        self.retriever = Retriever(store, embedder, settings.retrieval, _reranker(settings))

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        *,
        create: bool = True,
        seed_sample: bool = False,
    ) -> RAG:
        """Open the index at `index_dir` (default: settings.index_dir), creating it when absent.

        With `seed_sample`, a new index is filled with the bundled sample corpus so that a first
        question has something to answer from.
        """
        from rag.embed.registry import get_embedder
        from rag.store.dense import configure_faiss

        settings = settings or Settings()
        if index_dir is not None:
            settings = settings.model_copy(update={"index_dir": Path(index_dir)})
        configure_faiss(settings.retrieval.omp_threads)
        embedder = get_embedder(settings.embedder)
        store, fresh, where = _open_store(settings, embedder, create)
        rag = cls(settings, store, embedder, where)
        if fresh and seed_sample:
            log.warning("no index at %s yet: indexing the bundled sample corpus first", where)
            rag.add([sample_corpus_dir()])
        return rag

    # -- documents -------------------------------------------------------------------------

    def add(
        self,
        items: str | Path | Document | Iterable[str | Path | Document],
        *,
        progress: bool = False,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> IngestReport:
        """Index files, folders or Documents; unchanged ones are skipped, changed ones replaced.

        `include`/`exclude`: glob patterns ("*.md", "drafts/*", "README.md") choosing the files
        read from folders, matched against the path inside the folder and against the file name.
        """
        from rag.ingest.files import path_filter
        from rag.ingest.pipeline import Ingestor

        if isinstance(items, (str, Path, Document)):
            items = [items]
        select = path_filter(include, exclude)
        with self._write_lock:
            return Ingestor(self.settings, self.store, self.embedder).run(list(items), progress=progress, select=select)

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            return self.store.delete([doc_id]) > 0

    def documents(self, offset: int = 0, limit: int = 50) -> list[DocumentInfo]:
        self.store.refresh()  # after `rag index --rebuild` elsewhere, list the new index
        return self.store.documents(offset, limit)

    def stats(self) -> IndexStats:
        self.store.refresh()
        return self.store.stats()

    # -- search and answers ----------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        filters: Filters | dict | None = None,
        mode: str | None = None,
    ) -> list[Passage]:
        return self._search(clean_question(query), k, filters, mode)

    def _search(self, query: str, k: int | None, filters: Filters | dict | None, mode: str | None) -> list[Passage]:
        if isinstance(filters, dict):
            filters = Filters.model_validate(filters)
        # Another process (a CLI writer, another server worker) may have committed since the last call.
        self.store.refresh()
        return self.retriever.search(query, k or self.settings.retrieval.top_k, mode=mode, filters=filters)

    def ask(self, question: str, history: Sequence[Message | dict] | None = None, **overrides: Any) -> Answer:
        """Answer `question` from the index, every sentence cited; abstain when unsupported.

        `history`: earlier turns, as `Message`s or OpenAI-style dicts ({"role": "user", "content": ...}).
        Overrides: top_k, llm (backend name), mode, filters, temperature, max_tokens.
        """
        from rag.answer.pipeline import compose_answer

        started = time.perf_counter()
        question, history = clean_question(question), as_messages(history)
        backend, standalone, passages, retrieve_ms = self._prepare(question, history, overrides)
        settings = self._generation_settings(overrides)
        answer = compose_answer(question, passages, backend, settings, history=history, standalone=standalone)
        return _stamp(answer, question, standalone, retrieve_ms, started)

    def stream(
        self, question: str, history: Sequence[Message | dict] | None = None, **overrides: Any
    ) -> Iterator[str | Answer]:
        """Yield answer text as it is generated, then the final `Answer` with its citations."""
        from rag.answer.pipeline import stream_answer
        from rag.answer.types import Answer

        started = time.perf_counter()
        question, history = clean_question(question), as_messages(history)
        backend, standalone, passages, retrieve_ms = self._prepare(question, history, overrides)
        settings = self._generation_settings(overrides)
        for piece in stream_answer(question, passages, backend, settings, history=history, standalone=standalone):
            if isinstance(piece, Answer):
                yield _stamp(piece, question, standalone, retrieve_ms, started)
            else:
                yield piece

    def backend(self, name: str | None = None) -> LLMBackend:
        """The LLM backend called `name` (default: the configured one), built once and reused."""
        from rag.llm.registry import get_llm

        name = name or self.settings.llm.backend
        with self._backend_lock:
            if name not in self._backends:
                self._backends[name] = get_llm(name, self.settings)
            return self._backends[name]

    def _generation_settings(self, overrides: dict[str, Any]) -> Settings:
        """Settings for one answer: per-request temperature and max_tokens (as OpenAI clients send)."""
        changes = {k: overrides[k] for k in ("temperature", "max_tokens") if overrides.get(k) is not None}
        if not changes:
            return self.settings
        llm = self.settings.llm.model_validate({**self.settings.llm.model_dump(), **changes})
        return self.settings.model_copy(update={"llm": llm})

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> RAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prepare(
        self, question: str, history: list[Message] | None, overrides: dict[str, Any]
    ) -> tuple[LLMBackend, str, list[Passage], float]:
        from rag.answer.condense import condense_question

        unknown = set(overrides) - OVERRIDES
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)}; use {', '.join(sorted(OVERRIDES))}")
        backend = self.backend(overrides.get("llm"))
        standalone = condense_question(question, history or [], backend, self.settings) if history else question
        started = time.perf_counter()
        passages = self._search(standalone, overrides.get("top_k"), overrides.get("filters"), overrides.get("mode"))
        return backend, standalone, passages, (time.perf_counter() - started) * 1000


def as_messages(history: Sequence[Message | dict] | None) -> list[Message] | None:
    """Chat turns as `Message`s; dicts in the OpenAI shape are accepted, anything else is a clear error."""
    from pydantic import ValidationError

    from rag.llm.base import Message

    if not history:
        return None
    messages = []
    for number, turn in enumerate(history):
        try:
            messages.append(turn if isinstance(turn, Message) else Message.model_validate(turn))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise InvalidQuestionError(
                f"history[{number}]{'.' + where if where else ''}: {problem['msg']}; give each turn as "
                "{'role': 'user' | 'assistant' | 'system', 'content': '...'} or rag.llm.Message"
            ) from None
    return messages


def chunking_manifest(settings: Settings) -> dict[str, Any]:
    """The chunking parameters an index is built with; opening it with others is an error."""
    from rag.text.tokens import get_token_counter

    chunking = settings.chunking
    counter = get_token_counter(chunking.encoding, chunking.encoding_file, quiet=True)
    return {"size": chunking.size, "overlap": chunking.overlap, "tokenizer": counter.name}


def _open_store(settings: Settings, embedder: Any, create: bool) -> tuple[Any, bool, str]:
    """(store, whether this open created it, where it is), for the store `store.url` names."""
    from rag.store.registry import open_store

    opened = open_store(settings, create=create, embedder_id=embedder.id, dimension=embedder.dimension,
                        chunking=chunking_manifest(settings))
    return opened.store, opened.created, opened.location


def _reranker(settings: Settings) -> Any:
    if not settings.retrieval.reranker:
        return None
    from rag.retrieve.rerank import CrossEncoderReranker

    return CrossEncoderReranker(settings.retrieval.reranker)


def _stamp(answer: Answer, question: str, standalone: str, retrieve_ms: float, started: float) -> Answer:
    """The facade's part of an answer: the cleaned question, the condensed one if any, and timings."""
    answer.question = question
    if standalone != question:
        answer.standalone_question = standalone
    answer.timings.retrieve_ms = round(retrieve_ms, 3)
    answer.timings.total_ms = round((time.perf_counter() - started) * 1000, 3)
    return answer
