"""Chat front ends' housekeeping prompts (title, tags, follow-ups) get answers in the format they parse."""

from __future__ import annotations

import json

import httpx
import openai

from rag.api.chat_tasks import recognise, title_for
from tests.api.conftest import Server

QUESTION = "How much will Microsoft invest in Japan?"
ANSWER = ("Microsoft plans to invest $2.9 billion across two years in Japan [1].\n\n"
          "Sources:\n[1] Microsoft to spend $2.9 billion on cloud and AI capacity in Japan")
# In the shape Open WebUI renders its default templates: a task, a JSON format, the chat history.
OPEN_WEBUI = """### Task:
{task}
### Guidelines:
- Write in the chat's primary language; default to English if multilingual.
### Output:
JSON format: {fmt}
### Chat History:
<chat_history>
USER: {question}
ASSISTANT: {answer}
</chat_history>"""


def client(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)


def ask(server: Server, prompt: str, **kw) -> str:
    completion = client(server).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": prompt}], **kw)
    return completion.choices[0].message.content


def open_webui(task: str, fmt: str) -> str:
    return OPEN_WEBUI.format(task=task, fmt=fmt, question=QUESTION, answer=ANSWER)


def test_open_webui_title_is_json_with_a_short_title(server: Server) -> None:
    prompt = open_webui("Generate a concise, 3-5 word title with an emoji summarizing the chat history.",
                        '{ "title": "your concise title here" }')
    title = json.loads(ask(server, prompt))["title"]
    assert title == "Microsoft Invest in Japan"
    assert "do not answer" not in title.lower()


def test_open_webui_tags_and_follow_ups(server: Server) -> None:
    tags = json.loads(ask(server, open_webui("Generate 1-3 broad tags categorizing the main themes.",
                                             '{ "tags": ["tag1", "tag2", "tag3"] }')))["tags"]
    assert set(tags) >= {"Microsoft", "Japan"} and len(tags) <= 3
    follow_ups = json.loads(ask(server, open_webui(
        "Suggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next.",
        '{ "follow_ups": ["Question 1?", "Question 2?", "Question 3?"] }')))["follow_ups"]
    assert 1 <= len(follow_ups) <= 3 and all(q.endswith("?") for q in follow_ups)
    # Drawn from the passages behind the answer, about something the chat has not mentioned yet.
    passages = " ".join(p["text"] for p in httpx.post(f"{server.url}/v1/search", json={"query": QUESTION}).json()["passages"])
    for question in follow_ups:
        name = question.removeprefix("What do the documents say about ").removesuffix("?")
        assert name in passages and name.lower() not in (QUESTION + ANSWER).lower()


def test_open_webui_queries_and_autocomplete(server: Server) -> None:
    queries = json.loads(ask(server, open_webui("Analyze the chat history to determine the necessity of generating "
                                                "search queries.", '{ "queries": ["query1", "query2"] }')))
    assert queries == {"queries": [QUESTION]}
    completion = json.loads(ask(server, open_webui("You are an autocompletion system.", '{ "text": "<completion>" }')))
    assert completion == {"text": ""}


def test_librechat_title_is_plain_text(server: Server) -> None:
    prompt = ("Provide a concise, 5-word-or-less title for the conversation, using title case conventions. "
              f"Only return the title itself.\n\nConversation:\nUser: What is GENIAC?\nAI: {ANSWER}")
    assert ask(server, prompt) == "GENIAC"


def test_a_streamed_task_reply_with_usage(server: Server) -> None:
    prompt = open_webui("Generate a concise, 3-5 word title.", '{ "title": "your concise title here" }')
    chunks = list(client(server).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": prompt}], stream=True,
        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text) == {"title": "Microsoft Invest in Japan"}
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens > 50


def test_ordinary_questions_are_not_tasks() -> None:
    for question in (QUESTION, "Give me a title for the Microsoft article", "What tags does GENIAC use?",
                     "### Task: is not a question without its chat history"):
        assert recognise(question) is None


def test_titles_keep_names_and_figures() -> None:
    assert title_for(["What is GENIAC?"]) == "GENIAC"
    assert title_for(["how many people will Microsoft train in AI skills by 2027?"]) == "People Microsoft Train in AI Skills"
    assert title_for(["?", "   "]) == "New Chat"
