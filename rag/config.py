"""One `Settings` object for the whole library: `RAG_` environment variables, an optional TOML file.

Nested groups use `__` in environment names (`RAG_RETRIEVAL__MODE=dense`); the file is read from
`RAG_CONFIG` or `./rag.toml` when present. Settings are frozen: build a new one to change them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

RetrievalMode = Literal["dense", "lexical", "hybrid"]
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)  # the one list of modes; everything else reads it


def _empty_list() -> list:
    # Not `list`: pydantic reads a default factory's signature, and the first signature of a
    # builtin (parsed from its text signature) costs ~7 ms of every command's start.
    return []


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChunkingSettings(_Group):
    # 384 exact cl100k tokens are the 512 that won on the gold dev set when counts were an
    # estimate ~1.33x high; with exact counts 512 cost 3 points of STR-EM there (87.1 -> 83.9).
    size: int = Field(384, ge=16, le=8192, description="chunk size in tokens (384 won on the gold dev set: see README)")
    overlap: int = Field(32, ge=0, description="tokens shared by neighbouring chunks")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens")
    encoding_file: Path | None = Field(None, description="local .tiktoken ranks file for `encoding`")


class IngestSettings(_Group):
    workers: int | None = Field(
        None,
        ge=1,
        description="processes that clean, chunk and embed large batches (1: in-process); min(CPUs, 4) when unset",
    )
    lock_timeout: float = Field(
        30.0,
        ge=0,
        description="seconds a write waits while another process writes the same index, then fails",
    )


class EmbedderSettings(_Group):
    name: str = Field("hashing", description="'hashing' or 'sentence-transformers:<name or path>'")
    batch_size: int = Field(64, ge=1)
    device: str | None = Field(None, description="torch device for model embedders; auto when unset")
    query_prompt: str | None = Field(None, description="prefix for queries (e5/bge style), auto when unset")
    document_prompt: str | None = Field(None, description="prefix for documents, auto when unset")
    quantize: Literal["none", "int8", "bf16"] = Field(
        "none",
        description="model embedders on CPU: int8 dynamic quantisation of the Linear layers, or bfloat16"
        " weights (torch backend only; fast where the CPU has bf16 instructions); changes vectors",
    )
    backend: Literal["auto", "torch", "onnx"] = Field(
        "auto",
        description="model embedders: run by torch, or exported once to ONNX and run by ONNX Runtime"
        " (pip install 'rag[onnx]'; Transformer + mean pooling models); auto: ONNX Runtime for an unquantised"
        " packaged model (all-MiniLM-L6-v2) when rag[onnx] is installed, else torch",
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads for batches of texts; a single query always uses one; all cores when unset",
    )


class RetrievalSettings(_Group):
    mode: RetrievalMode = "hybrid"
    top_k: int = Field(5, ge=1, le=100)
    candidates: int = Field(50, ge=1, description="hits taken from each retriever before fusion")
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="hybrid fusion: weighted sum of max-normalised scores, or reciprocal rank fusion"
    )
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    # The three weights default to the values tuned for the index's embedder (rag.retrieve.weights).
    dense_weight: float | None = Field(
        None, ge=0, description="share of the dense score in hybrid fusion; tuned per embedder when unset"
    )
    lexical_weight: float | None = Field(
        None, ge=0, description="share of the BM25 score in hybrid fusion; tuned per embedder when unset"
    )
    focus_weight: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of best-sentence query coverage in the final score (0: off); tuned per embedder when unset",
    )
    focus_depth: int = Field(30, ge=1, description="fused candidates re-scored by sentence focus")
    max_per_document: int = Field(2, ge=1, description="passages of one document in a result list")
    duplicate_threshold: float = Field(
        0.8, gt=0, le=1, description="word-shingle overlap above which a passage counts as a copy"
    )
    reranker: str | None = Field(None, description="sentence-transformers CrossEncoder name or path; off when unset")
    omp_threads: int | None = Field(None, ge=1, description="FAISS OpenMP threads; measured default when unset")


class LLMSettings(_Group):
    backend: str = Field("extractive", description="extractive | openai | transformers | a registered name")
    model: str = Field("", description="model name (openai) or local path (transformers)")
    base_url: str = "https://api.openai.com/v1"
    api_key: SecretStr | None = None
    timeout: float = Field(60.0, gt=0, description="seconds per request")
    max_retries: int = Field(2, ge=0)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, description="tokens reserved for the answer")
    context_window: int = Field(8192, ge=256, description="model context in tokens, prompt and answer together")
    fallback: str | None = Field(None, description="backend used when this one fails, e.g. 'extractive'")
    prompts_dir: Path | None = Field(None, description="folder of Jinja2 templates overriding the bundled ones")


class AnswerSettings(_Group):
    max_sentences: int = Field(3, ge=1, le=10)
    abstain: bool = Field(True, description="abstain when retrieval does not support an answer (off: always try)")
    abstain_threshold: float = Field(0.0, ge=0, description="minimum support score below which rag abstains")
    attribution_threshold: float = Field(
        0.65,
        ge=0,
        le=1,
        description="an LLM sentence without [n] is cited to the passage sentence covering this share of its"
        " content words and all its figures (0: never; see rag/answer/attribution.py)",
    )


class StoreSettings(_Group):
    url: SecretStr = Field(
        SecretStr(""),
        description="empty: the index folder (index_dir); postgresql://user:pass@host/db: PostgreSQL + pgvector",
    )
    name: str = Field("default", pattern=r"^[a-z][a-z0-9_]{0,39}$", description="index name inside the database")
    pool_min: int = Field(1, ge=0, description="PostgreSQL connections kept open per process")
    pool_max: int = Field(8, ge=1, description="most PostgreSQL connections one process opens")
    connect_timeout: float = Field(
        5.0, gt=0, description="seconds to wait for PostgreSQL (connect or a free pooled connection)"
    )
    dense_index: Literal["auto", "hnsw", "flat"] = Field(
        "auto",
        description="PostgreSQL vector search: HNSW, exact, or auto (HNSW for model embedders, exact for hashing)",
    )
    ef_search: int = Field(128, ge=1, le=1000, description="pgvector hnsw.ef_search (recall vs speed)")

    @property
    def is_postgres(self) -> bool:
        return self.url.get_secret_value().strip().split("://", 1)[0].lower() in ("postgresql", "postgres")


class ServerSettings(_Group):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = Field(
        None,
        ge=1,
        description="worker processes; the number of CPU cores when unset (1 with a local transformers model)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=_empty_list)
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    max_question_chars: int = 4000
    max_top_k: int = 50
    max_messages: int = 50

    _split = field_validator("cors_origins", mode="before")(lambda cls, v: _split_commas(v))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    index_dir: Path = Path("index/default")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=_empty_list, description="bearer keys for the HTTP API (RAG_API_KEYS, comma-separated)"
    )
    chunking: ChunkingSettings = ChunkingSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    store: StoreSettings = StoreSettings()

    _split = field_validator("api_keys", mode="before")(lambda cls, v: _split_commas(v))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _config_file() -> Path | None:
    named = os.environ.get("RAG_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            from rag.errors import ConfigError

            raise ConfigError(f"RAG_CONFIG names {path}, which is not a file; unset it or point it at a TOML file")
        return path
    local = Path("rag.toml")
    return local if local.is_file() else None
