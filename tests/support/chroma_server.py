"""A real Chroma server (``chroma run`` from the chromadb package) on loopback, started,
restarted and stopped by a test: :class:`~mom_micro.bench.chroma_run.LocalChromaServer`,
its failures reported as the test's."""

from __future__ import annotations

import pytest

from mom_micro.bench.chroma_run import (
    HOST,
    ChromaRunFailed,
    LocalChromaServer,
    free_port,
    stop_process,
)

__all__ = ["HOST", "ChromaServer", "free_port", "stop_process"]


class ChromaServer(LocalChromaServer):
    """``chroma run`` on loopback, started and stopped by the test; a server that does
    not come up fails the test with the end of its log."""

    def start(self, timeout: float = 60.0) -> None:
        try:
            super().start(timeout)
        except ChromaRunFailed as exc:
            pytest.fail(str(exc))
