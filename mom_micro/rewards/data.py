"""Preference pairs and the report of what a reader skipped.

Example:
    >>> from mom_micro.rewards import PreferencePair
    >>> pair = PreferencePair("Say hi", chosen="Hi!", rejected="No.", context="friendly")
    >>> pair.context
    'friendly'
    >>> PreferencePair("Say hi", chosen="Hi!", rejected="Hi!")
    Traceback (most recent call last):
    ...
    mom_micro.rewards.errors.InvalidPairError: chosen and rejected are the same text
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidPairError, NoUsablePairsError

__all__ = ["PreferencePair", "ReadReport"]


@dataclass(frozen=True)
class PreferencePair:
    """One judgement: for ``prompt``, ``chosen`` was preferred over ``rejected``.

    ``context`` is the criterion or profile the judgement was made under (for example
    ``"harmless"`` or a user's stated preferences); ``user`` identifies who judged, for
    online per-user adaptation. Both are optional. Invalid values raise
    :class:`~mom_micro.rewards.errors.InvalidPairError` with a ``reason`` key.
    """

    prompt: str
    chosen: str
    rejected: str
    context: str | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        for name in ("prompt", "chosen", "rejected"):
            value = getattr(self, name)
            if value is None:
                raise InvalidPairError("missing_field", f"{name} is missing")
            if not isinstance(value, str):
                raise InvalidPairError(
                    "non_string", f"{name} must be a string, got {type(value).__name__}"
                )
            if not value.strip():
                raise InvalidPairError("empty_text", f"{name} is empty")
        for name in ("context", "user"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidPairError(
                    "non_string", f"{name} must be a string or None, got {type(value).__name__}"
                )
        if self.chosen == self.rejected:
            raise InvalidPairError("identical_responses", "chosen and rejected are the same text")

    def to_dict(self) -> dict[str, Any]:
        """The generic JSONL record ``{prompt, chosen, rejected, context, user}``."""
        return {
            "prompt": self.prompt,
            "chosen": self.chosen,
            "rejected": self.rejected,
            "context": self.context,
            "user": self.user,
        }


@dataclass
class ReadReport:
    """What a reader did with one source: rows seen, pairs kept, rows skipped by reason.

    Example:
        >>> report = ReadReport("data.jsonl")
        >>> report.skip("missing_field")
        >>> report.summary()
        'data.jsonl: 0 pairs from 0 rows; skipped 1 (missing_field: 1)'
    """

    source: str
    rows: int = 0
    pairs: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        """Count one unusable row under ``reason``."""
        self.skipped[reason] += 1

    def summary(self) -> str:
        """One line for logs and the CLI."""
        text = f"{self.source}: {self.pairs} pairs from {self.rows} rows"
        if self.skipped:
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items()))
            text += f"; skipped {sum(self.skipped.values())} ({reasons})"
        return text

    def require_pairs(self) -> None:
        """Raise :class:`NoUsablePairsError` when the source gave no usable pair."""
        if self.pairs == 0:
            raise NoUsablePairsError(f"no usable preference pair in {self.summary()}")
