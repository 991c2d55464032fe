"""Per-user profiles for online adaptation: Hedge multipliers over the heads, in a store.

A user's weights over the K heads for a prompt ``x`` and context ``c`` are

.. math::

    w_u(x, c) \\propto f(x, c) \\odot \\exp(\\ell_u), \\qquad
    \\ell_u \\leftarrow \\ell_u - L / \\tau \\text{ per feedback}

where ``f`` is the router (the prior), ``L_k = -log sigma(r_k(x, y_w) - r_k(x, y_l))`` is
each head's loss on the feedback "the user preferred ``y_w`` over ``y_l``", and the
profile ``l_u`` stores the accumulated log-multipliers (one Hedge step per feedback).
A new user has ``l_u = 0``, i.e. the router prior. Since the steps add up, the profile
does not depend on the order in which concurrent feedback arrives.

The store is a JSON file (or memory only with ``path=None``). Every update happens under
a lock and rewrites the file atomically, so it stays correct with many threads; it does
not coordinate several *processes* writing the same file (use one store per process).

Example:
    >>> store = UserProfileStore(n_heads=2)
    >>> store.update("ana", [0.1, 2.0], tau=1.0).log_weights
    [0.0, -1.9]
    >>> store.log_weights("bob").tolist()        # a new user: the router prior
    [0.0, 0.0]
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mom_micro.files import atomic_write_text

from .errors import CheckpointMismatchError, RewardsError

__all__ = ["UserProfile", "UserProfileStore"]

FORMAT = "mom-micro-profiles/1"


@dataclass(frozen=True)
class UserProfile:
    """One user's accumulated Hedge log-multipliers and how many feedbacks built them."""

    user: str
    log_weights: list[float]
    updates: int


class UserProfileStore:
    """Thread-safe store of :class:`UserProfile` (see the module docstring).

    Args:
        path: JSON file to load from and write to (created on the first update), or
            ``None`` to keep profiles in memory.
        n_heads: K; a file made for another K is refused.
    """

    def __init__(self, path: str | Path | None = None, n_heads: int = 10) -> None:
        self.path = Path(path) if path is not None else None
        self.n_heads = n_heads
        self._lock = threading.Lock()
        self._profiles: dict[str, UserProfile] = {}
        if self.path is not None and self.path.exists():
            self._profiles = self._read(self.path)

    def _read(self, path: Path) -> dict[str, UserProfile]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RewardsError(f"profile store {path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RewardsError(f"{path} is not a mom-micro profile store ({FORMAT})")
        if data.get("n_heads") != self.n_heads:
            raise CheckpointMismatchError(
                f"profile store {path} has {data.get('n_heads')} heads, the model has {self.n_heads}"
            )
        return {
            user: UserProfile(user, [float(v) for v in entry["log_weights"]], int(entry["updates"]))
            for user, entry in data["users"].items()
        }

    def _write(self) -> None:
        if self.path is None:
            return
        payload: dict[str, Any] = {
            "format": FORMAT,
            "n_heads": self.n_heads,
            "users": {
                u: {"log_weights": p.log_weights, "updates": p.updates}
                for u, p in sorted(self._profiles.items())
            },
        }
        atomic_write_text(self.path, json.dumps(payload, indent=1))

    def get(self, user: str) -> UserProfile | None:
        """The user's profile, or ``None`` for a user with no feedback yet."""
        with self._lock:
            return self._profiles.get(user)

    def log_weights(self, user: str) -> torch.Tensor:
        """The user's log-multipliers ``l_u`` (zeros for a new user), shape ``(K,)``."""
        profile = self.get(user)
        if profile is None:
            return torch.zeros(self.n_heads)
        return torch.tensor(profile.log_weights, dtype=torch.float32)

    def update(self, user: str, losses: Sequence[float], tau: float) -> UserProfile:
        """One Hedge step: ``l_u <- l_u - losses / tau`` (shifted so that its max is 0).

        ``losses`` are the K per-head losses on one piece of feedback.
        """
        if not isinstance(user, str) or not user:
            raise RewardsError("user must be a non-empty string")
        if len(losses) != self.n_heads:
            raise RewardsError(f"expected {self.n_heads} head losses, got {len(losses)}")
        if tau <= 0:
            raise ValueError(f"tau must be > 0, got {tau}")
        with self._lock:
            old = self._profiles.get(user)
            base = old.log_weights if old else [0.0] * self.n_heads
            raw = [b - float(loss) / tau for b, loss in zip(base, losses, strict=True)]
            top = max(raw)
            profile = UserProfile(user, [v - top for v in raw], (old.updates if old else 0) + 1)
            self._profiles[user] = profile
            self._write()
            return profile

    def users(self) -> list[str]:
        """Users with at least one feedback, sorted."""
        with self._lock:
            return sorted(self._profiles)

    def __len__(self) -> int:
        with self._lock:
            return len(self._profiles)
