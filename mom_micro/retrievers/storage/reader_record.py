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

from mom_micro.memory import MemoryExtractor, ReaderConfigError
from mom_micro.memory.readers import reader_from_config

from ..nodes import default_reader

__all__ = ["reader_from", "same_reader"]


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
