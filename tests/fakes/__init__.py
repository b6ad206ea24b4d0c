"""Reusable fakes for tests: a scripted OpenAI-compatible server on loopback.

To use the fixtures in a test folder, import them in its conftest.py:

    from tests.fakes import fake_openai, fake_openai_server  # noqa: F401
"""

from tests.fakes.openai_server import (
    DEFAULT_TEXT,
    Failure,
    FakeOpenAIServer,
    RecordedRequest,
    Reply,
    fake_openai,
    fake_openai_server,
)

__all__ = [
    "DEFAULT_TEXT",
    "Failure",
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "fake_openai",
    "fake_openai_server",
]
