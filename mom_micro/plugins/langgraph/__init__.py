"""LangGraph adapters: users' MiCRo profiles in a LangGraph store, and a graph node that
ranks candidate answers in the state for the user in the runtime context."""

from .profiles import (
    CHOICES_NAMESPACE,
    PROFILES_NAMESPACE,
    Profiles,
    StoreProfiles,
    delete_profile,
    reset_profile,
    show_profile,
)

__all__ = [
    "CHOICES_NAMESPACE",
    "PROFILES_NAMESPACE",
    "Profiles",
    "StoreProfiles",
    "delete_profile",
    "reset_profile",
    "show_profile",
]
