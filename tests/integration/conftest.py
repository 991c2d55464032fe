"""The integration tests: the real offline models (MiniLM, SmolLM2), Chroma, a Chroma
server and the command line, end to end. All are marked ``slow``; ``make test`` runs
them, ``make test-unit`` does not."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
