"""The errors of :mod:`mom_micro.rewards`: each is a ``ValueError`` that names the problem.

Example:
    >>> from mom_micro.rewards.errors import InvalidPairError
    >>> issubclass(InvalidPairError, ValueError)
    True
"""

from __future__ import annotations

from mom_micro.errors import MomMicroError

__all__ = [
    "CheckpointMismatchError",
    "FeatureError",
    "InvalidPairError",
    "NoUsablePairsError",
    "PreferenceDataError",
    "RewardsError",
]


class RewardsError(MomMicroError, ValueError):
    """Base class of every error raised on bad input by the rewards package."""


class PreferenceDataError(RewardsError):
    """A preference source cannot be read (unknown format, bad column mapping, bad file)."""


class InvalidPairError(PreferenceDataError):
    """One preference pair is unusable; ``reason`` is a short key such as
    ``"missing_field"``, ``"non_string"``, ``"empty_text"`` or ``"identical_responses"``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NoUsablePairsError(PreferenceDataError):
    """A source had no usable pair at all (the message lists the reasons rows were skipped)."""


class FeatureError(RewardsError):
    """Features are unusable: NaN/inf values, or a dimension that does not match the model."""


class CheckpointMismatchError(RewardsError):
    """A saved model does not match what it is loaded into (heads, backbone, dimensions)."""
