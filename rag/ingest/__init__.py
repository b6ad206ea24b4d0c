"""Ingestion: files → documents (`loaders`), page-noise removal (`clean`); `pipeline` runs both."""

from rag.ingest.clean import clean_text
from rag.ingest.loaders import IngestProblem, iter_documents

__all__ = ["IngestProblem", "clean_text", "iter_documents"]
