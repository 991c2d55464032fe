"""What can be wrong with where an index lives: nothing there, something already
there, another writer holding it, the database behind it out of reach, its records and
vectors damaged, or a reader that is not the one it was built with.

Example:
    >>> issubclass(IndexNotFound, FileNotFoundError), issubclass(IndexDamaged, ValueError)
    (True, True)
"""

from __future__ import annotations

from mom_micro.errors import MomMicroError

__all__ = [
    "IndexBusy",
    "IndexDamaged",
    "IndexExists",
    "IndexNotFound",
    "ReaderMismatch",
    "StoreUnavailable",
    "UnknownDocumentError",
]


class IndexNotFound(MomMicroError, FileNotFoundError):
    """No index at this folder, or of this name on this server."""


class IndexExists(MomMicroError, FileExistsError):
    """An index is already there; open it instead of creating one."""


class IndexBusy(MomMicroError, RuntimeError):
    """Another process holds the folder's write lock longer than ``lock_timeout``."""


class StoreUnavailable(MomMicroError, ConnectionError):
    """The database server holding an index (Chroma, Milvus) did not answer: one line
    naming what and where, why, and what to do.

    Example:
        >>> print(StoreUnavailable("Milvus", "http://db:19530", "refused", "start it"))
        Milvus at http://db:19530 is not reachable (refused); start it
    """

    def __init__(self, what: str, where: str, reason: str, hint: str) -> None:
        self.where = where
        reason = " ".join(str(reason).split())  # one line, whatever the client said
        super().__init__(f"{what} at {where} is not reachable ({reason}); {hint}")


class IndexDamaged(MomMicroError, ValueError):
    """The index's records or vectors are missing or unreadable; the message says what
    and how to repair or rebuild it."""


class ReaderMismatch(MomMicroError, ValueError):
    """The memory reader given is not the one the index was built with (or none is
    given for a reader that cannot be rebuilt from its description)."""


class UnknownDocumentError(MomMicroError, KeyError):
    """No document with this id is in the index."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown document"
