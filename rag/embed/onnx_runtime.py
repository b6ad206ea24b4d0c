"""A SentenceTransformer model run by ONNX Runtime (`RAG_EMBEDDER__BACKEND=onnx`).

On two shared cores torch spends most of a short query in operator dispatch; ONNX Runtime runs the
same graph with less of it, and its int8 dynamic quantisation uses the CPU's integer dot-product
instructions (scripts/measure_model_speed.py measures both against torch in one run).

No ONNX file is downloaded: the transformer is exported here, once, from the model folder that
`resolve_model` gave (for a packaged model, the sha256-checked copy), and cached beside the
other unpacked models under a key made of the source weights' hash and the exporter's versions.
The export writes the sha256 of every file it made into `hashes.json`; each load checks them, so
a changed or truncated cached file is an error, never a silent load.
Only models made of a Transformer, mean Pooling and an optional Normalize are accepted (the
pooling is done here in numpy); anything else is a ConfigError naming the torch backend.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed.packaged import cache_root, file_sha256, require_sha256
from rag.errors import ConfigError

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_MODULES_OK = {"Transformer", "Pooling", "Normalize"}


def check_supported(folder: Path) -> int:
    """The model's max sequence length; a ConfigError when the folder's pipeline is not Transformer + mean pooling."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = {m["type"].rsplit(".", 1)[-1]: m.get("path", "") for m in modules}
        pooling = json.loads((folder / kinds.get("Pooling", "1_Pooling") / "config.json").read_text(encoding="utf-8"))
        max_length = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8")).get(
            "max_seq_length"
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"backend=onnx needs a saved sentence-transformers model folder ({folder}: {exc});"
            " use RAG_EMBEDDER__BACKEND=torch for this model"
        ) from exc
    extra = set(kinds) - _MODULES_OK
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if extra or "Transformer" not in kinds or not mean_only:
        raise ConfigError(
            f"backend=onnx runs Transformer + mean pooling models only; {folder.name} has"
            f" {sorted(kinds)} with pooling {pooling}; use RAG_EMBEDDER__BACKEND=torch"
        )
    return int(max_length or 512)


def exported_model(folder: Path, quantize: str) -> Path:
    """The checked ONNX file for the model in `folder` (exported and cached on first use)."""
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ConfigError(
            f"backend=onnx exports from model.safetensors, which {folder} lacks; use RAG_EMBEDDER__BACKEND=torch"
        )
    key = hashlib.sha256(
        f"{file_sha256(weights)} torch={_version('torch')} ort={_version('onnxruntime')} quantize={quantize}".encode()
    ).hexdigest()[:16]
    target = cache_root() / "onnx" / f"{folder.name}-{key}"
    if not target.is_dir():
        _export(folder, target, quantize)
    name = "model-int8.onnx" if quantize == "int8" else "model.onnx"
    _verify(target)
    return target / name


def _version(distribution: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _export(folder: Path, target: Path, quantize: str) -> None:
    # Export into a staging folder, then rename: a half-written export is never found by a later load.
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _export_files(folder, staging, quantize)
        hashes = {p.name: file_sha256(p) for p in sorted(staging.iterdir())}
        (staging / "hashes.json").write_text(json.dumps(hashes, indent=1), encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another process finished first; its copy is checked on load
                raise
    except ImportError as exc:
        raise ConfigError(f"backend=onnx needs onnx and onnxruntime ({exc}); pip install 'rag[onnx]'") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_files(folder: Path, out: Path, quantize: str) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)

    class Hidden(torch.nn.Module):  # positional inputs, one output: what the exporter traces
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["a b", "a longer sample text"], padding=True, return_tensors="pt")
    axes = {n: {0: "batch", 1: "tokens"} for n in (*_INPUTS, "hidden")}
    with torch.inference_mode():
        torch.onnx.export(
            Hidden(),
            tuple(sample[n] for n in _INPUTS),
            str(out / "model.onnx"),
            input_names=list(_INPUTS),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    if quantize == "int8":
        quantize_dynamic(str(out / "model.onnx"), str(out / "model-int8.onnx"), weight_type=QuantType.QInt8)


def _verify(target: Path) -> None:
    try:
        hashes = json.loads((target / "hashes.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{target} is an incomplete ONNX export ({exc}); delete it to export again") from exc
    for name, expected in hashes.items():
        require_sha256(
            target / name, expected, "the hash recorded when it was exported", f"Delete {target} to export it again"
        )


class OnnxEncoder:
    """Tokenise, run the exported transformer, mean-pool and L2-normalise; batches sorted by length."""

    def __init__(self, folder: Path, quantize: str, threads: int, batch_size: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        max_length = check_supported(folder)
        path = exported_model(folder, quantize)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding()
        self._batch = batch_size
        # One thread for single queries (no fork/join per operator), `threads` for batches.
        self._single = self._session(ort, path, 1)
        self._many = self._session(ort, path, threads) if threads > 1 else self._single
        self.dimension = int(self._single.get_outputs()[0].shape[-1])

    @staticmethod
    def _session(ort: Any, path: Path, threads: int) -> Any:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # A spinning pool waits on cores other processes hold: on a shared box that costs more than it saves.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        session = self._single if len(texts) == 1 else self._many
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        out = np.empty((len(texts), self.dimension), np.float32)
        for start in range(0, len(texts), self._batch):
            rows = order[start : start + self._batch]
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out
