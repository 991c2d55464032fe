"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> path = atomic_write_text(Path(tempfile.mkdtemp()) / "a.json", json.dumps({"a": 1}))
    >>> path.read_text()
    '{"a": 1}'
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "JsonlJournal",
    "atomic_directory",
    "atomic_write_bytes",
    "atomic_write_jsonl",
    "atomic_write_text",
]


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync,
    then ``os.replace``. A reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write one JSON object per line, atomically."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Build a folder in a temporary sibling of ``path`` and swap it in when the block
    ends without an error; on an error the temporary folder is removed and ``path`` is
    untouched. An old folder is renamed aside, the new one renamed in, and only then is
    the old one deleted, so ``path`` is missing only between two renames, never while a
    large folder is being deleted.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "model"
        >>> with atomic_directory(target) as folder:
        ...     _ = (folder / "weights.bin").write_bytes(b"1")
        >>> sorted(p.name for p in target.iterdir())
        ['weights.bin']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    aside = None
    if path.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".{path.name}-old-", dir=path.parent))
        os.replace(path, aside / path.name)
    try:
        os.replace(tmp, path)
    except BaseException:
        if aside is not None:
            os.replace(aside / path.name, path)
            aside.rmdir()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


class JsonlJournal:
    """A JSONL output written as it is made, so that an interrupted run can resume.

    Records are appended one line at a time (flushed) to ``<path>.partial``; a rerun reads
    back the complete lines (:meth:`done`; a line torn by a crash is dropped) and carries
    on. :meth:`finish` writes ``path`` atomically and removes the partial file, so
    ``path`` itself is never half-written.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> out = Path(tempfile.mkdtemp()) / "records.jsonl"
        >>> journal = JsonlJournal(out)
        >>> journal.append({"id": 1})
        >>> JsonlJournal(out).done()
        [{'id': 1}]
        >>> journal.finish([{"id": 1}]).read_text()
        '{"id": 1}\\n'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")

    def done(self) -> list[dict[str, Any]]:
        """The records of an earlier, unfinished run (complete lines only)."""
        if not self.partial.exists():
            return []
        records = []
        for line in self.partial.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def resume(self) -> list[dict[str, Any]]:
        """:meth:`done`, with the partial file rewritten to exactly those records (so a
        torn last line does not swallow the next record appended)."""
        records = self.done()
        if self.partial.exists():
            atomic_write_jsonl(self.partial, records)
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Add one record to the partial file, flushed to disk."""
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        with self.partial.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def finish(self, records: Iterable[dict[str, Any]]) -> Path:
        """Write ``records`` to ``path`` atomically and remove the partial file."""
        path = atomic_write_jsonl(self.path, records)
        self.partial.unlink(missing_ok=True)
        return path
