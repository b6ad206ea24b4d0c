"""Jinja2 prompt templates: the bundled ones in `prompts/`, optionally overridden from a user folder."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jinja2

from rag.config import Settings
from rag.errors import ConfigError
from rag.llm.base import Message
from rag.types import Passage

# The one sentence every backend says when the passages do not answer; `is_refusal` recognises it.
REFUSAL = "The indexed documents do not answer this question."

TEMPLATES = ("system.j2", "answer.j2", "condense.j2")


def prompts_dir() -> Path:
    """The bundled template folder: the repo's top-level `prompts/`, else package data `rag/prompts`."""
    repo = Path(__file__).resolve().parents[2] / "prompts"
    if (repo / "answer.j2").is_file():
        return repo
    from importlib.resources import files

    return Path(str(files("rag") / "prompts"))


def _escape_passage(text: str) -> str:
    # A passage must not be able to close its own delimiter and smuggle text outside it.
    return text.replace("</passage", "&lt;/passage").replace("<passage", "&lt;passage")


def _escape_attr(text: str) -> str:
    return text.replace('"', "'").replace("<", "&lt;").replace("\n", " ")


@lru_cache(maxsize=16)
def _environment(user_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        if not user_dir.is_dir():
            raise ConfigError(
                f"llm.prompts_dir is {user_dir}, which is not a folder; create it or unset RAG_LLM__PROMPTS_DIR"
            )
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    # Templates missing from the user's folder fall back to the bundled ones.
    loaders.append(jinja2.FileSystemLoader(str(prompts_dir())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Bundled templates change only with the code: not checked on disk at every answer (a stat
        # per template). A user's folder may be edited while the server runs, so it still is.
        auto_reload=user_dir is not None,
    )
    env.filters["passage_safe"] = _escape_passage
    env.filters["attr_safe"] = _escape_attr
    return env


def render(name: str, settings: Settings, **variables: object) -> str:
    """Render one template; an undefined variable raises `jinja2.UndefinedError`."""
    variables.setdefault("max_sentences", settings.answer.max_sentences)
    return _render(settings.llm.prompts_dir, name, variables)


def _render(user_dir: Path | None, name: str, variables: dict[str, object]) -> str:
    env = _environment(user_dir)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"prompt template {name!r} not found in {prompts_dir()}; reinstall rag") from exc
    variables.setdefault("refusal", REFUSAL)
    return template.render(**variables).strip()


def render_messages(
    question: str, passages: Sequence[Passage], history: Sequence[Message] | None, settings: Settings
) -> list[Message]:
    """System prompt, prior turns, then the user turn with passages numbered [1]..[n]."""
    messages = [Message(role="system", content=_system_prompt(settings))]
    messages.extend(m for m in (history or []) if m.role != "system")
    user = render("answer.j2", settings, question=question, passages=list(passages))
    messages.append(Message(role="user", content=user))
    return messages


def _system_prompt(settings: Settings) -> str:
    if settings.llm.prompts_dir is not None:
        return render("system.j2", settings)  # the user's template may change while serving
    return _bundled_system_prompt(settings.answer.max_sentences)


@lru_cache(maxsize=16)
def _bundled_system_prompt(max_sentences: int) -> str:
    """The bundled system prompt: the same text for every answer (it reads no question or passage)."""
    return _render(None, "system.j2", {"max_sentences": max_sentences})


def render_condense(question: str, history: Sequence[Message], settings: Settings) -> list[Message]:
    """The prompt that rewrites a follow-up into a standalone question."""
    content = render("condense.j2", settings, question=question, history=list(history))
    return [Message(role="user", content=content)]
