"""The transformers backend with a tiny random-weight Llama built and saved inside the test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm import get_llm
from rag.llm.base import Delta, GenerationRequest, Message
from rag.llm.transformers_backend import TransformersLLM, fallback_prompt
from rag.testing.llm_suite import LLMBackendContract

pytest.importorskip("torch")
pytest.importorskip("transformers")

WORDS = ("the capital of france is paris berlin is in germany rome lies in italy answer from passages "
         "question what which city river seine flows through").split()
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {{ eos_token }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def _save_tiny_model(folder: Path, *, chat_template: str | None) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.train_from_iterator([" ".join(WORDS)] * 3, trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>",
    )
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save_tiny_model(tmp_path_factory.mktemp("tiny-llama"), chat_template=CHAT_TEMPLATE)


@pytest.fixture(scope="session")
def tiny_llm(tiny_model: Path) -> TransformersLLM:
    llm = TransformersLLM(Settings(llm={"backend": "transformers", "model": str(tiny_model)}), device="cpu")
    llm.warm_up()
    return llm


def _request(max_tokens: int = 12, temperature: float = 0.0) -> GenerationRequest:
    messages = [Message(role="system", content="answer from passages"),
                Message(role="user", content="what is the capital of france")]
    return GenerationRequest("what is the capital of france", [], messages, max_tokens=max_tokens,
                             temperature=temperature)


def test_streams_several_pieces_and_counts_usage(tiny_llm: TransformersLLM):
    deltas = list(tiny_llm.stream(_request(max_tokens=12)))
    texts = [d.text for d in deltas if d.text]
    assert len(texts) >= 2
    assert all(isinstance(t, str) for t in texts)
    usage = deltas[-1].usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert 0 < usage.completion_tokens <= 12


def test_greedy_decoding_is_repeatable(tiny_llm: TransformersLLM):
    assert tiny_llm.generate(_request())[0] == tiny_llm.generate(_request())[0]


def test_sampling_respects_max_tokens(tiny_llm: TransformersLLM):
    _, usage = tiny_llm.generate(_request(max_tokens=5, temperature=1.0))
    assert usage.completion_tokens <= 5


def test_stopping_early_leaves_the_backend_usable(tiny_llm: TransformersLLM):
    stream = tiny_llm.stream(_request(max_tokens=50))
    assert isinstance(next(stream), Delta)
    stream.close()  # the consumer walked away: generation stops, the worker thread ends
    assert tiny_llm.generate(_request(max_tokens=3))[1].completion_tokens <= 3


def test_registry_builds_it_by_name(tiny_model: Path):
    llm = get_llm("transformers", Settings(llm={"backend": "transformers", "model": str(tiny_model)}))
    assert isinstance(llm, TransformersLLM)


def test_tokenizer_without_chat_template_uses_the_fallback(tmp_path: Path):
    folder = _save_tiny_model(tmp_path / "plain", chat_template=None)
    llm = TransformersLLM(Settings(llm={"backend": "transformers", "model": str(folder)}), device="cpu")
    _, usage = llm.generate(_request(max_tokens=4))
    assert 0 < usage.completion_tokens <= 4
    assert fallback_prompt(_request().messages) == (
        "System: answer from passages\n\nUser: what is the capital of france\n\nAssistant:"
    )


def test_missing_folder_is_named(tmp_path: Path):
    missing = tmp_path / "no-model-here"
    with pytest.raises(ConfigError, match="no-model-here"):
        TransformersLLM(Settings(llm={"backend": "transformers", "model": str(missing)}))
    with pytest.raises(ConfigError, match="RAG_LLM__MODEL"):
        TransformersLLM(Settings(llm={"backend": "transformers"}))


def test_a_folder_without_a_model_is_a_config_error(tmp_path: Path):
    llm = TransformersLLM(Settings(llm={"backend": "transformers", "model": str(tmp_path)}))
    with pytest.raises(ConfigError, match="save_pretrained"):
        llm.warm_up()


def test_missing_extra_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    llm = TransformersLLM(Settings(llm={"backend": "transformers", "model": str(tmp_path)}))
    with pytest.raises(ConfigError, match=r"pip install 'rag\[transformers\]'"):
        llm.warm_up()


class TestContract(LLMBackendContract):
    """The shared backend contract, on the tiny random-weight model."""

    @pytest.fixture
    def backend(self, tiny_llm: TransformersLLM) -> TransformersLLM:
        return tiny_llm
