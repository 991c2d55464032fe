"""The integration tests: the real offline models (MiniLM, SmolLM2), Chroma, a Chroma
server and the command line, end to end. All are marked ``slow``; ``make test`` runs
them, ``make test-unit`` does not. The ``chroma_server`` fixture runs a real ``chroma
run`` on loopback for one test."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.support.chroma_server import ChromaServer, free_port


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def chroma_server(tmp_path):
    if not (Path(sys.executable).with_name("chroma").exists() or shutil.which("chroma")):
        pytest.skip("the `chroma` CLI (chromadb package) is not installed")
    server = ChromaServer(tmp_path / "chroma-data", free_port())
    server.start()
    yield server
    server.stop()
