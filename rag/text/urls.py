"""Which document URLs rag keeps: web addresses only, since front ends turn them into links."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host and nothing that could break out of a Markdown link."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    unsafe = any(ch.isspace() or ch in '<>"`' or not ch.isprintable() for ch in url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not unsafe


def web_url_or_none(url: object) -> str | None:
    """`url` stripped when it is a web address, else None (for URLs found in pages, not given by users)."""
    text = str(url).strip() if url is not None else ""
    return text if text and is_web_url(text) else None
