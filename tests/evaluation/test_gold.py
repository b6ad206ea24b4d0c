from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.evaluation.gold import GoldError, load_gold, load_gold_files


def write(tmp_path: Path, lines: list[str], name: str = "dev.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "q1", "question": "How many berths?", "answers": ["four"], "sources": ["ports"]})


def test_loads_items_with_defaults_and_split_from_file_stem(tmp_path: Path) -> None:
    other = json.dumps({
        "id": "q2", "question": "And then?", "answers": [], "answerable": False, "type": "follow-up",
        "history": [{"role": "user", "content": "How many berths?"}, {"role": "assistant", "content": "Four."}],
        "split": "extra", "note": "ignored",
    })
    items = load_gold(write(tmp_path, [GOOD, "", other]))
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].answerable and items[0].split == "dev" and items[0].sources == ["ports"]
    assert items[1].split == "extra" and items[1].history[1].role == "assistant"


@pytest.mark.parametrize(("bad", "message"), [
    ("{not json", "line 2: bad JSON"),
    (json.dumps({"id": "q9", "answers": ["x"]}), "line 2: missing field `question`"),
    (json.dumps({"id": "q9", "question": "Q?", "answers": []}), "line 2: `answers` is empty"),
    (json.dumps({"id": "q9", "question": "Q?", "answers": "x"}), "line 2: field `answers`"),
    (json.dumps({"id": "q1", "question": "Q?", "answers": ["x"]}), "line 2: duplicate id 'q1' (first on line 1)"),
    ("[1, 2]", "line 2: expected a JSON object"),
])
def test_errors_name_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    path = write(tmp_path, [GOOD, bad])
    with pytest.raises(GoldError) as info:
        load_gold(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="cannot read gold file"):
        load_gold(tmp_path / "absent.jsonl")
    with pytest.raises(GoldError, match="no questions"):
        load_gold(write(tmp_path, [""]))


def test_ids_unique_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, [GOOD], "a.jsonl")
    b = write(tmp_path, [GOOD], "b.jsonl")
    with pytest.raises(GoldError, match="also used in"):
        load_gold_files([a, b])
