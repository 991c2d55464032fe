"""Checking and reading the documents a memory reader accepts, and the reader interface."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mom_micro.errors import MomMicroError

from .schema import DocumentMemory

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "InvalidDocumentError",
    "MemoryExtractor",
    "ReaderConfigError",
    "describe_reader",
    "read_document",
    "validate_document",
]

# a word has a letter or digit (mom_micro.text.count_words); one search, linear
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")

#: Documents longer than this are refused (about 10 MB of text); split them first.
MAX_DOCUMENT_CHARS = 10_000_000


class InvalidDocumentError(MomMicroError, ValueError):
    """A document cannot be read into a memory; the message says why."""


class ReaderConfigError(MomMicroError, ValueError):
    """A memory reader cannot be built from its name or stored configuration."""


def validate_document(text: object, doc_id: str | None = None) -> str:
    """Return ``text`` if a memory can be made of it, else raise :class:`InvalidDocumentError`.

    Refused: non-strings (bytes included: decode them first), empty text, text with
    nothing visible (only white space and invisible format characters such as zero-width
    spaces and joiners), text with no word (no letter or digit in any script: only emoji,
    symbols or punctuation), text with NUL or many other control characters (binary
    data), and text over :data:`MAX_DOCUMENT_CHARS` characters.

    Example:
        >>> validate_document("A short note.")
        'A short note.'
        >>> validate_document("   ")
        Traceback (most recent call last):
        ...
        mom_micro.memory.document.InvalidDocumentError: document is empty or whitespace only
    """
    name = f"document {doc_id!r}" if doc_id else "document"
    if isinstance(text, (bytes, bytearray)):
        raise InvalidDocumentError(f"{name} is bytes, not text: decode it (e.g. as UTF-8) first")
    if not isinstance(text, str):
        raise InvalidDocumentError(f"{name} must be a str, got {type(text).__name__}")
    if not text.strip():
        raise InvalidDocumentError(f"{name} is empty or whitespace only")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InvalidDocumentError(
            f"{name} has {len(text):,} characters, over the limit of {MAX_DOCUMENT_CHARS:,}; "
            "split it into smaller documents"
        )
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if "\x00" in sample or controls > 0.01 * len(sample):
        raise InvalidDocumentError(f"{name} looks binary ({controls} control characters)")
    if not any(_visible(ch) for ch in text):
        raise InvalidDocumentError(
            f"{name} has no visible text: only white space and invisible characters "
            "(zero-width spaces or joiners, byte-order marks)"
        )
    if not _LETTER_OR_DIGIT.search(text):
        raise InvalidDocumentError(
            f"{name} has no words: no letter or digit in any script, only emoji, symbols "
            "or punctuation"
        )
    return text


def _visible(ch: str) -> bool:
    """Neither white space nor an invisible format character (Unicode category Cf)."""
    return not ch.isspace() and unicodedata.category(ch) != "Cf"


def read_document(path: str | Path) -> str:
    """Read a UTF-8 text file and validate it; binary or non-UTF-8 files are refused."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidDocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocumentError(
            f"{path} is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})"
        ) from exc
    return validate_document(text, doc_id=str(path))


@runtime_checkable
class MemoryExtractor(Protocol):
    """Anything that reads a document into a :class:`DocumentMemory`."""

    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        """Read ``text`` and return its chosen memory."""
        ...


def describe_reader(reader: MemoryExtractor) -> dict[str, Any]:
    """A reader's JSON configuration: its own ``config()`` when it has one (the package's
    readers do), else ``{"kind": "custom", "class": "module.Class"}``.

    Example:
        >>> class Mine:
        ...     def extract(self, text, doc_id=None): ...
        >>> describe_reader(Mine())["kind"]
        'custom'
    """
    config = getattr(reader, "config", None)
    if callable(config):
        return dict(config())
    cls = type(reader)
    return {"kind": "custom", "class": f"{cls.__module__}.{cls.__qualname__}"}
