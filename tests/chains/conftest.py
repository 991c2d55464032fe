"""Fixtures of the chain tests: the plugin tests' small trained MiCRo model."""

from plugins.micro_fixtures import micro_model, trained_micro, two_users

__all__ = ["micro_model", "trained_micro", "two_users"]
