"""A real Chroma server (``chroma run`` from the chromadb package) on loopback, started
and stopped by the program that needs one: ``bench scale`` and the tests.

Example:
    >>> with LocalChromaServer(Path("chroma-data"), free_port()) as server:   # doctest: +SKIP
    ...     MemoryIndex.open(index_name="papers", chroma_host=server.host,
    ...                      chroma_port=server.port)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from mom_micro.errors import MomMicroError
from mom_micro.retrievers import ChromaServerUnavailable, connect_chroma_server

__all__ = ["HOST", "ChromaRunFailed", "LocalChromaServer", "free_port", "stop_process"]

HOST = "127.0.0.1"


class ChromaRunFailed(MomMicroError, RuntimeError):
    """``chroma run`` is not installed, exited, or did not answer in time; the message
    says which, with the end of its log."""


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminate a server process this program started (killed if it has not exited in
    20 s); None or an exited process: nothing to do."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on at ``host`` right now.

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _chroma_command() -> str:
    exe = Path(sys.executable).with_name("chroma")
    found = str(exe) if exe.exists() else shutil.which("chroma")
    if found is None:
        raise ChromaRunFailed("the `chroma` command (the chromadb package) is not installed")
    return found


class LocalChromaServer:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT``, its output in
    ``PATH.log``; :meth:`start` returns once the server answers a heartbeat."""

    def __init__(self, path: Path, port: int, host: str = HOST) -> None:
        self.path = Path(path)
        self.host = host
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.log = self.path.with_suffix(".log")

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait for its heartbeat.

        Raises:
            ChromaRunFailed: no ``chroma`` command, the server exited, or it did not
                answer within ``timeout`` seconds (then it is stopped).
        """
        cmd = [_chroma_command(), "run", "--path", str(self.path)]
        cmd += ["--host", self.host, "--port", str(self.port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChromaRunFailed(
                    f"chroma run exited with {self.proc.returncode}: "
                    f"{self.log.read_text(errors='replace')[-2000:]}"
                )
            try:
                connect_chroma_server(self.host, self.port, timeout=2.0)
                return
            except ChromaServerUnavailable:
                time.sleep(0.3)
        self.stop()
        raise ChromaRunFailed(f"chroma run on {self.host}:{self.port} did not answer in {timeout}s")

    def stop(self) -> None:
        """Stop the server (nothing to do when it is not running)."""
        stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        """Stop the server and start it again on the same folder and port."""
        self.stop()
        self.start()

    def __enter__(self) -> LocalChromaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
