"""A Milvus-protocol server on loopback for a test: Milvus Lite's own gRPC server
(``python -m milvus_lite server``), the one that needs no Docker. It speaks the protocol
pymilvus speaks to a Milvus server, so the server path of the Milvus location (no
Milvus Lite file lock, several clients at once, a server that dies) runs in the tests; it
is not a Milvus standalone (which, for one, refuses ``-`` in collection names)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mom_micro.retrievers.storage.milvus_store import MilvusUnavailable, connect_milvus
from tests.support.chroma_server import HOST, stop_process

__all__ = ["MilvusServer"]


class MilvusServer:
    """``python -m milvus_lite server`` on ``HOST:port``, started and stopped by the test."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.uri = f"http://{HOST}:{port}"
        self.cmd = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data_dir),
                    "--host", HOST, "--port", str(port)]  # fmt: skip
        self.log = data_dir.with_suffix(".log")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"milvus_lite server exited: {self.log.read_text()[-2000:]}")
            try:
                connect_milvus(self.uri, timeout=2.0).close()
                return
            except MilvusUnavailable:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"the Milvus Lite server did not answer within {timeout}s")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
