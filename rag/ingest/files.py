"""Which files an ingest reads: folders walked in sorted order (hidden entries skipped), globs
expanded, include/exclude patterns applied, and a count for progress bars before any reading."""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, slots=True)
class IngestProblem:
    """One input that produced no document: where it is and what to do about it.

    For a JSONL line, `line` is its number and the message starts with "line N:".
    """

    path: str
    message: str
    status: Literal["error", "skipped"] = "error"
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def count_files(paths: Iterable[str | Path], select: Callable[[str], bool] | None = None) -> int:
    """How many files `iter_documents` will read (listing folders only: cheap, for a progress total)."""
    return sum(1 for path, _ in input_files(paths, select) if not isinstance(path, IngestProblem))


def expand_globs(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Paths with shell-style patterns ("corpus/*.txt", quoted so the shell left them) expanded, in
    sorted order; returns (existing paths, the inputs that name nothing) so callers can say which."""
    found: list[Path] = []
    missing: list[str] = []
    for given in paths:
        text = str(given)
        if glob.has_magic(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            found.extend(Path(m) for m in matches)
            if not matches:
                missing.append(text)
        elif Path(text).expanduser().exists():
            found.append(Path(text).expanduser())
        else:
            missing.append(text)
    return found, missing


def path_filter(include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Callable[[str], bool] | None:
    """A `select` for glob patterns, matched against a file's relative path and against its name:
    kept when it matches some `include` (or none are given) and no `exclude`."""
    if not include and not exclude:
        return None

    def matches(rel: str, patterns: Sequence[str]) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)

    return lambda rel: (not include or matches(rel, include)) and not matches(rel, exclude)


def input_files(
    paths: Iterable[str | Path], select: Callable[[str], bool] | None
) -> Iterator[tuple[Path | IngestProblem, str]]:
    for given in paths:
        root = Path(given).expanduser()  # "~/articles" from Python, as a shell would
        if root.is_dir():
            for path in _walk(root):
                if isinstance(path, IngestProblem):
                    yield path, path.path
                    continue
                rel = path.relative_to(root).as_posix()
                if select is None or select(rel):
                    yield path, rel
        elif root.exists():
            yield root, root.name
        else:
            yield IngestProblem(str(given), "no such file or folder; check the path"), str(given)


def _walk(folder: Path) -> Iterator[Path | IngestProblem]:
    try:
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        yield IngestProblem(str(folder), f"cannot list this folder ({exc.strerror or exc}); check its permissions")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        else:
            yield entry
