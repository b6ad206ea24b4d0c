"""Choosing an LLM backend by name: built-ins, register_llm, and plugins through entry points."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm import StreamingLLM, available_llms, get_llm, register_llm
from rag.llm.base import Delta, GenerationRequest, generate
from rag.llm.openai_backend import OpenAILLM
from rag.llm.registry import unregister_llm


class EchoLLM(StreamingLLM):
    """Replies with the question; remembers the settings it was built from."""

    name = "echo"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def stream(self, request: GenerationRequest) -> Iterator[Delta]:
        yield Delta(text=request.question)


@pytest.fixture
def forget() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        unregister_llm(name)


def test_built_ins_are_listed():
    assert {"extractive", "openai", "transformers"} <= set(available_llms())


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ConfigError) as caught:
        get_llm("gpt-nine", Settings())
    message = str(caught.value)
    assert "'gpt-nine'" in message
    for name in ("extractive", "openai", "transformers"):
        assert name in message
    assert "RAG_LLM__BACKEND" in message


def test_name_defaults_to_the_configured_backend():
    settings = Settings(llm={"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1"})
    llm = get_llm(None, settings)
    assert isinstance(llm, OpenAILLM) and llm.model == "m"


def test_registered_factory_gets_the_full_settings(forget):
    register_llm("Echo", EchoLLM)
    forget.append("echo")
    settings = Settings()
    llm = get_llm(" echo ", settings)
    assert isinstance(llm, EchoLLM) and llm.settings is settings
    assert llm.generate(GenerationRequest("hi?", [], []))[0] == "hi?"
    assert "echo" in available_llms()


def test_registered_string_reference_is_imported_lazily(forget):
    register_llm("echo-ref", f"{__name__}:EchoLLM")
    forget.append("echo-ref")
    assert isinstance(get_llm("echo-ref", Settings()), EchoLLM)


def test_register_rejects_what_cannot_build_a_backend():
    with pytest.raises(ConfigError):
        register_llm("broken", "no-colon-here")
    with pytest.raises(ConfigError):
        register_llm("  ", EchoLLM)


def test_a_factory_that_builds_no_backend_is_reported(forget):
    register_llm("not-a-backend", lambda settings: object())
    forget.append("not-a-backend")
    with pytest.raises(ConfigError, match="LLMBackend"):
        get_llm("not-a-backend", Settings())


def test_a_missing_module_is_a_config_error(forget):
    register_llm("ghost", "rag_no_such_module_anywhere:Ghost")
    forget.append("ghost")
    with pytest.raises(ConfigError, match="rag_no_such_module_anywhere"):
        get_llm("ghost", Settings())


def test_plugins_are_found_through_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A real (tiny) installed distribution on sys.path, as `pip install` would leave it.
    (tmp_path / "rag_echo_plugin.py").write_text(
        "from rag.llm.base import Delta, StreamingLLM\n"
        "class PluginLLM(StreamingLLM):\n"
        "    name = 'plugin-echo'\n"
        "    def __init__(self, settings):\n"
        "        self.settings = settings\n"
        "    def stream(self, request):\n"
        "        yield Delta(text='from the plugin')\n"
    )
    dist = tmp_path / "rag_echo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rag-echo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rag.llms]\nplugin-echo = rag_echo_plugin:PluginLLM\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "rag_echo_plugin", raising=False)

    assert "plugin-echo" in available_llms()
    llm = get_llm("plugin-echo", Settings())
    assert llm.generate(GenerationRequest("q", [], []))[0] == "from the plugin"


def test_a_backend_that_only_streams_is_accepted_and_can_answer_in_one_call(forget):
    class StreamOnly:  # no base class, no generate: the Protocol asks for name and stream only
        name = "stream-only"

        def __init__(self, settings: Settings) -> None:
            pass

        def stream(self, request: GenerationRequest) -> Iterator[Delta]:
            yield Delta(text="two ")
            yield Delta(text="pieces")

    register_llm("stream-only", StreamOnly)
    forget.append("stream-only")
    backend = get_llm("stream-only", Settings())
    assert generate(backend, GenerationRequest("q", [], []))[0] == "two pieces"
