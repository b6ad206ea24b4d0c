"""Fixtures shared by several test folders."""

from rag.testing.fixtures import index_name, postgres_server, postgres_url  # noqa: F401  (pytest fixtures)
