"""Drop the page noise scraped news articles carry, keeping every sentence of the article.

Works line by line with generic rules (no per-site lists): widget and button lines, reading-time
and view counters, photo credits, breadcrumbs, bylines with dates, repeated or truncated copies
of other lines, a tail block (author bio, comments, "you may also like") in the second half of
the text, and a trailing run of unrelated headlines.
"""

from __future__ import annotations

import re

# Every word of a share bar or comment button row comes from this list.
_WIDGET_WORDS = frozenset(
    "post a comment comments print share on facebook twitter x linkedin email e-mail whatsapp "
    "reddit pinterest telegram copy link tweet save this article story follow us via flipboard "
    "leave reply add".split()
)
_DROP_LINE = re.compile(
    r"""(?ix)
    \d+\s*(?:min(?:ute)?s?\.?)\s*read          # "4 min read", "2 Min Read"
    | [-–•]?\s*\d[\d,.]*k?\s*(?:reads|views|shares|comments)\.?   # "- 4 reads."
    | (?:image|photo|picture|illustration|video|credit|source)s?(?:\s+credits?)?\s*:\s*.{0,80}  # credits
    | (?:last\s+)?(?:updated|published|posted|modified)(?:\s+on)?\s*:?\s+.{0,40}\d{4}.{0,20}    # bylines
    | avatar | your\s+(?:name|e-?mail|comment) | characters\s+left:?.*   # comment forms
    | (?:advertisement|sponsored(?:\s+content)?|skip\s+to\s+(?:main\s+)?content)
    """
)
# A caption that ends in a credit: "A sentence about the picture. Image: Someone/Agency".
_CAPTION = re.compile(r"(?i).{0,200}[.!?]\s+(?:image|photo|picture|credit)s?\s*:\s*[^.!?]{1,60}")
_DATE_LINE = re.compile(
    r"(?i)(?:[a-z]+day,?\s+)?(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"(?:\s*(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?)?"
)
# Everything from one of these lines on is not the article, when it sits in the second half.
_TAIL_START = re.compile(
    r"""(?ix)
    about\s+the\s+authors?(?:\s*\(s\))? | you\s+(?:may|might)\s+also\s+like | related(?:\s+(?:articles|stories|posts|news|content))?
    | (?:more|read)\s+(?:from|on)\s+.{1,40} | recommended(?:\s+for\s+you)? | (?:most\s+(?:read|popular)|trending(?:\s+now)?)
    | (?:post|leave|add|write)\s+a\s+(?:comment|reply) | \d*\s*comments? | was\s+this\s+article\s+helpful\??.*
    | (?:get|sign\s+up\s+for|subscribe\s+to)\s+(?:the\s+|our\s+)?(?:latest|newsletter|daily|weekly).{0,60}
    """
)
_LEADING_META = re.compile(r"(?i)^\s*(?:date|published|updated)\s*:?\s*\d{4}-\d{2}-\d{2}(?:[T ][\d:]+Z?)?\s+")
_SPACES = re.compile(r"[ \t]{2,}|\t")  # runs of spaces and tabs -> one space (a lone space stays)
_BREADCRUMB_SEP = re.compile(r"\s+[/>»›|]\s+")
_BREADCRUMB_MARKS = "/>»›|"  # what every separator holds
_DOUBLED = re.compile(r"\b(the|an|of|to|in|on|and|for|is)\s+\1\b")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])(?=\s|$)")
_HEADLINE_RUN = 3
_TEASER_REACH = 30  # lines after a teaser searched for its full version


def clean_text(text: str) -> str:
    """Article text without page noise; paragraphs stay separated by their line breaks."""
    lines = [_normalise_line(line) for line in _LEADING_META.sub("", text, count=1).splitlines()]
    lines = _cut_tail(lines)
    kept = [line for line in _drop_copies(lines) if not _is_noise_line(line)]
    kept = _drop_trailing_headlines(kept)
    return _join(kept)


def _normalise_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    if "  " in line or "\t" in line:  # most lines have single spaces only: skip the rewrite
        line = _SPACES.sub(" ", line)
    line = line.strip()
    line = _SPACE_BEFORE_PUNCT.sub(r"\1", line)
    return _DOUBLED.sub(r"\1", line)


def _is_noise_line(line: str) -> bool:
    if not line:
        return False
    if _DROP_LINE.fullmatch(line) or _DATE_LINE.fullmatch(line) or _CAPTION.fullmatch(line):
        return True
    words = line.lower().replace(":", "").split()
    if len(words) <= 10 and all(word in _WIDGET_WORDS for word in words):
        return True
    return _is_breadcrumb(line)


def _is_breadcrumb(line: str) -> bool:
    if not any(mark in line for mark in _BREADCRUMB_MARKS):  # most lines: no split to make
        return False
    parts = _BREADCRUMB_SEP.split(line)
    if len(parts) < 3:
        return False
    return parts[0].lower() in ("home", "start", "news") or all(len(part.split()) <= 4 for part in parts[:-1])


def _cut_tail(lines: list[str]) -> list[str]:
    """Lines before the first tail marker that sits past half of the text."""
    total = sum(len(line) + 1 for line in lines)
    seen = 0
    for index, line in enumerate(lines):
        if seen > total / 2 and line and _TAIL_START.fullmatch(line.rstrip(":")):
            return lines[:index]
        seen += len(line) + 1
    return lines


def _drop_copies(lines: list[str]) -> list[str]:
    """Without lines seen before (repeated titles, bylines) and short teasers cut from a later line."""
    keys = [_key(line) for line in lines]
    seen: set[str] = set()
    kept: list[str] = []
    for index, line in enumerate(lines):
        key = keys[index]
        if not key:
            kept.append(line)
            continue
        if (key in seen and len(key.split()) >= 3) or _is_teaser(key, keys[index + 1 : index + 1 + _TEASER_REACH]):
            continue
        seen.add(key)
        kept.append(line)
    return kept


def _key(line: str) -> str:
    return line.lower().strip()


def _is_teaser(key: str, later: list[str]) -> bool:
    # "Microsoft said it would invest $2." then the full sentence further down.
    stem = key.rstrip(".…").rstrip()
    if len(stem.split()) < 4 or len(stem.split()) > 40:
        return False
    return any(other != key and len(other) > len(stem) + 1 and other.startswith(stem) for other in later)


def _drop_trailing_headlines(lines: list[str]) -> list[str]:
    """Without a closing run of 3+ title-case lines that end without punctuation."""
    end = len(lines)
    while end and not lines[end - 1]:
        end -= 1
    start = end
    while start and (not lines[start - 1] or _looks_like_headline(lines[start - 1])):
        start -= 1
    run = sum(1 for line in lines[start:end] if line)
    return lines[:start] if run >= _HEADLINE_RUN else lines[:end]


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 20 or line[-1] in '.!?:;,"”’)':
        return False
    long_words = [word for word in words if len(word) > 3 and word[0].isalpha()]
    capitalised = sum(1 for word in long_words if word[0].isupper())
    return bool(long_words) and capitalised / len(long_words) >= 0.6


def _join(lines: list[str]) -> str:
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
