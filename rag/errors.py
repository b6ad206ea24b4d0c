"""Errors a user can act on: each message says what is wrong and how to fix it."""


class RagError(Exception):
    """Base class for every error rag raises on purpose."""


class ConfigError(RagError):
    """A setting names something that does not exist or cannot be used."""


class IndexMismatchError(RagError):
    """The index on disk was built with another embedder, chunking or format."""


class IndexCorruptError(RagError):
    """The index on disk cannot be read."""


class IndexBusyError(RagError, TimeoutError):
    """Another process held the index's write lock for longer than the lock timeout; retry later."""


class StoreUnavailableError(RagError):
    """The index's database cannot be reached right now; retrying later may succeed."""


class IngestError(RagError):
    """One input could not be ingested; the rest of the batch goes on."""


class InvalidQuestionError(RagError, ValueError):
    """The question is empty, too long, or otherwise unusable."""


class BackendError(RagError):
    """An LLM or embedding backend failed (connection, timeout, bad reply)."""

    def __init__(self, message: str, *, backend: str, url: str | None = None, timeout: bool = False):
        super().__init__(message)
        self.backend = backend
        self.url = url
        self.timeout = timeout
