"""pytest fixtures for a real PostgreSQL server (import them into a conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from rag.testing.postgres_server import PostgresServer, missing_reason


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the whole session; tests skip with a reason when it cannot be started here."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url


@pytest.fixture
def index_name() -> str:
    """A fresh index name per test, so tests sharing the server never see each other's data."""
    return f"t{uuid.uuid4().hex[:12]}"
