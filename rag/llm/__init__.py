"""LLM backends: the streaming contract, the registry, and the built-in backends (loaded lazily)."""

from rag.llm.base import Delta, GenerationRequest, LLMBackend, Message, StreamingLLM, Usage, generate
from rag.llm.registry import available_llms, get_llm, register_llm

__all__ = [
    "Delta",
    "GenerationRequest",
    "LLMBackend",
    "Message",
    "StreamingLLM",
    "Usage",
    "available_llms",
    "generate",
    "get_llm",
    "register_llm",
]
