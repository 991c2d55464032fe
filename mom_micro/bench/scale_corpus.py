"""The growing corpus of ``mom-micro bench scale``: a QA set's documents first, then real
text files added as distractors, each text once.

The distractors are the files that ``--distractors`` names (a folder: every file under
it; otherwise a glob, ``**`` included), in sorted path order. A file whose text (white
space at its ends stripped) was already seen -- a QA document's, or an earlier file's --
is skipped, and so is a file that is empty or not UTF-8 text; both are counted. A
document's id is the QA set's id for its documents and the file's path for a
distractor. The parent keeps only the paths; each text is read again by the process
that ingests it.

Example:
    >>> corpus = build_corpus("qa.jsonl", ["docs/**/*.rst.txt"])   # doctest: +SKIP
    >>> corpus.documents[0], corpus.skipped_duplicates             # doctest: +SKIP
    ({'id': 'doc-1', 'path': 'qa.jsonl', 'record': 'doc-1'}, 3)
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

from .data import BenchDataset, load_dataset

__all__ = ["ScaleCorpus", "ScaleInputError", "build_corpus", "check_sizes", "find_distractors"]


class ScaleInputError(MomMicroError, ValueError):
    """Input ``bench scale`` cannot use (no distractors, sizes out of order, ...); the
    message names it."""


@dataclass
class ScaleCorpus:
    """The QA set, the ``distractors`` patterns, the documents in the order they are
    added (``{"id", "path"}`` for a file, ``{"id", "path", "record"}`` for a QA
    document), and how many files were skipped."""

    dataset: BenchDataset
    dataset_path: str
    limit_docs: int | None
    distractors: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    skipped_duplicates: int = 0
    skipped_unreadable: int = 0

    @property
    def qa_documents(self) -> int:
        """How many of :attr:`documents` are the QA set's (they come first)."""
        return len(self.dataset.documents)


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """``sizes`` as a list, checked: at least one, positive, strictly increasing.

    Example:
        >>> check_sizes([1000, 10000])
        [1000, 10000]
        >>> check_sizes([1000, 1000])
        Traceback (most recent call last):
        ...
        mom_micro.bench.scale_corpus.ScaleInputError: sizes must grow: 1000 after 1000
    """
    sizes = [int(s) for s in sizes]
    if not sizes:
        raise ScaleInputError("give at least one corpus size (in chunks)")
    if sizes[0] < 1:
        raise ScaleInputError(f"sizes are chunk counts, at least 1: got {sizes[0]}")
    for smaller, larger in zip(sizes, sizes[1:]):
        if larger <= smaller:
            raise ScaleInputError(f"sizes must grow: {larger} after {smaller}")
    return sizes


def find_distractors(patterns: Sequence[str]) -> list[Path]:
    """The files that ``patterns`` name (a folder: every file under it; otherwise a glob,
    ``**`` matching folders at any depth), each once, sorted by path.

    Raises:
        ScaleInputError: no pattern is given, or one of them names no file.
    """
    if not patterns:
        raise ScaleInputError("give --distractors: real text files added after the QA documents")
    found: set[Path] = set()
    for pattern in patterns:
        root = Path(pattern)
        if root.is_dir():
            files = [p for p in root.rglob("*") if p.is_file()]
        else:
            files = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
        if not files:
            raise ScaleInputError(f"--distractors {pattern!r} names no file")
        found.update(p.resolve() for p in files)
    return sorted(found)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def build_corpus(
    dataset_path: str | Path, distractors: Sequence[str], limit_docs: int | None = None
) -> ScaleCorpus:
    """The corpus of ``bench scale`` (module docstring): the QA set at ``dataset_path``
    (its first ``limit_docs`` documents), then the files of ``distractors``.

    Raises:
        ScaleInputError: no distractor file, every one a duplicate or unreadable, or two
            documents with one id.
        BenchDataError: the QA set cannot be read.
    """
    dataset = load_dataset(dataset_path, limit_docs)
    corpus = ScaleCorpus(dataset, str(Path(dataset_path).resolve()), limit_docs, list(distractors))
    seen = set()
    for doc_id, text in dataset.documents.items():
        digest = _text_hash(text)
        if digest in seen:
            raise ScaleInputError(f"{dataset_path}: document {doc_id!r} repeats an earlier text")
        seen.add(digest)
        corpus.documents.append({"id": doc_id, "path": corpus.dataset_path, "record": doc_id})
    ids = set(dataset.documents)
    for path in find_distractors(distractors):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            corpus.skipped_unreadable += 1
            continue
        digest = _text_hash(text)
        if not text.strip():
            corpus.skipped_unreadable += 1
        elif digest in seen:
            corpus.skipped_duplicates += 1
        elif str(path) in ids:
            raise ScaleInputError(f"the distractor {path} has the id of a QA document")
        else:
            seen.add(digest)
            ids.add(str(path))
            corpus.documents.append({"id": str(path), "path": str(path)})
    if len(corpus.documents) == corpus.qa_documents:
        raise ScaleInputError(
            f"--distractors {' '.join(distractors)}: no usable file ("
            f"{corpus.skipped_duplicates} repeat a text, {corpus.skipped_unreadable} are "
            "empty or not UTF-8)"
        )
    return corpus
