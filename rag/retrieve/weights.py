"""Hybrid fusion and focus weights chosen per embedder, derived from the embedder id.

A model embedder ranks by meaning far better than the hashing embedder, so it deserves a larger
share of the fused score; one set of weights cannot suit both. The weights come from the
embedder id that the index manifest stores, so an index always searches with the weights its
embedder was tuned with. Settings given explicitly (RAG_RETRIEVAL__DENSE_WEIGHT, ...) win.
Chosen by scripts/tune_weights.py on SQuAD v1.1 dev (first half of its titles) plus
eval/gold/dev.jsonl; reported on the other half plus eval/gold/test.jsonl (README, Performance).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.config import RetrievalSettings


@dataclass(frozen=True)
class FusionWeights:
    dense: float
    lexical: float
    focus: float


HASHING = FusionWeights(dense=0.2, lexical=0.8, focus=0.7)
MINILM = FusionWeights(dense=0.6, lexical=0.4, focus=0.5)
# Models without their own entry: MiniLM's weights, the nearest measured case (a trained model).
MODEL_DEFAULT = MINILM
_BY_MODEL = {"all-minilm-l6-v2": MINILM}


def tuned_weights(embedder_id: str) -> FusionWeights:
    """The weights tuned for the embedder `embedder_id` names (prompts and paths ignored)."""
    if embedder_id.startswith("hashing"):
        return HASHING
    model = embedder_id.split(";", 1)[0].partition(":")[2].rstrip("/").rsplit("/", 1)[-1].lower()
    return _BY_MODEL.get(model, MODEL_DEFAULT)


def with_tuned_weights(settings: RetrievalSettings, embedder_id: str) -> RetrievalSettings:
    """`settings` with each weight left unset filled in from `tuned_weights(embedder_id)`."""
    tuned = tuned_weights(embedder_id)
    defaults = {"dense_weight": tuned.dense, "lexical_weight": tuned.lexical, "focus_weight": tuned.focus}
    update = {name: value for name, value in defaults.items() if getattr(settings, name) is None}
    return settings.model_copy(update=update) if update else settings


def resolved_weights(settings: RetrievalSettings, embedder_id: str) -> FusionWeights:
    """The weights a search uses: each one given in `settings`, else the one tuned for the embedder."""
    tuned = tuned_weights(embedder_id)
    return FusionWeights(
        dense=tuned.dense if settings.dense_weight is None else settings.dense_weight,
        lexical=tuned.lexical if settings.lexical_weight is None else settings.lexical_weight,
        focus=tuned.focus if settings.focus_weight is None else settings.focus_weight,
    )
