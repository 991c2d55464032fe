"""LangGraph adapters: users' MiCRo profiles in a LangGraph store, and a graph node that
ranks candidate answers in the state for the user in the runtime context."""

from .node import RankCandidates
from .profiles import (
    CHOICES_NAMESPACE,
    PROFILES_NAMESPACE,
    Profiles,
    StoreProfiles,
    delete_profile,
    reset_profile,
    show_profile,
)
from .runtime import prompt_of, ranker_for_store, record_choice_for, who_is_asking

__all__ = [
    "CHOICES_NAMESPACE",
    "PROFILES_NAMESPACE",
    "Profiles",
    "RankCandidates",
    "StoreProfiles",
    "delete_profile",
    "prompt_of",
    "ranker_for_store",
    "record_choice_for",
    "reset_profile",
    "show_profile",
    "who_is_asking",
]
