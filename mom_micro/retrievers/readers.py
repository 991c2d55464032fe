"""The memory reader an index was built with, described so that the index can store it
and rebuild it (or name it) when it is opened again.

Example:
    >>> from mom_micro.memory import ExtractiveExtractor
    >>> description = describe_reader(ExtractiveExtractor(target_words=60))
    >>> description["kind"], reader_from(description).target_words
    ('extractive', 60)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from mom_micro.memory import ExtractiveExtractor, MemoryExtractor

from .nodes import default_reader

__all__ = ["describe_reader", "reader_from", "same_reader"]


def describe_reader(reader: MemoryExtractor) -> dict[str, Any]:
    """A JSON description of a memory reader, stored with the index: the offline
    extractive reader with its settings (so the index rebuilds it), any other reader by
    its class (so the index can say which one to pass again).

    Example:
        >>> describe_reader(ExtractiveExtractor(target_words=60))["options"]["target_words"]
        60
    """
    config = getattr(reader, "config", None)
    if callable(config):
        return dict(config())
    if isinstance(reader, ExtractiveExtractor) and is_dataclass(reader):
        options = {
            f.name: getattr(reader, f.name)
            for f in fields(reader)
            if isinstance(getattr(reader, f.name), (int, float, str, bool, type(None), tuple, list))
        }
        custom = [
            f.name
            for f in fields(reader)
            if f.name in ("embedder", "scorer") and getattr(reader, f.name) is not None
        ]
        return {"kind": "extractive", "options": options, "custom_parts": custom}
    cls = type(reader)
    return {"kind": f"{cls.__module__}.{cls.__qualname__}", "repr": repr(reader)[:300]}


def reader_from(description: Mapping[str, Any] | None) -> MemoryExtractor | None:
    """Rebuild the reader an index was built with, when it can be rebuilt offline."""
    if not description:
        return default_reader()
    if description.get("kind") == "extractive" and not description.get("custom_parts"):
        options = dict(description.get("options") or {})
        if isinstance(options.get("granularities"), list):
            options["granularities"] = tuple(options["granularities"])
        return ExtractiveExtractor(**options)
    return None


def same_reader(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two reader descriptions name the same reader (a ``repr`` is only for
    messages: it holds an object's address)."""

    def key(description: Mapping[str, Any]) -> str:
        return json.dumps(
            {k: v for k, v in description.items() if k != "repr"}, sort_keys=True, default=str
        )

    return key(a) == key(b)
