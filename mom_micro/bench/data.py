"""The question-answering data the retrieval and memory benchmarks read.

Two plain formats (the data sets in ``../shared/data/qa`` come in both):

- **SQuAD JSON**: ``{"data": [{"title", "paragraphs": [{"context", "qas": [{"question",
  "answers": [{"text"}]}]}]}]}``; each paragraph is a document (a whole paper in
  COVID-QA), its questions the ``qas`` with an answer.
- **JSONL** of ``{"input", "instructions", "outputs"}`` (LEval): ``input`` is the
  document, ``instructions`` its questions and ``outputs`` their answers (a string or a
  list per question).

Example:
    >>> import json, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "tiny.jsonl"
    >>> _ = path.write_text(json.dumps({"input": "Cats purr.", "instructions": ["Who purrs?"],
    ...                                 "outputs": ["Cats"]}) + "\\n")
    >>> dataset = load_dataset(path)
    >>> dataset.questions[0].text, dataset.questions[0].answers
    ('Who purrs?', ('Cats',))
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

__all__ = ["BenchDataError", "BenchDataset", "Question", "load_dataset", "load_dataset_range"]

_RANGE = re.compile(r"^(?P<path>.+?):(?P<first>\d+)-(?P<last>\d+)$")


@dataclass(frozen=True)
class Question:
    """A question, the id of the document it is about, and its reference answers."""

    doc_id: str
    text: str
    answers: tuple[str, ...]


@dataclass
class BenchDataset:
    """Documents ``{doc_id: text}`` (in file order) and their questions."""

    name: str
    documents: dict[str, str]
    questions: list[Question] = field(default_factory=list)


class BenchDataError(MomMicroError, ValueError):
    """A benchmark data file that cannot be read; the message names the file and where."""


def _text(value: Any, where: str) -> str:
    """``value`` if it is a non-blank string, else a :class:`BenchDataError` at ``where``."""
    if not isinstance(value, str):
        raise BenchDataError(f"{where}: expected text, got {type(value).__name__}")
    if not value.strip():
        raise BenchDataError(f"{where}: the text is empty")
    return value


def _read_squad(data: dict[str, Any], path: Path) -> BenchDataset:
    dataset = BenchDataset(path.stem, {})
    articles = data["data"]
    if not isinstance(articles, list):
        raise BenchDataError(
            f"{path}: 'data' must be a list of articles, got {type(articles).__name__}"
        )
    try:
        for i, article in enumerate(articles):
            paragraphs = article.get("paragraphs", [])
            for j, paragraph in enumerate(paragraphs):
                base = paragraph.get("document_id", article.get("title", i))
                doc_id = str(base) if len(paragraphs) == 1 else f"{base}-{j}"
                where = f"{path}: data[{i}].paragraphs[{j}]"
                dataset.documents[doc_id] = _text(paragraph.get("context"), f"{where}.context")
                for k, qa in enumerate(paragraph.get("qas", [])):
                    answers = tuple(
                        _text(a["text"], f"{where}.qas[{k}].answers")
                        for a in qa.get("answers", [])
                        if a.get("text")
                    )
                    if answers and not qa.get("is_impossible", False):
                        question = _text(qa.get("question"), f"{where}.qas[{k}].question")
                        dataset.questions.append(Question(doc_id, question, answers))
    except (AttributeError, KeyError, TypeError) as exc:
        raise BenchDataError(f"{path} is not SQuAD format ({type(exc).__name__}: {exc})") from exc
    return dataset


def _read_jsonl(path: Path) -> BenchDataset:
    dataset = BenchDataset(path.stem, {})
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
            doc_id = str(record.get("id", f"doc-{line_no}"))
            dataset.documents[doc_id] = _text(record["input"], f"{where}: input")
            questions, outputs = record["instructions"], record["outputs"]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise BenchDataError(
                f"{where}: not an {{input, instructions, outputs}} record ({exc})"
            ) from exc
        if isinstance(questions, str):
            questions, outputs = [questions], [outputs]
        for question, answer in zip(questions, outputs):
            answers = tuple(a for a in (answer if isinstance(answer, list) else [answer]) if a)
            if answers:
                dataset.questions.append(
                    Question(doc_id, _text(question, f"{where}: question"), answers)
                )
    return dataset


def load_dataset(path: str | Path, limit_docs: int | None = None) -> BenchDataset:
    """Read a SQuAD JSON file or a JSONL of ``{input, instructions, outputs}``.

    ``limit_docs`` keeps the first N documents and their questions.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset file {path}")
    if path.suffix == ".jsonl":
        dataset = _read_jsonl(path)
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BenchDataError(
                f"{path} is not JSON ({exc}); JSONL files must end in .jsonl"
            ) from exc
        if not isinstance(data, dict) or "data" not in data:
            raise BenchDataError(f"{path} is not SQuAD format (no top-level 'data')")
        dataset = _read_squad(data, path)
    if limit_docs is not None and limit_docs < 1:
        raise BenchDataError(f"limit_docs must be at least 1, got {limit_docs}")
    if limit_docs is not None:
        keep = list(dataset.documents)[:limit_docs]
        dataset.documents = {d: dataset.documents[d] for d in keep}
        dataset.questions = [q for q in dataset.questions if q.doc_id in dataset.documents]
    if not dataset.documents or not dataset.questions:
        raise BenchDataError(f"{path} has no documents with questions")
    return dataset


def load_dataset_range(spec: str | Path) -> BenchDataset:
    """``FILE`` or ``FILE:FIRST-LAST``: the data set, or only its documents FIRST to LAST
    (1-based, inclusive, in file order) and their questions.

    Example:
        >>> import json, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "three.jsonl"
        >>> _ = path.write_text("".join(json.dumps({"input": f"Doc {i}.", "instructions": ["Q?"],
        ...     "outputs": ["A"]}) + "\\n" for i in range(3)))
        >>> list(load_dataset_range(f"{path}:2-3").documents)
        ['doc-2', 'doc-3']
    """
    match = _RANGE.match(str(spec))
    if not match:
        return load_dataset(spec)
    dataset = load_dataset(match["path"])
    first, last = int(match["first"]), int(match["last"])
    keep = list(dataset.documents)[first - 1 : last]
    if first < 1 or not keep:
        raise BenchDataError(
            f"{spec}: no documents in that range ({len(dataset.documents)} in the file)"
        )
    dataset.documents = {d: dataset.documents[d] for d in keep}
    dataset.questions = [q for q in dataset.questions if q.doc_id in dataset.documents]
    return dataset
