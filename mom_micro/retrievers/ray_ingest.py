"""Reading and embedding on Ray workers, storing through the index's one journaled writer.

An ingest spends nearly all its time in the memory reader and the embedding model; the
store is a small share. :class:`RayIngest` moves the first two onto Ray actors: each of
``workers`` actors (``cpus_per_worker`` CPUs each) holds a copy of the index's
:class:`~mom_micro.retrievers.storage.writer.GroupReader` -- the memory reader and the
embedding model, nothing of the index -- and reads and embeds groups of documents. Each
group read comes back to the process that holds the index's write lock, which stores it
as one journaled write (:class:`~mom_micro.retrievers.storage.IndexWriter`), so the
index ends up exactly as after a single-process ingest: the same units under the same
ids, one writer, one journal.

- **Balanced:** the writer's groups are cut into pieces of ``ceil(g / (workers *
  GROUPS_PER_WORKER))`` documents (``g``: the first group's size), so that a group
  keeps every worker busy (23 documents in groups of 16 would keep one of two workers
  idle for most of the ingest).
- **Streamed:** each worker has at most two groups at once (one being read, one
  waiting), and a worker gets its next group when one of its results comes back; each
  result is stored and dropped here, so this process holds a few groups, never the
  corpus's vectors.
- **Faults:** a worker that dies (killed, out of memory) is restarted by Ray and its
  group read again (``max_restarts``); a worker's failure that is the reader's own
  (a malformed document, an LLM error) is raised here, after the groups stored before
  it. A killed client leaves at most its in-flight writes in the journal, which the next
  write or ``repair`` rolls back, and a rerun skips every document already stored.
- **Where:** the cluster at ``address``, else the ``RAY_ADDRESS`` environment variable,
  else a local Ray started for the ingest (and shut down after it).

Why Ray Core actors and not ``llama-index-ingestion-ray``: its ``RayIngestionPipeline``
runs LlamaIndex transform components over a ``ray.data`` dataset and returns every node
at the end (``take_all``), so the whole corpus's nodes and vectors sit in one process, and
the memories and rejected documents our writer records would not come back with them.

Example:
    >>> ingest = RayIngest(workers=2, cpus_per_worker=1)
    >>> ingest.workers, ingest.cpus_per_worker
    (2, 1)
    >>> index.add_documents(docs, ray=ingest)      # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from llama_index.core.schema import Document

from mom_micro.errors import MomMicroError

from .storage.writer import GroupReader, ReadGroup

__all__ = ["GROUPS_PER_WORKER", "RayIngest", "RayUnavailable", "spread_groups"]

#: Groups each worker gets at least, when there are documents enough.
GROUPS_PER_WORKER = 4


class RayUnavailable(MomMicroError, ConnectionError):
    """Ray is not installed, or the cluster at the given address cannot be reached."""


@dataclass(frozen=True)
class RayIngest:
    """Read and embed an ingest's documents on Ray actors (see the module docstring).

    Args:
        workers: actors reading and embedding at once.
        cpus_per_worker: CPUs Ray reserves for each actor; the actor's torch and ONNX
            threads are set to this number.
        address: the Ray cluster (default: ``RAY_ADDRESS``, else a local one).
        max_restarts: times a dead worker is restarted and its group read again.
    """

    workers: int = 2
    cpus_per_worker: float = 1.0
    address: str | None = None
    max_restarts: int = 2

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"RayIngest needs at least one worker, got {self.workers}")
        if self.cpus_per_worker <= 0:
            raise ValueError(f"cpus_per_worker must be > 0, got {self.cpus_per_worker}")

    def __call__(
        self, reader: GroupReader, groups: Iterable[list[Document]]
    ) -> Iterator[ReadGroup]:
        """Each of ``groups`` (taken as they come) read and embedded by ``reader`` on the
        workers, in the order they finish (the ``read_groups`` of
        :meth:`~mom_micro.retrievers.storage.IndexWriter.write`); Ray is started only
        once there is a group to read."""
        pieces = spread_groups(groups, self.workers)
        first = next(pieces, None)
        if first is None:
            return
        ray = _ray()
        started = self._connect(ray)
        try:
            yield from self._run(ray, reader, itertools.chain([first], pieces))
        finally:
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join the cluster (True when this call started a local Ray, to shut down after)."""
        address = self.address or os.environ.get("RAY_ADDRESS")
        if address:
            _check_reachable(address)
        if ray.is_initialized():
            return False
        try:
            ray.init(
                address=address,
                num_cpus=None if address else max(int(self.workers * self.cpus_per_worker), 1),
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
            )
        except ConnectionError as err:
            raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {err}") from None
        return True

    def _run(
        self, ray: Any, reader: GroupReader, groups: Iterator[list[Document]]
    ) -> Iterator[ReadGroup]:
        worker_class = ray.remote(_GroupWorker).options(
            num_cpus=self.cpus_per_worker,
            max_restarts=self.max_restarts,
            max_task_retries=self.max_restarts,
        )
        threads = max(int(self.cpus_per_worker), 1)
        actors = [worker_class.remote(reader, threads) for _ in range(self.workers)]
        pending = groups
        running: dict[Any, Any] = {}  # a group's result -> the actor reading it

        def send(actor: Any) -> None:
            group = next(pending, None)
            if group is not None:
                running[actor.read.remote(group)] = actor

        for actor in actors * 2:  # two groups per worker: one read, one waiting
            send(actor)
        try:
            while running:
                done, _ = ray.wait(list(running), num_returns=1)
                actor = running.pop(done[0])
                result = ray.get(done[0])
                send(actor)
                yield result
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            for actor in actors:
                ray.kill(actor)


class _GroupWorker:
    """A Ray actor holding one :class:`GroupReader`, with its threads set to its CPUs."""

    def __init__(self, reader: GroupReader, threads: int) -> None:
        import torch

        os.environ["OMP_NUM_THREADS"] = str(threads)
        torch.set_num_threads(threads)
        self.reader = reader

    def read(self, documents: list[Document]) -> ReadGroup:
        return self.reader(documents)


def spread_groups(groups: Iterable[list[Document]], workers: int) -> Iterator[list[Document]]:
    """``groups`` cut, in order and as they come, into pieces of at most ``ceil(g /
    (workers * GROUPS_PER_WORKER))`` documents, ``g`` the first group's size.

    Example:
        >>> from llama_index.core.schema import Document
        >>> docs = [Document(text=str(i), id_=str(i)) for i in range(23)]
        >>> [len(g) for g in spread_groups([docs[:16], docs[16:]], workers=2)]
        [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]
        >>> [len(g) for g in spread_groups([docs[:2]], workers=8)]
        [1, 1]
    """
    size = 0
    for group in groups:
        size = size or max(1, math.ceil(len(group) / (workers * GROUPS_PER_WORKER)))
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in one line when nothing listens at ``address`` (``host:port`` or
    ``ray://host:port``): Ray itself retries an unreachable cluster for minutes."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "local": Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as err:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {err}") from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            "ingest on Ray needs the ray package: pip install 'mom-micro[scale]'"
        ) from None
    return ray
