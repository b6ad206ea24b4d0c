"""Optional second-stage ranking with a sentence-transformers CrossEncoder (hub name or local path)."""

from __future__ import annotations

import threading
from typing import Any

from rag.embed.sentence_transformers import default_device, import_sentence_transformers, load_model, resolve_model
from rag.types import Passage


class CrossEncoderReranker:
    """Scores (query, passage) pairs jointly; better order than the retrievers, at model cost.

    The constructor checks the name (a missing local folder is a ConfigError at once); the
    model loads in `warm_up()` or on the first `rerank`.
    """

    def __init__(self, name_or_path: str, *, device: str | None = None, batch_size: int = 32) -> None:
        self._target, self.name = resolve_model(name_or_path)
        self._given = name_or_path
        self._device = device
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Import sentence-transformers and load the model; later calls return at once."""
        with self._lock:
            if self._model is None:
                st = import_sentence_transformers()
                device = self._device or default_device()
                self._model = load_model(st.CrossEncoder, self._target, self._given, device=device)

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]:
        """Passages best first by the model's score, recorded as scores["rerank"]; score and rank updated."""
        if not passages:
            return []
        self.warm_up()
        raw = self._model.predict(
            [(query, p.text) for p in passages], batch_size=self._batch_size, show_progress_bar=False
        )
        scored = sorted(zip(passages, (float(s) for s in raw)), key=lambda pair: pair[1], reverse=True)
        out: list[Passage] = []
        for rank, (passage, score) in enumerate(scored, start=1):
            out.append(
                passage.model_copy(update={"score": score, "rank": rank, "scores": {**passage.scores, "rerank": score}})
            )
        return out
