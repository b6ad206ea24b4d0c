"""Benchmark suite: ingest, search, ask and cold start, each beside a baseline measured in the same run.

Run `rag bench --quick` (10k chunks, ~2 minutes) or `rag bench` (10k, 100k, and the 1M vector-index run).
"""
