"""The write journal of an index: one writer at a time in a folder, and every write
that a killed process left behind finished or rolled back.

A write journals itself in the catalog before it stores a vector
(:mod:`~mom_micro.retrievers.storage.catalog`). A journal entry whose write is no longer
running is *recovered*: only the document's committed version of its vectors is kept,
and the entry is dropped. A write is running when this process runs it now, when
another live process on this host owns it, or (owned on another host) when it is
younger than ``stale_after`` seconds. Under a folder's write lock no other process
writes, so there every entry but this process's own is recovered.

Example:
    >>> from mom_micro.retrievers.storage.catalog import JsonCatalog, PendingOperation
    >>> from mom_micro.retrievers.storage.location import index_location
    >>> location = index_location(None)
    >>> parts = location.parts("doctest-journal", create=True)
    >>> journal = Journal(parts.catalog, parts.stores, location)
    >>> parts.catalog.begin(PendingOperation("op1", "a.txt", "write", owner="gone:1"))
    >>> [p.op for p in journal.recover(everything=True)]
    ['op1']
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from .catalog import Catalog, PendingOperation
from .errors import IndexBusy
from .location import IndexLocation
from .stores import LayerStores

__all__ = ["Journal", "hold_lock", "pid_alive"]

logger = logging.getLogger(__name__)

#: The journaled writes this process is running now (never recovered from under it).
_ACTIVE: set[str] = set()


def pid_alive(pid: int) -> bool:
    """Whether a process of this id runs on this host.

    Example:
        >>> pid_alive(os.getpid())
        True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def hold_lock(lock: Any, where: str, timeout: float) -> Iterator[None]:
    """Hold ``lock`` (a ``filelock.FileLock``, or None for no lock) for the block,
    waiting up to ``timeout`` seconds for another process that holds it.

    Raises:
        IndexBusy: another process held it all that time.
    """
    if lock is None:
        yield
        return
    from filelock import Timeout

    try:
        lock.acquire(timeout=0.05)
    except Timeout:
        logger.warning("%s: waiting for another process writing to this index", where)
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise IndexBusy(
                f"{where}: another process has been writing to this index for over "
                f"{timeout:.0f} s (lock {lock.lock_file}); wait for it, or run one writer "
                "at a time"
            ) from exc
    try:
        yield
    finally:
        lock.release()


class Journal:
    """Lock, journal and recovery of one index (module docstring).

    Args:
        catalog: the index's records (the journal entries are among them).
        stores: the index's layers (recovery deletes vectors there).
        location: where the index lives (its lock and its error reporting).
        lock_timeout: seconds a folder writer waits for another writer.
        stale_after: seconds after which a write owned on another host counts as dead.
    """

    def __init__(
        self,
        catalog: Catalog,
        stores: LayerStores,
        location: IndexLocation,
        lock_timeout: float = 600.0,
        stale_after: float = 3600.0,
    ) -> None:
        self.catalog = catalog
        self.stores = stores
        self.location = location
        self.lock_timeout = lock_timeout
        self.stale_after = stale_after
        self.lock = location.lock()

    def locked(self) -> AbstractContextManager[None]:
        """Hold the folder's write lock (if any): :func:`hold_lock`."""
        return hold_lock(self.lock, self.location.where, self.lock_timeout)

    @contextmanager
    def running(self, ops: Iterable[str]) -> Iterator[None]:
        """Mark the writes ``ops`` as running in this process for the block."""
        ops = set(ops)
        _ACTIVE.update(ops)
        try:
            yield
        finally:
            _ACTIVE.difference_update(ops)

    def alive(self, operation: PendingOperation) -> bool:
        """Whether a journaled write may still be running (module docstring)."""
        if operation.op in _ACTIVE:
            return True
        if self.lock is not None:
            return False
        host, _, pid = operation.owner.rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return int(pid) != os.getpid() and pid_alive(int(pid))
        return time.time() - operation.started < self.stale_after

    def recover(self, everything: bool = False) -> list[PendingOperation]:
        """Finish or roll back interrupted writes: for each journal entry of a write that
        is no longer running (``everything``: regardless, but never this process's own),
        keep only the document's committed version of its vectors and drop the entry.
        Returns the entries recovered."""
        with self.location.reporting():
            pending = self.catalog.pending()
            if not pending:
                return []
            records, unreadable = self.catalog.readable_documents()
            done = []
            for operation in pending:
                if operation.op in _ACTIVE or (not everything and self.alive(operation)):
                    continue
                if operation.doc_id in unreadable:
                    continue  # which version is committed is unknown: left to repair
                record = records.get(operation.doc_id)
                self.delete_other_versions(
                    operation.doc_id, record.op if record is not None else None, pending
                )
                self.catalog.finish(operation.op)
                done.append(operation)
        if done:
            logger.warning("%s: recovered %d interrupted write(s)", self.location.where, len(done))
        return done

    def recover_if_idle(self) -> list[PendingOperation]:
        """On open: finish what a killed writer left, if no writer is at work now."""
        if not self.location.persistent:
            return []  # in memory: nothing outlives the process
        with self.location.reporting():
            if not self.catalog.pending():
                return []
        if self.lock is None:
            return self.recover()  # a server: only stale operations
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return []  # a writer is at work; it recovers when it is done
        try:
            return self.recover()
        finally:
            self.lock.release()

    def delete_other_versions(
        self, doc_id: str, keep: str | None, pending: Sequence[PendingOperation]
    ) -> None:
        """Delete every version of ``doc_id`` but ``keep`` and those that writers still
        running are writing."""
        live = {p.op for p in pending if p.doc_id == doc_id and p.op != keep and self.alive(p)}
        self.stores.delete_versions(doc_id, keep={op for op in (keep, *live) if op is not None})
