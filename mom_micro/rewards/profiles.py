"""Per-user profiles for online adaptation: each user's recorded choices and the weights
fitted to them, in a store that several processes may write at once.

A profile holds the user's choices as the vectors the online update learns from
(:mod:`.online`): for "``y_w`` beat ``y_l``" the prior's margin and the per-basis gaps,
``[m_prior, z_1(y_w) - z_1(y_l), ..., z_D(y_w) - z_D(y_l)]``, and the weights ``beta``
(``D`` of them) fitted to all of them. A new user has no choices and ``beta = 0``, i.e.
the population model.

What is guaranteed, for a store with a ``path``:

- **No choice is lost**, whatever the number of threads and processes recording at
  once: every update reads the file, adds the choice and writes the file under one
  inter-process lock (:class:`filelock.FileLock` on ``<path>.lock``), and the write is
  atomic (:mod:`mom_micro.files`), so a reader sees the old file or the new one.
  Two processes recording 60 choices each for one user keep 120; users recorded by
  different processes all stay.
- Reads see what any process wrote: the file is read again whenever it changed.
- A file that is not a profile store, is not JSON, was made for another model size or
  holds a malformed entry is refused with :class:`~mom_micro.rewards.errors.RewardsError`
  naming the file; it is never overwritten.

- A store remembers the model its choices were recorded with (the ``fingerprint`` of
  a saved model's weights): opened for another model it is refused, since the stored
  gaps are those of the old heads. A model trained anew needs a new store.
- A store can note which responses were ranked for a user and a prompt
  (:meth:`UserProfileStore.note_ranking`, the last ``RANKINGS_KEPT`` prompts per user),
  so that a choice can be checked against what the user was shown.

Example:
    >>> store = UserProfileStore(dim=2)
    >>> fit = lambda choices: [float(choices[:, 1].sum()), 0.0]   # a stand-in online fit
    >>> store.update("ana", [0.5, 1.0, -1.0], fit).weights
    [1.0, 0.0]
    >>> store.update("ana", [0.2, 0.5, 0.0], fit)
    UserProfile(user='ana', weights=[1.5, 0.0], updates=2, choices=[[0.5, 1.0, -1.0], [0.2, 0.5, 0.0]], ranked={})
    >>> store.weights("bob").tolist()        # a new user: the population model
    [0.0, 0.0]
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock, Timeout

from mom_micro.files import atomic_write_text

from .errors import CheckpointMismatchError, RewardsError

__all__ = ["ProfileFit", "UserProfile", "UserProfileStore"]

FORMAT = "mom-micro-profiles/2"
OLD_FORMATS = ("mom-micro-profiles/1",)
#: Rankings remembered per user for :meth:`UserProfileStore.was_ranked`.
RANKINGS_KEPT = 20

#: ``fit(choices) -> weights``: ``choices`` is ``(n, 1 + dim)``, the weights ``dim`` floats.
ProfileFit = Callable[[torch.Tensor], Sequence[float]]


@dataclass(frozen=True)
class UserProfile:
    """One user's fitted weights ``beta``, their recorded choices (one vector each:
    the prior's margin, then the gaps) and how many choices built them."""

    user: str
    weights: list[float]
    updates: int
    choices: list[list[float]]
    ranked: dict[str, list[str]] = field(default_factory=dict)


def _finite_list(value: Any, length: int) -> list[float] | None:
    if not isinstance(value, list) or len(value) != length:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    out = [float(v) for v in value]
    return out if all(math.isfinite(v) for v in out) else None


class UserProfileStore:
    """Profiles of many users, thread- and process-safe (see the module docstring).

    Args:
        path: JSON file to load from and write to (created on the first update), or
            ``None`` to keep profiles in memory.
        dim: ``D``, the length of a profile's weights (the model's
            :attr:`~mom_micro.rewards.MixtureRewardModel.user_dim`); a file made for
            another ``D`` is refused.
        model: the fingerprint of the model the choices belong to
            (:attr:`~mom_micro.rewards.MixtureRewardModel.fingerprint`); a file recorded
            with another model is refused. ``None``: not checked.
        lock_timeout: seconds to wait for another process's update before giving up
            with an error (a held lock is a live process: updates take milliseconds).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        dim: int = 10,
        model: str | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        if not isinstance(dim, int) or dim < 1:
            raise RewardsError(f"a profile store needs dim >= 1, got {dim!r}")
        self.path = Path(path) if path is not None else None
        self.dim = dim
        self.model = model
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._profiles: dict[str, UserProfile] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._file_lock = (
            FileLock(f"{self.path}.lock", timeout=lock_timeout) if self.path is not None else None
        )
        with self._lock:
            self._refresh()

    # reading ------------------------------------------------------------------------
    def _file_stamp(self) -> tuple[int, int, int] | None:
        assert self.path is not None
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _refresh(self, force: bool = False) -> None:
        """Re-read the file if another writer changed it, or always with ``force`` (the
        caller holds ``_lock``). The stamp (inode, mtime, size) spares re-reading an
        unchanged file on every query; an update re-reads regardless, so that a change
        within one mtime tick can never be missed."""
        if self.path is None:
            return
        stamp = self._file_stamp()
        if stamp == self._stamp and not force:
            return
        self._profiles = self._read(self.path) if stamp is not None else {}
        self._stamp = stamp

    def _read(self, path: Path) -> dict[str, UserProfile]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise RewardsError(f"profile store {path} is not UTF-8 text: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise RewardsError(f"profile store {path} is not valid JSON: {exc}") from exc
        fmt = data.get("format") if isinstance(data, dict) else None
        if fmt in OLD_FORMATS:
            raise RewardsError(
                f"profile store {path} is in the old format {fmt} (Hedge multipliers, without "
                "the recorded choices the online update needs); it was left as it is: move it "
                "away and record the users' choices again"
            )
        if fmt != FORMAT or not isinstance(data.get("users"), dict):
            raise RewardsError(f"{path} is not a mom-micro profile store ({FORMAT})")
        if data.get("dim") != self.dim:
            raise CheckpointMismatchError(
                f"profile store {path} holds profiles of dim {data.get('dim')!r}, "
                f"the model's are of dim {self.dim}"
            )
        recorded_with = data.get("model")
        if self.model is not None and recorded_with is not None and recorded_with != self.model:
            raise CheckpointMismatchError(
                f"profile store {path} was recorded with model {recorded_with}, not with this "
                f"model ({self.model}); use a new profile file for a new model"
            )
        if self.model is None:
            self.model = recorded_with
        return {user: self._entry(path, user, entry) for user, entry in data["users"].items()}

    def _entry(self, path: Path, user: str, entry: Any) -> UserProfile:
        def bad(what: str) -> RewardsError:
            return RewardsError(f"profile store {path}: user {user!r} has {what}")

        if not isinstance(entry, dict):
            raise bad(f"an entry that is a {type(entry).__name__}, not an object")
        weights = _finite_list(entry.get("weights"), self.dim)
        if weights is None:
            raise bad(f"no list of {self.dim} finite 'weights'")
        updates = entry.get("updates")
        if not isinstance(updates, int) or isinstance(updates, bool) or updates < 0:
            raise bad("no count of 'updates' (a whole number >= 0)")
        raw = entry.get("choices")
        if not isinstance(raw, list) or len(raw) != updates:
            raise bad(f"'choices' that are not a list of {updates} (its 'updates')")
        choices = [_finite_list(c, 1 + self.dim) for c in raw]
        if any(c is None for c in choices):
            raise bad(f"a choice that is not {1 + self.dim} finite numbers")
        ranked = entry.get("ranked", {})
        if not isinstance(ranked, dict) or not all(
            isinstance(r, list) and all(isinstance(t, str) for t in r) for r in ranked.values()
        ):
            raise bad("'ranked' that is not an object of response lists")
        return UserProfile(user, weights, updates, [c for c in choices if c is not None], ranked)

    # writing ------------------------------------------------------------------------
    def _write(self) -> None:
        assert self.path is not None
        payload: dict[str, Any] = {
            "format": FORMAT,
            "dim": self.dim,
            "model": self.model,
            "users": {
                u: {"weights": p.weights, "updates": p.updates, "choices": p.choices}
                | ({"ranked": p.ranked} if p.ranked else {})
                for u, p in sorted(self._profiles.items())
            },
        }
        atomic_write_text(self.path, json.dumps(payload))
        self._stamp = self._file_stamp()

    def _change(self, user: str, change: Callable[[UserProfile], UserProfile]) -> UserProfile:
        """Apply ``change`` to ``user``'s profile (an empty one for a new user) under both
        locks: the file is re-read first and written after, so nothing another thread or
        process wrote in between is lost."""
        if not isinstance(user, str) or not user.strip():
            raise RewardsError(f"a user is a non-empty name, got {user!r}")

        def apply() -> UserProfile:
            old = self._profiles.get(user) or UserProfile(user, [0.0] * self.dim, 0, [])
            self._profiles[user] = profile = change(old)
            return profile

        with self._lock:
            if self._file_lock is None:
                return apply()
            try:
                with self._file_lock:
                    self._refresh(force=True)
                    profile = apply()
                    self._write()
                    return profile
            except Timeout as exc:
                raise RewardsError(
                    f"profile store {self.path}: another process held {self._file_lock.lock_file} "
                    f"for more than {self.lock_timeout:.0f} s"
                ) from exc

    def update(self, user: str, choice: Sequence[float], fit: ProfileFit) -> UserProfile:
        """Add one choice ``[m_prior, gap_1, ..., gap_D]`` to ``user``'s profile and refit
        their weights with ``fit`` over all their choices (see :meth:`_change`)."""
        row = _finite_list([float(v) for v in choice], 1 + self.dim)
        if row is None:
            raise RewardsError(f"a choice is {1 + self.dim} finite numbers, got {len(choice)}")

        def add(old: UserProfile) -> UserProfile:
            choices = [*old.choices, row]
            weights = [float(w) for w in fit(torch.tensor(choices, dtype=torch.float64))]
            if len(weights) != self.dim or not all(math.isfinite(w) for w in weights):
                raise RewardsError(f"the online fit gave {len(weights)} weights, not {self.dim}")
            return replace(old, weights=weights, updates=len(choices), choices=choices)

        return self._change(user, add)

    def note_ranking(self, user: str, prompt: str, responses: Sequence[str]) -> None:
        """Remember that ``responses`` were ranked for ``user`` and ``prompt`` (the last
        :data:`RANKINGS_KEPT` prompts are kept), for :meth:`was_ranked`."""

        def note(old: UserProfile) -> UserProfile:
            ranked = {p: r for p, r in old.ranked.items() if p != prompt}
            ranked[prompt] = list(responses)
            return replace(old, ranked=dict(list(ranked.items())[-RANKINGS_KEPT:]))

        self._change(user, note)

    def was_ranked(self, user: str, prompt: str, response: str) -> bool:
        """Whether ``response`` was among those ranked for ``user`` and ``prompt``."""
        profile = self.get(user)
        return profile is not None and response in profile.ranked.get(prompt, [])

    # queries ------------------------------------------------------------------------
    def get(self, user: str) -> UserProfile | None:
        """The user's profile, or ``None`` for a user the store has not seen."""
        with self._lock:
            self._refresh()
            return self._profiles.get(user)

    def weights(self, user: str) -> torch.Tensor:
        """The user's weights ``beta`` (zeros for a new user), shape ``(dim,)``."""
        profile = self.get(user)
        if profile is None:
            return torch.zeros(self.dim)
        return torch.tensor(profile.weights, dtype=torch.float32)

    def users(self) -> list[str]:
        """Users the store has seen (a choice or a ranking), sorted."""
        with self._lock:
            self._refresh()
            return sorted(self._profiles)

    def __len__(self) -> int:
        return len(self.users())
