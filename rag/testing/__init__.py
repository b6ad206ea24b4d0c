"""Helpers for tests of rag and of stores or plugins built on it (real servers, shared contract suites)."""
