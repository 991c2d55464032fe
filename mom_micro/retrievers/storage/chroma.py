"""Chroma connections for the memory index: embedded (a folder) or a server (host:port).

A server that is down or hung gives :class:`ChromaServerUnavailable` naming ``host:port``
within ``timeout`` seconds instead of hanging (chromadb's own HTTP client waits forever).
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

from .errors import StoreUnavailable

__all__ = [
    "COSINE_SPACE",
    "ChromaServerUnavailable",
    "ChromaServerUnsupported",
    "InvalidIndexName",
    "check_index_name",
    "chroma_distance_to_cosine",
    "client_settings",
    "collection_name",
    "connect_chroma_server",
    "ephemeral_client",
    "index_names",
    "open_chroma_path",
    "reporting_server_errors",
]

#: Collections the index creates use cosine distance, so scores are plain cosines.
COSINE_SPACE = {"hnsw:space": "cosine"}


class ChromaServerUnavailable(StoreUnavailable):
    """The Chroma server at host:port did not answer (down, wrong port, or hung)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host, self.port = host, port
        super().__init__(
            "Chroma server",
            f"{host}:{port}",
            reason,
            f"start it with `chroma run --host {host} --port {port} --path <folder>` or "
            "fix the address",
        )


class ChromaServerUnsupported(MomMicroError, ConnectionError):
    """The Chroma server speaks another major version than the installed chromadb."""

    def __init__(self, host: str, port: int, version: str) -> None:
        import chromadb

        self.host, self.port, self.version = host, port, version
        super().__init__(
            f"Chroma server at {host}:{port} runs chromadb {version}, which this client "
            f"(chromadb {chromadb.__version__}) cannot use: run a chromadb "
            f"{chromadb.__version__.split('.')[0]}.x server (`pip install "
            f"'chromadb=={chromadb.__version__}'`, then `chroma run`)"
        )


class InvalidIndexName(MomMicroError, ValueError):
    """An index name Chroma would refuse in a collection name."""


_INDEX_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")


def check_index_name(name: str) -> str:
    """``name`` if it can name an index: 1-63 letters, digits, ``_`` or ``-``, starting
    and ending with a letter or digit (it becomes part of Chroma collection names).

    Example:
        >>> check_index_name("papers-2025")
        'papers-2025'
        >>> check_index_name("my papers")
        Traceback (most recent call last):
        ...
        mom_micro.retrievers.storage.chroma.InvalidIndexName: index name 'my papers' is not allowed: use 1-63 letters, digits, '_' or '-', starting and ending with a letter or digit
    """
    if not isinstance(name, str) or not _INDEX_NAME.fullmatch(name):
        raise InvalidIndexName(
            f"index name {name!r} is not allowed: use 1-63 letters, digits, '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name


def collection_name(index: str, part: str) -> str:
    """The Chroma collection of one part (a layer, or ``catalog``) of index ``index``.

    Example:
        >>> collection_name("papers", "chunk")
        'mom-papers-chunk'
    """
    return f"mom-{check_index_name(index)}-{part}"


#: The catalog collections' names: ``mom-<index>-catalog``.
_CATALOG = re.compile(r"mom-(?P<index>.+)-catalog")


def index_names(client: Any) -> list[str]:
    """The names of the memory indexes in a Chroma ``client`` (those with a catalog)."""
    names = []
    for collection in client.list_collections():
        name = getattr(collection, "name", collection)
        match = _CATALOG.fullmatch(str(name))
        if match:
            names.append(match["index"])
    return sorted(names)


@contextmanager
def reporting_server_errors(server: tuple[str, int] | None) -> Iterator[None]:
    """Turn a lost connection to the Chroma server ``server`` into
    :class:`ChromaServerUnavailable` (other errors pass through)."""
    try:
        yield
    except ChromaServerUnavailable:
        raise
    except Exception as exc:
        import httpx

        if server is not None and isinstance(exc, (httpx.TransportError, ConnectionError)):
            raise ChromaServerUnavailable(*server, f"{type(exc).__name__}: {exc}") from exc
        raise


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
        ChromaServerUnsupported: the server runs another major chromadb version.
    """
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ChromaServerUnavailable(host, port, exc.strerror or str(exc) or "timed out") from exc
    import chromadb
    import httpx

    base = f"http://{host}:{int(port)}/api"
    try:  # chromadb's client talks to the server while it is built, with no timeout
        response = httpx.get(f"{base}/v2/heartbeat", timeout=timeout)
        if response.status_code == 404:
            old = httpx.get(f"{base}/v1/version", timeout=timeout)
            version = old.text.strip('"') if old.status_code == 200 else "unknown"
            raise ChromaServerUnsupported(host, port, version)
        response.raise_for_status()
        version = httpx.get(f"{base}/v2/version", timeout=timeout).text.strip().strip('"')
    except httpx.HTTPError as exc:
        raise ChromaServerUnavailable(host, port, f"{type(exc).__name__}: {exc}") from exc
    if version.split(".")[0] != chromadb.__version__.split(".")[0]:
        raise ChromaServerUnsupported(host, port, version)
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
    except (ChromaServerUnavailable, ChromaServerUnsupported):
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
