"""The base class of every error mom-micro raises for something a user can fix.

Each package's own errors (a bad preference file, an empty document, an unreachable
Chroma server, a damaged index, ...) derive from :class:`MomMicroError` and from the
built-in class that fits (``ValueError``, ``ConnectionError``, ...), so ``except
ValueError`` keeps working while ``except MomMicroError`` catches all of them. The
``mom-micro`` command line prints such an error as one line naming the file or value and
exits with status 2; anything else is a bug and shows its traceback.

Example:
    >>> from mom_micro.rewards import PreferenceDataError
    >>> issubclass(PreferenceDataError, MomMicroError), issubclass(PreferenceDataError, ValueError)
    (True, True)
"""

from __future__ import annotations

__all__ = ["MomMicroError"]


class MomMicroError(Exception):
    """Something a user can fix: bad input, a missing model, a damaged file, a server
    that is down. The message names the file, value or address and what to do."""
