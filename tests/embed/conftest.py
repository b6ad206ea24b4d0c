"""Tiny real models built inside the tests: a WordPiece tokenizer, a 2-layer BERT, random weights."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # before huggingface_hub is imported anywhere: tests never download
os.environ["TRANSFORMERS_OFFLINE"] = "1"

SENTENCES = [
    "The central bank raised interest rates to slow inflation.",
    "Investors sold shares after the company reported lower profits.",
    "The team won the final match in extra time.",
    "Heavy rain flooded streets and closed schools across the region.",
    "Researchers trained a small model to read questions and find answers.",
    "The city council approved a new budget for public transport.",
]


def _tokenizer(folder: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    raw = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    raw.normalizer = normalizers.BertNormalizer(lowercase=True)
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    raw.train_from_iterator(SENTENCES * 3, trainers.WordPieceTrainer(vocab_size=200, special_tokens=special))
    cls, sep = raw.token_to_id("[CLS]"), raw.token_to_id("[SEP]")
    raw.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    raw.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=128,
    )  # fmt: skip
    tokenizer.save_pretrained(folder)
    return tokenizer


def _bert_config(vocab_size: int, **extra: object):  # type: ignore[no-untyped-def]
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, **extra,
    )  # fmt: skip


@pytest.fixture(scope="session")
def tiny_st_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved SentenceTransformer folder (mean pooling over a random 32-d BERT)."""
    pytest.importorskip("sentence_transformers")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertModel

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-st")
    bert_dir = root / "bert"
    tokenizer = _tokenizer(bert_dir)
    BertModel(_bert_config(len(tokenizer))).save_pretrained(bert_dir)
    model = SentenceTransformer(modules=[Transformer(str(bert_dir)), Pooling(32, "mean")], device="cpu")
    target = root / "tiny-minilm"
    model.save(str(target))
    return target


@pytest.fixture(scope="session")
def tiny_e5_model(tiny_st_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model in a folder named like an e5 model, so prompts are chosen automatically."""
    import shutil

    target = tmp_path_factory.mktemp("tiny-e5") / "tiny-e5-small"
    shutil.copytree(tiny_st_model, target)
    return target


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved BertForSequenceClassification with one label: what CrossEncoder loads."""
    pytest.importorskip("sentence_transformers")
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(1)
    target = tmp_path_factory.mktemp("tiny-ce") / "tiny-cross-encoder"
    tokenizer = _tokenizer(target)
    BertForSequenceClassification(_bert_config(len(tokenizer), num_labels=1)).save_pretrained(target)
    return target
