"""A real Chroma server (``chroma run`` from the chromadb package) on loopback, started,
restarted and stopped by a test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mom_micro.retrievers import ChromaServerUnavailable, connect_chroma_server

HOST = "127.0.0.1"


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminate a test's server process (killed if it has not exited in 20 s)."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ChromaServer:
    """``chroma run`` on loopback, started and stopped by the test."""

    def __init__(self, path: Path, port: int) -> None:
        exe = Path(sys.executable).with_name("chroma")
        self.cmd = [
            str(exe) if exe.exists() else shutil.which("chroma") or "chroma",
            "run",
            "--path",
            str(path),
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.log = path.with_suffix(".log")

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                connect_chroma_server(HOST, self.port, timeout=2.0)
                return
            except ChromaServerUnavailable:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"chroma server did not answer within {timeout}s")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
