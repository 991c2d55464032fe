"""Fixtures of the plugin tests: the small trained MiCRo model (see ``micro_fixtures``)."""

from .micro_fixtures import micro_model, trained_micro, two_users

__all__ = ["micro_model", "trained_micro", "two_users"]
