"""The default, offline backend: no model, the answer quoted from the passages (rag.answer.extractive)."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.extractive import ExtractiveConfig, extract_answer
from rag.answer.packing import token_counter
from rag.config import Settings
from rag.llm.base import Delta, GenerationRequest, StreamingLLM, Usage


class ExtractiveLLM(StreamingLLM):
    """Offline answerer: no model, sentences quoted from the passages, each one cited."""

    name = "extractive"
    reads_prompt = False  # answers from request.passages; the pipeline skips rendering the messages

    def __init__(self, settings: Settings | None = None, config: ExtractiveConfig | None = None) -> None:
        self.settings = settings or Settings()
        self.config = config or ExtractiveConfig(max_sentences=self.settings.answer.max_sentences)

    def warm_up(self) -> None:
        """Load the entity tagger (when the `ner` extra is installed) now, not on the first question:
        the server calls this before it reports ready, so no user waits seconds for it."""
        from rag.answer import entities

        entities.model()

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:
        sentences = extract_answer(request.question, request.passages, self.config)
        for i, sentence in enumerate(sentences):
            yield Delta(text=sentence if i == 0 else " " + sentence)
        count = token_counter(self.settings)
        yield Delta(usage=Usage(prompt_tokens=0, completion_tokens=sum(count(s) for s in sentences)))
