"""A plain BM25 baseline with a naive answer, run through the same runner as rag itself.

Retrieval: bm25s over sentence-packed chunks of the same documents (stemmed content terms, no
dense vectors, no fusion, no de-duplication). Answer: of the sentences in the top three
passages, the one sharing the most distinct terms with the question, cited to its passage.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.answer.citations import citation_of
from rag.answer.types import Answer, Timings
from rag.errors import RagError
from rag.text.analyze import terms
from rag.text.sentences import split_sentences
from rag.types import Document, Passage

WORDS_PER_TOKEN = 0.75  # rough English ratio, to turn the token chunk size into words
NAIVE_PASSAGES = 3


class BM25Baseline:
    """Exposes `search` and `ask` like `rag.RAG`, so `run_eval` scores it the same way."""

    name = "bm25"

    def __init__(self, documents: Sequence[Document], *, chunk_tokens: int = 256, top_k: int = 5) -> None:
        import bm25s  # a core dependency, imported here to keep `import rag.evaluation` light

        self.top_k = top_k
        self._passages = [p for doc in documents for p in chunk_document(doc, int(chunk_tokens * WORDS_PER_TOKEN))]
        if not self._passages:
            raise RagError("the BM25 baseline got no text to index; give it documents with text")
        self._bm25 = bm25s.BM25()
        corpus = [terms(p.text) or ["\x00empty"] for p in self._passages]
        self._bm25.index(corpus, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._cache: dict[str, tuple[int, list[tuple[int, float]]]] = {}

    def prefetch(self, queries: Sequence[str], k: int) -> None:
        """Retrieve many queries in one batched bm25s call; `search` then answers from the cache."""
        tokenized = {q: [t for t in terms(q) if t in self._vocab] for q in dict.fromkeys(queries)}
        batch = [q for q, tokens in tokenized.items() if tokens]
        k = min(k, len(self._passages))
        if batch:
            ids, scores = self._bm25.retrieve([tokenized[q] for q in batch], k=k, show_progress=False)
            for row, query in enumerate(batch):
                self._cache[query] = (k, list(zip(ids[row].tolist(), scores[row].tolist(), strict=True)))

    def search(
        self, query: str, k: int | None = None, *, mode: str | None = None, filters: Any = None
    ) -> list[Passage]:
        """Top-k chunks by BM25; `mode` and `filters` are accepted and ignored."""
        k = min(k or self.top_k, len(self._passages))
        cached = self._cache.get(query)
        if cached is not None and cached[0] >= k:
            pairs = cached[1][:k]
        else:
            wanted = [t for t in terms(query) if t in self._vocab]
            if not wanted:
                return []
            ids, scores = self._bm25.retrieve([wanted], k=k, show_progress=False, n_threads=1)
            pairs = list(zip(ids[0].tolist(), scores[0].tolist(), strict=True))
        hits: list[Passage] = []
        for rank, (idx, score) in enumerate(pairs, start=1):
            if score <= 0:
                break
            hits.append(self._passages[int(idx)].model_copy(update={"score": float(score), "rank": rank}))
        return hits

    def ask(
        self,
        question: str,
        history: Any = None,
        *,
        top_k: int | None = None,
        llm: str | None = None,
        mode: str | None = None,
        filters: Any = None,
    ) -> Answer:
        """The naive answer: the best-overlapping sentence of the top three passages, or abstain."""
        started = time.perf_counter()
        passages = self.search(question, k=top_k or self.top_k)
        retrieved = time.perf_counter()
        answer = naive_answer(question, passages)
        done = time.perf_counter()
        answer.timings = Timings(
            retrieve_ms=(retrieved - started) * 1000,
            generate_ms=(done - retrieved) * 1000,
            total_ms=(done - started) * 1000,
        )
        return answer


def naive_answer(question: str, passages: Sequence[Passage]) -> Answer:
    """Pick the sentence (top three passages) with the most distinct question terms; ties go to the earlier."""
    asked = set(terms(question))
    best: tuple[int, int, int, int] | None = None  # (overlap, passage index, start, end)
    for i, passage in enumerate(passages[:NAIVE_PASSAGES]):
        for span in split_sentences(passage.text):
            overlap = len(asked & set(terms(span.text)))
            if overlap and (best is None or overlap > best[0]):
                best = (overlap, i, span.start, span.end)
    if best is None:
        return Answer(question=question, answer="", passages=list(passages), abstained=True, backend="bm25-naive")
    _, i, start, end = best
    passage = passages[i]
    quote = passage.text[start:end]
    citation = citation_of(i + 1, passage, start, end)
    return Answer(
        question=question,
        answer=f"{quote} [{i + 1}]",
        citations=[citation],
        passages=list(passages),
        backend="bm25-naive",
    )


def chunk_document(doc: Document, max_words: int) -> list[Passage]:
    """Whole sentences packed into chunks of at most `max_words` words (a long sentence stands alone)."""
    doc_id = doc.id or doc.title or "doc"
    groups: list[list[tuple[int, int]]] = [[]]
    size = 0
    for span in split_sentences(doc.text):
        n = len(span.text.split())
        if groups[-1] and size + n > max_words:
            groups.append([])
            size = 0
        groups[-1].append((span.start, span.end))
        size += n
    passages = []
    for ordinal, group in enumerate(g for g in groups if g):
        start, end = group[0][0], group[-1][1]
        passages.append(
            Passage(
                chunk_id=f"{doc_id}#{ordinal}",
                doc_id=doc_id,
                text=doc.text[start:end],
                start=start,
                end=end,
                title=doc.title,
                source=doc.source,
                url=doc.url,
                date=doc.date,
            )
        )
    return passages


def documents_from(items: Iterable[str | Path | Document]) -> list[Document]:
    """The documents `RAG.add` would index: the same loaders (so the same ids) and the same cleaning."""
    from rag.ingest.clean import clean_text
    from rag.ingest.loaders import iter_documents

    given = [item for item in items if isinstance(item, Document)]
    paths = [item for item in items if not isinstance(item, Document)]
    loaded = [doc for doc in iter_documents(paths) if isinstance(doc, Document)]  # problems: ingest reports them
    return [doc.model_copy(update={"text": clean_text(doc.text)}) for doc in [*given, *loaded]]


def overlap_count(question: str, sentence: str) -> int:
    """Distinct content terms shared by the question and a sentence (exposed for tests)."""
    return len(set(terms(question)) & set(terms(sentence)))


__all__ = ["BM25Baseline", "chunk_document", "documents_from", "naive_answer", "overlap_count"]
