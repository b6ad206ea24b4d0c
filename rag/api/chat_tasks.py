"""Housekeeping prompts that chat front ends send to the chat model, answered without retrieval.

Open WebUI and LibreChat ask the same model that answers questions to also name the chat, tag it
and suggest follow-ups. Their templates embed the conversation and ask for a set format; answering
them as questions gives "The indexed documents do not answer this question." as every chat's title.
This module recognises those templates and answers them in the format each front end parses:

- Open WebUI ("### Task:" ... `<chat_history>`, "JSON format: { "title": ... }"): a JSON object with
  `title`, `tags`, `follow_ups`, `queries` (search queries) or `text` (autocomplete).
- LibreChat's completion title ("Provide a concise, 5-word-or-less title ... Conversation: User: ..."):
  the title as plain text; its structured variant ("Analyze this conversation and provide") gets
  JSON with `language` and `title`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.text.analyze import STOPWORDS

MAX_TITLE_WORDS = 5

# Open WebUI: the reply key named in the template's "JSON format" line decides the task.
_OPEN_WEBUI_KEYS = ("follow_ups", "queries", "title", "tags", "text")
_JSON_KEY = re.compile(r"""\{\s*["“](follow_ups|queries|title|tags|text)["”]\s*:""")
_CHAT_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.S | re.I)
_TURN = re.compile(r"^(USER|ASSISTANT|User|AI|Assistant|System)\s*:\s?", re.M)
_LIBRECHAT_COMPLETION = re.compile(r"provide a concise, 5-word-or-less title for the conversation", re.I)
_LIBRECHAT_STRUCTURED = re.compile(r"analyze this conversation and provide", re.I)
_LIBRECHAT_LEGACY = re.compile(r"generate a concise title.{0,40}for a conversation that starts with", re.I | re.S)
_WORD = re.compile(r"[^\W_]+(?:[.'’\-][^\W_]+)*")
_SMALL = frozenset("a an and as at but by for in of on or the to vs via".split())
_SOURCES = "\n\nSources:\n"
# Capitalised words that are not topics to ask about: calendar words and nationality adjectives.
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december today".split()
)
_DEMONYM = re.compile(r"(?:ese|ish|ian|ean|can)$")


@dataclass(frozen=True)
class ChatTask:
    """A recognised housekeeping prompt: what is asked, the conversation it is about, the reply format."""

    kind: str  # title | tags | follow_ups | queries | text
    turns: list[tuple[str, str]]  # (user|assistant, text), oldest first
    style: str  # open-webui | librechat | librechat-structured
    seen: str = ""  # all the chat showed, sources lists included: follow-ups ask about something new

    def questions(self) -> list[str]:
        return [text for role, text in self.turns if role == "user"]


def recognise(prompt: str) -> ChatTask | None:
    """The task a front end's prompt asks for, or None for an ordinary question."""
    if "### Task:" in prompt or "<chat_history>" in prompt:
        key = _JSON_KEY.search(prompt)
        history = _CHAT_HISTORY.search(prompt)
        if key and history:
            return ChatTask(key.group(1), _turns(history.group(1)), "open-webui", history.group(1))
        return None
    if _LIBRECHAT_COMPLETION.search(prompt) or _LIBRECHAT_LEGACY.search(prompt):
        return ChatTask("title", _turns(_after_conversation(prompt)), "librechat")
    if _LIBRECHAT_STRUCTURED.search(prompt) and "title" in prompt.lower():
        return ChatTask("title", _turns(_after_conversation(prompt)), "librechat-structured")
    return None


def _after_conversation(prompt: str) -> str:
    at = prompt.find("Conversation:")
    return prompt[at + len("Conversation:"):] if at >= 0 else prompt


def _turns(block: str) -> list[tuple[str, str]]:
    """'USER: …\\nASSISTANT: …' (Open WebUI) or 'User: …\\nAI: …' (LibreChat) as (role, text) pairs."""
    marks = list(_TURN.finditer(block))
    turns = []
    for mark, following in zip(marks, [*marks[1:], None]):
        text = block[mark.end(): following.start() if following else len(block)].strip()
        role = "user" if mark.group(1).lower() == "user" else "assistant"
        if text and mark.group(1).lower() != "system":
            turns.append((role, text.split(_SOURCES, 1)[0]))
    return turns


def reply(task: ChatTask, passages_for: Callable[[str], Sequence[str]]) -> str:
    """The reply text for `task`; `passages_for(question)` gives passage texts to draw follow-ups from."""
    if task.kind == "title":
        title = title_for(task.questions())
        if task.style == "librechat":
            return title
        if task.style == "librechat-structured":
            return json.dumps({"language": "English", "title": title}, ensure_ascii=False)
        return json.dumps({"title": title}, ensure_ascii=False)
    if task.kind == "tags":
        return json.dumps({"tags": tags_for(task.turns)}, ensure_ascii=False)
    if task.kind == "follow_ups":
        questions = task.questions()
        passages = passages_for(questions[-1]) if questions else []
        return json.dumps({"follow_ups": follow_ups(task.seen, passages)}, ensure_ascii=False)
    if task.kind == "queries":
        questions = task.questions()
        return json.dumps({"queries": questions[-1:]}, ensure_ascii=False)
    return json.dumps({"text": ""})  # autocomplete: rag does not guess what the user will type


def title_for(questions: Sequence[str]) -> str:
    """A short title from the first question: its words from the first content word on, title-cased."""
    for question in questions:
        found = _WORD.findall(question)
        start = next((i for i, w in enumerate(found) if w.lower() not in STOPWORDS), None)
        if start is None:
            continue
        kept = found[start:start + MAX_TITLE_WORDS + 2]
        content = [i for i, w in enumerate(kept) if w.lower() not in STOPWORDS]
        kept = kept[: content[min(len(content), MAX_TITLE_WORDS) - 1] + 1]
        # Inside the title only linking words stay: "Microsoft Train in AI", not "Will Microsoft Train".
        kept = [w for w in kept if w.lower() not in STOPWORDS or w.lower() in _SMALL]
        return " ".join(_title_case(word, first=i == 0) for i, word in enumerate(kept))
    return "New Chat"


def _title_case(word: str, *, first: bool) -> str:
    if any(ch.isupper() for ch in word) or any(ch.isdigit() for ch in word):
        return word  # names and figures as written: GENIAC, AI, 2.9
    if word.lower() in _SMALL and not first:
        return word.lower()
    return word[:1].upper() + word[1:]


_RUN = re.compile(r"\b[A-Z][\w’'&-]*(?:\s+(?:of\s+|for\s+)?[A-Z][\w’'&-]*)*")


def _names(text: str) -> list[str]:
    """Capitalised word runs: 'Microsoft', 'Brad Smith', 'University of Tokyo'.

    A lone capitalised word that opens a sentence ("Private companies ...") counts only when the
    same word is also capitalised inside a sentence somewhere in `text`.
    """
    inside: list[str] = []
    openers: list[str] = []
    for match in _RUN.finditer(text):
        words = re.sub(r"['’]s?$", "", match.group(0)).split()  # Microsoft's -> Microsoft
        while words and words[0].lower() in STOPWORDS:
            words = words[1:]
        if not words or _not_a_topic(words, text[match.end():match.end() + 1]):
            continue
        before = text[: match.start()].rstrip()
        opens = not before or before[-1] in ".!?:\n\"“"
        (openers if opens and len(words) == 1 else inside).append(" ".join(words))
    known = set(inside)
    return inside + [word for word in openers if word in known]


def _not_a_topic(words: list[str], after: str) -> bool:
    if after == ":":
        return True  # a field label such as "Date:"
    if len(words) > 1:
        return False
    word = words[0].lower()
    return word in _CALENDAR or bool(_DEMONYM.search(word))


def tags_for(turns: Sequence[tuple[str, str]]) -> list[str]:
    """The names the conversation mentions most (up to three), else Open WebUI's own fallback."""
    counts = Counter(name for _, text in turns for name in _names(text))
    tags = [name for name, _ in counts.most_common(3)]
    return tags or ["General"]


def follow_ups(seen: str, passages: Sequence[str], limit: int = 3) -> list[str]:
    """Questions about names in the passages behind the last answer that the chat has not shown yet."""
    said = seen.lower()
    counts = Counter(name for passage in passages for name in _names(passage) if name.lower() not in said)
    return [f"What do the documents say about {name}?" for name, _ in counts.most_common(limit)]
