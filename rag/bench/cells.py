"""Cells of the benchmark table: formatted values, ratios and target checks."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str]  # section/figure, value, baseline, ratio, target check


def cell_get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ms(x: Any) -> str:
    return "-" if x is None else f"{x:.3f} ms"


def ratio(a: Any, b: Any) -> str:
    return "-" if not a or not b else f"{a / b:.2f}x"


def check(ok: bool | None, target: str) -> str:
    return "" if ok is None else f"{'PASS' if ok else 'MISS'} ({target})"
