"""SQuAD v1.1 as a retrieval benchmark: every paragraph a document, every question a gold item."""

from __future__ import annotations

import json
from pathlib import Path

from rag.evaluation.gold import GoldError, GoldItem
from rag.types import Document

# The shared checkout sits next to the repository (<root>/shared next to <root>/main): README's
# ../shared/bench/... from the repository root. `rag eval --squad default` and `rag bench` both use it.
DEFAULT_SQUAD = Path(__file__).resolve().parents[3] / "shared" / "bench" / "squad-v1.1" / "dev-v1.1.json"
SPLIT = "squad-dev"


def load_squad(path: str | Path, limit: int | None = None) -> tuple[list[Document], list[GoldItem]]:
    """Paragraphs as Documents (id "<title>/<paragraph index>") and questions as GoldItems.

    With `limit`, the first `limit` questions in file order are kept, and the documents are all
    paragraphs of the articles those questions come from (so retrieval still has distractors).
    """
    data = _read(Path(path))
    documents: list[Document] = []
    gold: list[GoldItem] = []
    for article in data:
        if limit is not None and len(gold) >= limit:
            break
        title = str(article["title"])
        for index, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{title}/{index}"
            documents.append(
                Document(id=doc_id, title=title.replace("_", " "), text=paragraph["context"], source=f"squad:{title}")
            )
            for qa in paragraph["qas"]:
                if limit is not None and len(gold) >= limit:
                    break
                gold.append(
                    GoldItem(
                        id=str(qa["id"]),
                        question=qa["question"],
                        answers=[a["text"] for a in qa["answers"]],
                        sources=[doc_id],
                        type="squad",
                        split=SPLIT,
                    )
                )
    return documents, gold


def _read(path: Path) -> list[dict]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GoldError(f"cannot read SQuAD file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise GoldError(f"{path}: not JSON ({exc.msg} on line {exc.lineno})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise GoldError(f"{path}: expected SQuAD v1.1 layout {{'version', 'data': [articles]}}")
    return raw["data"]
