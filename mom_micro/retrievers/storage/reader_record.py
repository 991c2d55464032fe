"""The memory reader an index was built with: stored as the reader's JSON configuration
(:func:`mom_micro.memory.describe_reader`) so that the index rebuilds it when it is
opened again, or names the one to pass again when it cannot.

Example:
    >>> from mom_micro.memory import ExtractiveExtractor, describe_reader
    >>> description = describe_reader(ExtractiveExtractor(target_words=60))
    >>> reader_from(description).target_words
    60
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mom_micro.memory import MemoryExtractor, ReaderConfigError, describe_reader
from mom_micro.memory.loading import reader_from_config

from ..nodes import default_reader
from .errors import ReaderMismatch

__all__ = ["choose_reader", "reader_from", "require_reader", "same_reader"]


def reader_from(description: Mapping[str, Any] | None) -> MemoryExtractor | None:
    """Rebuild the reader an index was built with: the default reader for an index that
    stored none, ``None`` for a reader that cannot be rebuilt offline (a custom class, a
    remote LLM whose client is never stored), which must then be passed again."""
    if not description:
        return default_reader()
    try:
        return reader_from_config(description)
    except ReaderConfigError:
        return None


def same_reader(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two reader configurations name the same reader.

    Example:
        >>> same_reader({"kind": "custom", "class": "x.A"}, {"class": "x.A", "kind": "custom"})
        True
    """

    def key(description: Mapping[str, Any]) -> str:
        return json.dumps(dict(description), sort_keys=True, default=str)

    return key(a) == key(b)


def choose_reader(
    name: str,
    stored: Mapping[str, Any] | None,
    given: MemoryExtractor | None,
    replace: bool,
    has_documents: bool,
) -> MemoryExtractor | None:
    """The reader index ``name`` reads new documents with: the stored one rebuilt when
    none is ``given`` (None when it cannot be, see :func:`reader_from`); else ``given``,
    which must name the stored reader unless ``replace`` or the index is still empty.

    Raises:
        ReaderMismatch: ``given`` is another reader than the one the documents were read with.
    """
    if given is None:
        return reader_from(stored)
    description = describe_reader(given)
    if stored and not same_reader(stored, description) and not replace and has_documents:
        raise ReaderMismatch(
            f"index {name!r} was built with the reader {stored.get('kind')!r}, not "
            f"{description.get('kind')!r} ({description.get('class', description.get('model'))}"
            "); pass the same reader, or replace_reader=True to read new documents with this one"
        )
    return given


def require_reader(
    name: str, reader: MemoryExtractor | None, stored: Mapping[str, Any] | None
) -> MemoryExtractor:
    """``reader``, or :class:`ReaderMismatch` naming the stored reader to pass again."""
    if reader is None:
        stored = stored or {}
        raise ReaderMismatch(
            f"index {name!r} was built with the reader {stored.get('kind')!r} "
            f"({stored.get('class', stored.get('model', ''))}), which cannot be rebuilt "
            "from its description: pass the same reader (reader=...) to open the index "
            "for adding documents"
        )
    return reader
