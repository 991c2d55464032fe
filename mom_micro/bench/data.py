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

__all__ = ["BenchDataset", "Question", "load_dataset", "load_dataset_range"]

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


def _read_squad(data: dict[str, Any], name: str) -> BenchDataset:
    dataset = BenchDataset(name, {})
    for i, article in enumerate(data.get("data", [])):
        for j, paragraph in enumerate(article.get("paragraphs", [])):
            base = paragraph.get("document_id", article.get("title", i))
            doc_id = str(base) if len(article["paragraphs"]) == 1 else f"{base}-{j}"
            dataset.documents[doc_id] = paragraph["context"]
            for qa in paragraph.get("qas", []):
                answers = tuple(a["text"] for a in qa.get("answers", []) if a.get("text"))
                if answers and not qa.get("is_impossible", False):
                    dataset.questions.append(Question(doc_id, qa["question"], answers))
    return dataset


def _read_jsonl(path: Path, name: str) -> BenchDataset:
    dataset = BenchDataset(name, {})
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            doc_id = str(record.get("id", f"doc-{line_no}"))
            dataset.documents[doc_id] = record["input"]
            questions, outputs = record["instructions"], record["outputs"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{line_no}: not an {{input, instructions, outputs}} record ({exc})"
            ) from exc
        if isinstance(questions, str):
            questions, outputs = [questions], [outputs]
        for question, answer in zip(questions, outputs):
            answers = tuple(a for a in (answer if isinstance(answer, list) else [answer]) if a)
            if answers:
                dataset.questions.append(Question(doc_id, question, answers))
    return dataset


def load_dataset(path: str | Path, limit_docs: int | None = None) -> BenchDataset:
    """Read a SQuAD JSON file or a JSONL of ``{input, instructions, outputs}``.

    ``limit_docs`` keeps the first N documents and their questions.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset file {path}")
    name = path.stem
    if path.suffix == ".jsonl":
        dataset = _read_jsonl(path, name)
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not JSON ({exc}); JSONL files must end in .jsonl") from exc
        if not isinstance(data, dict) or "data" not in data:
            raise ValueError(f"{path} is not SQuAD format (no top-level 'data')")
        dataset = _read_squad(data, name)
    if limit_docs is not None:
        keep = list(dataset.documents)[:limit_docs]
        dataset.documents = {d: dataset.documents[d] for d in keep}
        dataset.questions = [q for q in dataset.questions if q.doc_id in dataset.documents]
    if not dataset.documents or not dataset.questions:
        raise ValueError(f"{path} has no documents with questions")
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
        raise ValueError(
            f"{spec}: no documents in that range ({len(dataset.documents)} in the file)"
        )
    dataset.documents = {d: dataset.documents[d] for d in keep}
    dataset.questions = [q for q in dataset.questions if q.doc_id in dataset.documents]
    return dataset
