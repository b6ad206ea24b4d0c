"""Gold sets as JSON Lines: one question per line, errors that name the file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.errors import RagError
from rag.llm.base import Message


class GoldError(RagError):
    """A gold file cannot be used; the message names the file and line."""


class GoldItem(BaseModel):
    """One gold question: what to ask, what counts as right, and where the answer lives."""

    # Unknown keys are ignored so a gold file may carry notes for humans.
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list, description="acceptable short answers")
    answerable: bool = True
    sources: list[str] = Field(default_factory=list, description="doc ids that hold the answer")
    type: str | None = None
    history: list[Message] = Field(default_factory=list, description="earlier chat turns")
    split: str | None = None


def load_gold(path: str | Path, *, default_split: str | None = None) -> list[GoldItem]:
    """Read a JSON Lines gold file; `split` defaults to `default_split`, else the file stem.

    Raises GoldError for bad JSON, missing or mistyped fields, an answerable item without
    answers, or a duplicate id, naming the file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GoldError(f"cannot read gold file {path}: {exc.strerror or exc}") from exc
    split = default_split or path.stem
    items: list[GoldItem] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(path, number, line)
        if item.split is None:
            item = item.model_copy(update={"split": split})
        if item.id in first_line:
            raise GoldError(f"{path}: line {number}: duplicate id {item.id!r} (first on line {first_line[item.id]})")
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise GoldError(f"{path}: no questions (the file is empty)")
    return items


def load_gold_files(paths: Iterable[str | Path]) -> list[GoldItem]:
    """Load several gold files; ids must be unique across all of them."""
    items: list[GoldItem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for item in load_gold(path):
            if item.id in seen:
                raise GoldError(f"{path}: id {item.id!r} is also used in {seen[item.id]}; ids must be unique")
            seen[item.id] = Path(path)
            items.append(item)
    return items


def _parse_line(path: Path, number: int, line: str) -> GoldItem:
    where = f"{path}: line {number}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldError(f"{where}: bad JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise GoldError(f"{where}: expected a JSON object, got {type(raw).__name__}")
    try:
        item = GoldItem.model_validate(raw)
    except ValidationError as exc:
        raise GoldError(f"{where}: {_describe(exc)}") from None
    if item.answerable and not [a for a in item.answers if a.strip()]:
        raise GoldError(
            f"{where}: `answers` is empty for answerable item {item.id!r}; add answers or set answerable=false"
        )
    return item


def _describe(exc: ValidationError) -> str:
    """The first validation problem in words: "missing field `question`"."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "(item)"
    if error["type"] == "missing":
        return f"missing field `{field}`"
    return f"field `{field}`: {error['msg']}"
