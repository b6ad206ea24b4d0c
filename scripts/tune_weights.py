"""Choose hybrid fusion and focus weights for one embedder on a tuning split; report on held-out data.

Tuning split: SQuAD v1.1 dev questions of the first half of its titles, plus eval/gold/dev.jsonl
over the bundled sample corpus. Held out: the other titles, plus eval/gold/test.jsonl. Each
question's store lookups (query vector, dense and BM25 lists, chunk texts, term IDF) are made
once and cached, then every weight setting replays rag's own `Retriever` on them, so what is
measured is exactly what `RAG.search` would return. Usage:

    python scripts/tune_weights.py --embedder sentence-transformers:all-MiniLM-L6-v2 [--every 1]

The chosen weights go into `rag/retrieve/weights.py`.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag import RAG
from rag.config import Settings
from rag.engine import sample_corpus_dir
from rag.evaluation.gold import GoldItem, load_gold
from rag.evaluation.squad import DEFAULT_SQUAD, load_squad
from rag.retrieve import Retriever

DENSE = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FOCUS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


class CachedStore:
    """The store calls a search makes, answered once per distinct argument."""

    def __init__(self, store: Any) -> None:
        self._store, self._memo, self._chunks, self._texts = store, {}, {}, {}

    def _cached(self, key: tuple, compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def dense_search(self, vectors: np.ndarray, k: int, allowed: Any = None) -> Any:
        return self._cached(("d", vectors.tobytes(), k), lambda: self._store.dense_search(vectors, k, allowed))

    def lexical_search(self, query: str, k: int, allowed: Any = None) -> Any:
        return self._cached(("l", query, k), lambda: self._store.lexical_search(query, k, allowed))

    def term_idf(self, words: list[str]) -> Any:
        return self._cached(("i", tuple(words)), lambda: self._store.term_idf(words))

    def chunks(self, ids: list[int]) -> list:
        missing = [i for i in ids if i not in self._chunks]
        self._chunks.update((c.id, c) for c in self._store.chunks(missing))
        return [self._chunks[i] for i in ids if i in self._chunks]

    def chunk_texts(self, ids: list[int]) -> list:
        missing = [i for i in ids if i not in self._texts]
        self._texts.update((c.id, c) for c in self._store.chunk_texts(missing))
        return [self._texts[i] for i in ids if i in self._texts]

    def allowed_ids(self, filters: Any) -> None:
        return None


class CachedEmbedder:
    def __init__(self, embedder: Any) -> None:
        self._embedder, self._memo = embedder, {}
        self.id, self.dimension = embedder.id, embedder.dimension

    def prefill(self, texts: list[str]) -> None:
        """Embed many queries in batches up front (a model embedder is far faster that way)."""
        batch = getattr(self._embedder, "embed_queries", None)
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if batch is not None and todo:
            self._memo.update(zip(todo, batch(todo)))

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._memo:
            self._memo[text] = self._embedder.embed_query(text)
        return self._memo[text]


def recall(retriever: Retriever, items: list[GoldItem]) -> tuple[float, float]:
    """(R@1, R@5): a passage of a source document among the first 1 / 5."""
    hits1 = hits5 = 0
    for item in items:
        sources = {Path(s).name for s in item.sources}
        found = [Path(p.doc_id).name in sources for p in retriever.search(item.question, 5)]
        hits1 += any(found[:1])
        hits5 += any(found)
    return hits1 / len(items), hits5 / len(items)


def open_index(settings: Settings, folder: Path, inputs: list) -> tuple[RAG, float]:
    rag = RAG.open(folder, settings=settings)
    seconds = 0.0
    if rag.stats().documents == 0:
        started = time.perf_counter()
        rag.add(inputs)
        seconds = time.perf_counter() - started
    return rag, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--work-dir", type=Path, default=None, help="keeps the indexes between runs")
    parser.add_argument("--every", type=int, default=1, help="use every Nth SQuAD question")
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="rag-weights-"))
    settings = Settings().model_copy(update={"embedder": Settings().embedder.model_copy(update={"name": args.embedder})})
    documents, squad = load_squad(args.squad)
    squad = [g for i, g in enumerate(squad) if i % args.every == 0]
    titles = list(dict.fromkeys(g.sources[0].rsplit("/", 1)[0] for g in squad))
    tune_titles = set(titles[: len(titles) // 2])
    tag = args.embedder.replace("/", "_").replace(":", "_")
    squad_rag, squad_s = open_index(settings, work / f"squad-{tag}", documents)
    sample_rag, _ = open_index(settings, work / f"sample-{tag}", [sample_corpus_dir()])
    print(f"{args.embedder}: SQuAD index {squad_s:.1f} s ({len(documents)} paragraphs)" if squad_s else "reused indexes")
    sets = {
        "squad-tune": (squad_rag, [g for g in squad if g.sources[0].rsplit("/", 1)[0] in tune_titles]),
        "gold-dev": (sample_rag, load_gold("eval/gold/dev.jsonl")),
        "squad-held-out": (squad_rag, [g for g in squad if g.sources[0].rsplit("/", 1)[0] not in tune_titles]),
        "gold-test": (sample_rag, load_gold("eval/gold/test.jsonl")),
    }
    sets = {name: (rag, [g for g in items if g.answerable and g.sources]) for name, (rag, items) in sets.items()}
    cached = {id(rag): (CachedStore(rag.store), CachedEmbedder(rag.embedder)) for rag, _ in sets.values()}
    for rag, items in sets.values():
        cached[id(rag)][1].prefill([g.question for g in items])
    rows = []
    for dense, focus in itertools.product(DENSE, FOCUS):
        update = {"dense_weight": dense, "lexical_weight": round(1 - dense, 2), "focus_weight": focus}
        row = {"dense": dense, "focus": focus}
        for name, (rag, items) in sets.items():
            store, embedder = cached[id(rag)]
            retriever = Retriever(store, embedder, rag.settings.retrieval.model_copy(update=update))
            row[name] = recall(retriever, items)
        rows.append(row)
        cells = "  ".join(f"{n} {r1:.3f}/{r5:.3f}" for n, (r1, r5) in ((n, row[n]) for n in sets))
        print(f"dense {dense:.1f} focus {focus:.1f}  {cells}", flush=True)
    # Objective on the tuning sets only: mean of R@1 and R@5, SQuAD and gold weighed alike.
    best = max(rows, key=lambda r: sum(sum(r[n]) for n in ("squad-tune", "gold-dev")))
    print(f"\nchosen: dense {best['dense']} lexical {round(1 - best['dense'], 2)} focus {best['focus']}")
    for name in sets:
        print(f"  {name}: R@1 {best[name][0]:.3f}  R@5 {best[name][1]:.3f}")


if __name__ == "__main__":
    main()
