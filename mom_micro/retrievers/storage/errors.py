"""What can be wrong with where an index lives: nothing there, something already
there, another writer holding it, its records and vectors damaged, or a reader that
is not the one it was built with.

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
    "UnknownDocumentError",
]


class IndexNotFound(MomMicroError, FileNotFoundError):
    """No index at this folder, or of this name on this server."""


class IndexExists(MomMicroError, FileExistsError):
    """An index is already there; open it instead of creating one."""


class IndexBusy(MomMicroError, RuntimeError):
    """Another process holds the folder's write lock longer than ``lock_timeout``."""


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
