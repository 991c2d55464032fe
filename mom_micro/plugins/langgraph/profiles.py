"""Users' online MiCRo profiles in a LangGraph store (``InMemoryStore``, ``SqliteStore``,
``PostgresStore``, any ``BaseStore``), so an agent's long-term memory keeps them.

Layout (JSON values, no pickle):

- ``("mom_micro", "profiles")``, key the user id: the user's profile, ``{"format",
  "model", "dim", "weights", "updates", "choices", "ranked"}`` (what
  ``mom-micro reward profile show`` prints).
- ``("mom_micro", "choices")``, one item per recorded choice (a fresh key each):
  ``{"user", "choice"}``, the choice as the online fit reads it
  (:mod:`mom_micro.rewards.online`).

No choice is lost when several processes record at once: a store has no
read-modify-write transaction, so each choice is its own item (a put never overwrites
another's) and the profile is refitted from all of the user's choice items; a profile
whose ``updates`` differs from the number of choice items (another process recorded in
between) is refitted when it is next read. Two processes recording 20 choices each for
one user keep 40.

Example:
    >>> from langgraph.store.memory import InMemoryStore
    >>> profiles = StoreProfiles(InMemoryStore(), dim=2, heads=2)
    >>> profiles.weights("ana").tolist()        # a new user: the population model
    [0.0, 0.0]
    >>> delete_profile(profiles.store, "ana")
    False
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

from langgraph.store.base import BaseStore, Item

from mom_micro.rewards import RewardsError, UserProfile, UserProfileStore
from mom_micro.rewards.online import DEFAULT_L2, fit_user_weights
from mom_micro.rewards.profiles import FORMAT, RANKINGS_KEPT, ProfileFit

__all__ = [
    "CHOICES_NAMESPACE",
    "PROFILES_NAMESPACE",
    "Profiles",
    "StoreProfiles",
    "delete_profile",
    "reset_profile",
    "show_profile",
]

#: Where the profiles are: one item per user, keyed by the user id.
PROFILES_NAMESPACE = ("mom_micro", "profiles")
#: Where the recorded choices are: one item per choice, ``{"user", "choice"}``.
CHOICES_NAMESPACE = ("mom_micro", "choices")
_PAGE = 1000


def _check_user(user: str) -> None:
    if not isinstance(user, str) or not user.strip():
        raise RewardsError(f"a user is a non-empty name, got {user!r}")


def _choice_items(store: BaseStore, user: str) -> list[Item]:
    """Every choice item of ``user``, oldest first."""
    items: list[Item] = []
    while True:
        page = store.search(
            CHOICES_NAMESPACE, filter={"user": user}, limit=_PAGE, offset=len(items)
        )
        items.extend(page)
        if len(page) < _PAGE:
            return sorted(items, key=lambda item: (item.created_at, item.key))


class StoreProfiles(UserProfileStore):
    """A :class:`~mom_micro.rewards.UserProfileStore` kept in a LangGraph ``BaseStore``
    (see the module docstring): set it as a model's ``profiles`` and the model's
    rankings and recorded choices use the store.

    Args:
        store: the LangGraph store (the agent's ``runtime.store``).
        dim: ``D``, the model's :attr:`~mom_micro.rewards.MixtureRewardModel.user_dim`.
        heads: how many of the ``D`` entries are head rewards (the model's ``n_heads``),
            for refitting a profile that another process left behind its choices.
        model: the model's fingerprint; a profile recorded with another model is refused.
        l2: the online fit's penalty when refitting such a profile.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> StoreProfiles(InMemoryStore(), dim=3, heads=2).users()
        []
    """

    def __init__(
        self,
        store: BaseStore,
        dim: int,
        heads: int,
        model: str | None = None,
        l2: float = DEFAULT_L2,
    ) -> None:
        super().__init__(None, dim=dim, model=model)
        self.store = store
        self.heads = heads
        self.l2 = l2
        self._write_lock = threading.RLock()

    @classmethod
    def for_model(cls, store: BaseStore, model: Any) -> StoreProfiles:
        """The store's profiles for a :class:`~mom_micro.rewards.MixtureRewardModel`."""
        return cls(store, dim=model.user_dim, heads=model.config.n_heads, model=model.fingerprint)

    def _profile(self, user: str, value: dict[str, Any]) -> UserProfile:
        recorded_with = value.get("model")
        if self.model is not None and recorded_with is not None and recorded_with != self.model:
            raise RewardsError(
                f"the store's profile of {user!r} was recorded with model {recorded_with}, "
                f"not with this model ({self.model}); reset it for the new model"
            )
        if value.get("format") != FORMAT or value.get("dim") != self.dim:
            raise RewardsError(
                f"the store's profile of {user!r} is not a {FORMAT} profile of dim {self.dim}"
            )
        return self._entry(self.store_label, user, value)  # type: ignore[arg-type]

    @property
    def store_label(self) -> str:
        """How errors name the store."""
        return f"{type(self.store).__name__} {PROFILES_NAMESPACE}"

    def _put(self, profile: UserProfile) -> UserProfile:
        value = {
            "format": FORMAT,
            "model": self.model,
            "dim": self.dim,
            "weights": profile.weights,
            "updates": profile.updates,
            "choices": profile.choices,
            "ranked": profile.ranked,
        }
        self.store.put(PROFILES_NAMESPACE, profile.user, value)
        return profile

    def _refit(self, old: UserProfile, fit: ProfileFit) -> UserProfile:
        """``old`` refitted on every choice item of its user in the store."""
        import torch

        rows = [list(item.value["choice"]) for item in _choice_items(self.store, old.user)]
        if not rows:
            return self._put(replace(old, weights=[0.0] * self.dim, updates=0, choices=[]))
        weights = [float(w) for w in fit(torch.tensor(rows, dtype=torch.float64))]
        if len(weights) != self.dim:
            raise RewardsError(f"the online fit gave {len(weights)} weights, not {self.dim}")
        return self._put(replace(old, weights=weights, updates=len(rows), choices=rows))

    def _default_fit(self, rows: Any) -> Sequence[float]:
        return fit_user_weights(rows, self.l2, self.heads)

    def _stored(self, user: str, item: Item | None = None) -> UserProfile:
        """The profile ``item`` (read from the store when not given) as written; an
        empty profile where there is none."""
        item = item or self.store.get(PROFILES_NAMESPACE, user)
        if item is None:
            return UserProfile(user, [0.0] * self.dim, 0, [])
        return self._profile(user, dict(item.value))

    def get(self, user: str) -> UserProfile | None:
        """The user's profile (refitted if another process recorded since it was
        written), or ``None`` for a user the store has not seen."""
        _check_user(user)
        item = self.store.get(PROFILES_NAMESPACE, user)
        recorded = len(_choice_items(self.store, user))
        if item is None and not recorded:
            return None
        profile = self._stored(user, item)
        if profile.updates == recorded:
            return profile
        with self._write_lock:
            return self._refit(profile, self._default_fit)

    def users(self) -> list[str]:
        """Users with a profile in the store, sorted."""
        keys: list[str] = []
        while True:
            page = self.store.search(PROFILES_NAMESPACE, limit=_PAGE, offset=len(keys))
            keys.extend(item.key for item in page if item.namespace == PROFILES_NAMESPACE)
            if len(page) < _PAGE:
                return sorted(keys)

    def update(self, user: str, choice: Sequence[float], fit: ProfileFit) -> UserProfile:
        """Add one choice to the store (an item of its own) and refit the user's weights
        with ``fit`` over all their choice items."""
        _check_user(user)
        row = [float(v) for v in choice]
        if len(row) != 1 + self.dim:
            raise RewardsError(f"a choice is {1 + self.dim} finite numbers, got {len(row)}")
        self.store.put(CHOICES_NAMESPACE, uuid.uuid4().hex, {"user": user, "choice": row})
        with self._write_lock:
            return self._refit(self._stored(user), fit)

    def _change(self, user: str, change: Callable[[UserProfile], UserProfile]) -> UserProfile:
        """Apply ``change`` to the stored profile (its noted rankings)."""
        _check_user(user)
        with self._write_lock:
            old = self.get(user) or UserProfile(user, [0.0] * self.dim, 0, [])
            changed = change(old)
            kept = dict(list(changed.ranked.items())[-RANKINGS_KEPT:])
            return self._put(replace(changed, ranked=kept))


#: Where a user's profile is kept: an agent's LangGraph store, or a profile store of
#: mom-micro's own (a JSON file or memory; a :class:`StoreProfiles` is its LangGraph store).
Profiles = BaseStore | UserProfileStore


def _store_of(profiles: Profiles) -> BaseStore | None:
    if isinstance(profiles, StoreProfiles):
        return profiles.store
    return profiles if isinstance(profiles, BaseStore) else None


def show_profile(profiles: Profiles, user: str) -> dict[str, Any] | None:
    """What is kept on ``user`` ("what do you know about me"): the profile's weights,
    recorded choices and noted rankings (in a LangGraph store also the number of choice
    items), or ``None`` for a user never seen.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> show_profile(InMemoryStore(), "ana") is None
        True
    """
    _check_user(user)
    store = _store_of(profiles)
    if store is None:
        assert isinstance(profiles, UserProfileStore)
        profile = profiles.get(user)
        return None if profile is None else asdict(profile)
    item = store.get(PROFILES_NAMESPACE, user)
    choices = _choice_items(store, user)
    if item is None and not choices:
        return None
    return {**(dict(item.value) if item is not None else {}), "recorded_choices": len(choices)}


def delete_profile(profiles: Profiles, user: str) -> bool:
    """Forget ``user`` ("forget me"): their profile and every recorded choice; whether
    anything was kept on them."""
    _check_user(user)
    store = _store_of(profiles)
    if store is None:
        assert isinstance(profiles, UserProfileStore)
        return _delete_from_file_store(profiles, user)
    choices = _choice_items(store, user)
    found = store.get(PROFILES_NAMESPACE, user) is not None or bool(choices)
    for item in choices:
        store.delete(CHOICES_NAMESPACE, item.key)
    store.delete(PROFILES_NAMESPACE, user)
    return found


def _delete_from_file_store(profiles: UserProfileStore, user: str) -> bool:
    """Drop ``user`` from a profile store of mom-micro's own, under its locks (the file
    is re-read first and written atomically, as every update of it is)."""
    with profiles._lock:
        if profiles._file_lock is None:
            return profiles._profiles.pop(user, None) is not None
        with profiles._file_lock:
            profiles._refresh(force=True)
            found = profiles._profiles.pop(user, None) is not None
            if found:
                profiles._write()
            return found


def reset_profile(profiles: Profiles, user: str) -> bool:
    """Reset ``user`` to the population model: their choices and noted rankings go, the
    user stays known with zero weights; whether they had a profile.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> reset_profile(InMemoryStore(), "ana")
        False
    """
    _check_user(user)
    store = _store_of(profiles)
    if store is None:
        assert isinstance(profiles, UserProfileStore)
        if profiles.get(user) is None:
            return False
        profiles._change(user, lambda old: UserProfile(user, [0.0] * profiles.dim, 0, []))
        return True
    item = store.get(PROFILES_NAMESPACE, user)
    found = delete_profile(store, user)
    if item is not None:
        dim = int(item.value.get("dim") or len(item.value.get("weights") or []))
        value = {**item.value, "weights": [0.0] * dim, "updates": 0, "choices": [], "ranked": {}}
        store.put(PROFILES_NAMESPACE, user, value)
    return found
