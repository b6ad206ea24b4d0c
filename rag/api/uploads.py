"""Uploaded files: checked by type and size, saved under sanitised names in a private temp dir.

Nothing a client names ever becomes a path outside that directory: names are reduced to a safe
basename, and the resolved path is checked to be inside the directory before anything is written.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

from starlette.datastructures import UploadFile

from rag.api.errors import ApiError

log = logging.getLogger(__name__)

UPLOAD_PREFIX = "rag-upload-"
_LEGACY_MAX_AGE = 3600  # seconds; folders named without a process id are removed once this old
ALLOWED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_COPY_BLOCK = 1 << 20


def check_doc_id(doc_id: str) -> None:
    """Reject ids that look like an attempt to reach outside a folder (ids may contain '/')."""
    if not doc_id or "\x00" in doc_id:
        raise ApiError(400, "document id is empty or contains a NUL byte", type="invalid_document_id")
    parts = re.split(r"[\\/]", doc_id)
    if doc_id.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", doc_id) or ".." in parts:
        raise ApiError(
            400,
            f"document id {doc_id!r} is an absolute path or contains '..'; ids are relative names",
            type="invalid_document_id",
        )


def safe_name(filename: str | None, taken: set[str]) -> str:
    """A basename of letters, digits, '.', '_' and '-', not hidden, unique within `taken`."""
    raw = (filename or "").replace("\x00", "")
    base = PureWindowsPath(PurePosixPath(raw).name).name  # drop folders in either convention
    name = _UNSAFE.sub("_", base).lstrip(".")[-120:] or "upload"
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    taken.add(candidate)
    return candidate


def check_type(upload: UploadFile) -> None:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ApiError(
            415,
            f"{upload.filename!r}: {suffix or 'no'} extension is not supported; upload one of {', '.join(ALLOWED_SUFFIXES)}",
            type="unsupported_media_type",
            details={"allowed": list(ALLOWED_SUFFIXES)},
        )


async def save_upload(upload: UploadFile, folder: Path, name: str, limit: int) -> Path:
    """Copy `upload` to folder/name, stopping with 413 as soon as it passes `limit` bytes."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise ApiError(400, f"unsafe upload name {upload.filename!r}", type="invalid_filename")
    written = 0
    with target.open("xb") as out:
        while block := await upload.read(_COPY_BLOCK):
            written += len(block)
            if written > limit:
                raise ApiError(
                    413,
                    f"{upload.filename!r} is larger than {limit} bytes (server.max_upload_bytes)",
                    type="payload_too_large",
                    details={"limit": limit, "setting": "max_upload_bytes"},
                )
            out.write(block)
    return target


def upload_dir() -> tempfile.TemporaryDirectory[str]:
    """A private folder for one request's files, named after this process so a restart can tell it is stale."""
    return tempfile.TemporaryDirectory(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-")


def remove_stale_upload_dirs(root: Path | None = None) -> list[Path]:
    """Delete upload folders whose server process is gone (killed mid-upload); return them.

    Folders of live processes (other workers of this server, other servers) are left alone.
    """
    root = Path(root or tempfile.gettempdir())
    removed = []
    for entry in root.glob(f"{UPLOAD_PREFIX}*"):
        if entry.is_dir() and _is_stale(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    if removed:
        log.warning("removed %d upload folder(s) left by a server that stopped mid-upload", len(removed))
    return removed


def _is_stale(folder: Path) -> bool:
    pid = folder.name[len(UPLOAD_PREFIX) :].split("-", 1)[0]
    if not pid.isdigit():
        try:
            return time.time() - folder.stat().st_mtime > _LEGACY_MAX_AGE
        except OSError:
            return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False  # alive, but another user's; or a name that only looks like ours
    return False
