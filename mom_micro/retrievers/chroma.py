"""Chroma connections for the memory index: embedded (a folder) or a server (host:port).

A server that is down or hung gives :class:`ChromaServerUnavailable` naming ``host:port``
within ``timeout`` seconds instead of hanging (chromadb's own HTTP client waits forever).
"""

from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

__all__ = [
    "COSINE_SPACE",
    "ChromaServerUnavailable",
    "chroma_distance_to_cosine",
    "client_settings",
    "connect_chroma_server",
    "ephemeral_client",
    "open_chroma_path",
]

#: Collections the index creates use cosine distance, so scores are plain cosines.
COSINE_SPACE = {"hnsw:space": "cosine"}


class ChromaServerUnavailable(MomMicroError, ConnectionError):
    """The Chroma server at host:port did not answer (down, wrong port, or hung)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host, self.port = host, port
        super().__init__(
            f"Chroma server at {host}:{port} is not reachable ({reason}); start it with "
            f"`chroma run --host {host} --port {port} --path <folder>` or fix the address"
        )


def client_settings() -> Any:
    """The settings of every Chroma client the package opens: no telemetry, no reset."""
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def ephemeral_client() -> Any:
    """An in-memory ``chromadb.EphemeralClient`` (nothing is written to disk)."""
    import chromadb

    return chromadb.EphemeralClient(settings=client_settings())


def open_chroma_path(path: str | Path) -> Any:
    """An embedded ``chromadb.PersistentClient`` storing its files under ``path``.

    The path is made absolute first: Chroma caches its clients by the path string, so
    ``"./idx"`` opened from two working folders would otherwise share one client and
    write into the wrong database.
    """
    import chromadb

    path = Path(path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings())


def connect_chroma_server(host: str, port: int, timeout: float = 5.0) -> Any:
    """A ``chromadb.HttpClient`` for a running server, with ``timeout`` on every request.

    Raises:
        ChromaServerUnavailable: nothing listens at ``host:port`` or it does not answer
            a heartbeat within ``timeout`` seconds.
    """
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ChromaServerUnavailable(host, port, exc.strerror or str(exc) or "timed out") from exc
    import chromadb
    import httpx

    try:  # chromadb's client talks to the server while it is built, with no timeout
        for version in ("v2", "v1"):
            response = httpx.get(
                f"http://{host}:{int(port)}/api/{version}/heartbeat", timeout=timeout
            )
            if response.status_code != 404:
                break
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ChromaServerUnavailable(host, port, f"{type(exc).__name__}: {exc}") from exc
    try:
        client = chromadb.HttpClient(host=host, port=int(port), settings=client_settings())
        # The one private seam into Chroma, kept on purpose: chromadb (1.5) builds its
        # HTTP session with timeout=None and offers no setting for it (its Settings only
        # carry server-side timeouts), so a hung server would block forever. Where the
        # session is not there (another chromadb version), the heartbeat check above
        # still bounds the connection.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = httpx.Timeout(timeout)
        client.heartbeat()
    except ChromaServerUnavailable:
        raise
    except Exception as exc:  # httpx / chromadb errors vary by version
        raise ChromaServerUnavailable(host, port, f"{type(exc).__name__}: {exc}") from exc
    return client


def chroma_distance_to_cosine(similarity: float, space: str = "cosine") -> float:
    """Undo ``ChromaVectorStore``'s ``similarity = exp(-distance)`` and return the cosine.

    For ``cosine`` space ``distance = 1 - cos``; for ``l2`` (unit vectors) ``distance =
    |a-b|^2 = 2 - 2 cos``; for ``ip`` ``distance = 1 - <a, b>``.

    Example:
        >>> round(chroma_distance_to_cosine(math.exp(-0.25)), 6)
        0.75
        >>> round(chroma_distance_to_cosine(math.exp(-0.5), "l2"), 6)
        0.75
    """
    distance = -math.log(max(similarity, 1e-300))
    if space == "l2":
        return 1.0 - distance / 2.0
    return 1.0 - distance
