"""Readers that turn preference files into :class:`PreferencePair` lists.

Every reader returns ``(pairs, report)``: unusable rows are skipped and counted by reason
in the :class:`ReadReport`; a source with no usable row raises
:class:`~mom_micro.rewards.errors.NoUsablePairsError`.

Formats:

- generic JSONL / JSON list / CSV / list of dicts: ``{prompt, chosen, rejected, context,
  user}``, other column names through ``columns={"prompt": "question", ...}``;
- Anthropic HH dialogues (``{"text": [chosen, rejected], "score": [1.0, 0.0]}``): the
  prompt is everything before the last ``Assistant:`` turn, the responses are the last
  turns; the context comes from the ``context`` argument, else from the file name
  (``harmless`` or ``helpful`` in it), else the file stem;
- DSP domains (``{"query", "responses": {domain: text}}``): for domain D the D response
  beats every other response, with context D (``normal`` is a response, not a context);
- LLMBar (``{input, output_1, output_2, label}``), context ``"instruction_following"``.

Example:
    >>> pairs, report = pairs_from_records(
    ...     [{"q": "2+2?", "good": "4", "bad": "5"}, {"q": "x", "good": "y", "bad": "y"}],
    ...     columns={"prompt": "q", "chosen": "good", "rejected": "bad"})
    >>> len(pairs), report.summary()
    (1, 'records: 1 pairs from 2 rows; skipped 1 (identical_responses: 1)')
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from .data import PreferencePair, ReadReport
from .errors import InvalidPairError, PreferenceDataError

__all__ = [
    "FORMATS",
    "pairs_from_records",
    "read_csv",
    "read_dsp_domains",
    "read_hh",
    "read_jsonl",
    "read_llmbar",
    "read_preference_files",
    "read_preferences",
]

Format = Literal["auto", "generic", "jsonl", "csv", "hh", "dsp", "llmbar"]
FORMATS: tuple[str, ...] = ("auto", "generic", "jsonl", "csv", "hh", "dsp", "llmbar")
FIELDS = ("prompt", "chosen", "rejected", "context", "user")
ASSISTANT = "\n\nAssistant:"
DSP_NON_CONTEXT = "normal"
LLMBAR_CONTEXT = "instruction_following"


def _add(pairs: list[PreferencePair], report: ReadReport, **fields: Any) -> None:
    """Validate one pair; keep it or count it as skipped under its reason."""
    try:
        pairs.append(PreferencePair(**fields))
        report.pairs += 1
    except InvalidPairError as exc:
        report.skip(exc.reason)


def _finish(
    pairs: list[PreferencePair], report: ReadReport
) -> tuple[list[PreferencePair], ReadReport]:
    report.require_pairs()
    return pairs, report


def _collect_records(
    records: Iterable[Any],
    columns: Mapping[str, str] | None,
    context: str | None,
    report: ReadReport,
) -> list[PreferencePair]:
    """Validate mapped records into pairs, counting skipped rows in ``report``."""
    mapping = {name: name for name in FIELDS}
    for name, key in (columns or {}).items():
        if name not in FIELDS:
            raise PreferenceDataError(f"unknown field {name!r} in column mapping; use {FIELDS}")
        mapping[name] = key
    pairs: list[PreferencePair] = []
    for record in records:
        report.rows += 1
        if not isinstance(record, Mapping):
            report.skip("not_an_object")
            continue
        if any(mapping[name] not in record for name in ("prompt", "chosen", "rejected")):
            report.skip("missing_field")
            continue
        row_context = record.get(mapping["context"])
        if row_context is None or row_context == "":
            row_context = context
        _add(
            pairs,
            report,
            prompt=record[mapping["prompt"]],
            chosen=record[mapping["chosen"]],
            rejected=record[mapping["rejected"]],
            context=row_context,
            user=record.get(mapping["user"]) or None,
        )
    return pairs


def pairs_from_records(
    records: Iterable[Any],
    columns: Mapping[str, str] | None = None,
    context: str | None = None,
    source: str = "records",
) -> tuple[list[PreferencePair], ReadReport]:
    """Pairs from dicts with (mapped) fields ``prompt, chosen, rejected[, context, user]``.

    ``columns`` maps our field names to the record's keys; ``context`` fills in rows that
    have none.
    """
    report = ReadReport(source)
    return _finish(_collect_records(records, columns, context, report), report)


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> PreferenceDataError:
    return PreferenceDataError(
        f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
    )


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    except json.JSONDecodeError as exc:
        raise PreferenceDataError(f"{path} is not valid JSON: {exc}") from exc


def _json_list(path: Path) -> list[Any]:
    data = _load_json(path)
    if not isinstance(data, list):
        raise PreferenceDataError(f"{path} must hold a JSON list, got {type(data).__name__}")
    return data


def read_jsonl(
    path: str | Path, columns: Mapping[str, str] | None = None, context: str | None = None
) -> tuple[list[PreferencePair], ReadReport]:
    """Generic JSONL, one ``{prompt, chosen, rejected, context}`` object a line.

    A line that is not valid JSON is skipped as ``bad_json``; blank lines are ignored.
    """
    path = Path(path)
    report = ReadReport(str(path))
    records: list[Any] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    report.rows += 1
                    report.skip("bad_json")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    return _finish(_collect_records(records, columns, context, report), report)


def read_csv(
    path: str | Path, columns: Mapping[str, str] | None = None, context: str | None = None
) -> tuple[list[PreferencePair], ReadReport]:
    """A CSV file with a header row; columns as in :func:`pairs_from_records`. A file
    with a NUL character is refused (:class:`PreferenceDataError` naming its line): it is
    binary data, which the ``csv`` module reads as text since Python 3.11."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")  # line ends as they are, for csv
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise PreferenceDataError(
            f"{path}, line {line}: a NUL byte; a preference CSV is text (is it binary data?)"
        )
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return pairs_from_records(rows, columns, context, source=str(path))


def _hh_context(path: Path, context: str | None) -> str:
    if context:
        return context
    name = path.name.lower()
    for label in ("harmless", "helpful"):
        if label in name:
            return label
    return path.stem


def _split_dialogue(text: str) -> tuple[str, str] | None:
    cut = text.rfind(ASSISTANT)
    if cut < 0:
        return None
    return text[:cut].strip(), text[cut + len(ASSISTANT) :].strip()


def read_hh(
    path: str | Path, context: str | None = None
) -> tuple[list[PreferencePair], ReadReport]:
    """Anthropic HH dialogues: ``{"text": [a, b], "score": [sa, sb]}``; the higher score
    wins (without ``score``, the first text is the chosen one, as in HH-RLHF)."""
    path = Path(path)
    label = _hh_context(path, context)
    pairs: list[PreferencePair] = []
    report = ReadReport(str(path))
    for row in _json_list(path):
        report.rows += 1
        texts = row.get("text") if isinstance(row, Mapping) else None
        if not isinstance(texts, list) or len(texts) != 2:
            report.skip("missing_field")
            continue
        if not all(isinstance(t, str) for t in texts):
            report.skip("non_string")
            continue
        score = row.get("score", [1.0, 0.0])
        if (
            not isinstance(score, list)
            or len(score) != 2
            or not all(isinstance(s, (int, float)) for s in score)
        ):
            report.skip("bad_score")
            continue
        if score[0] == score[1]:
            report.skip("tied_scores")
            continue
        chosen_text, rejected_text = texts if score[0] > score[1] else texts[::-1]
        chosen, rejected = _split_dialogue(chosen_text), _split_dialogue(rejected_text)
        if chosen is None or rejected is None:
            report.skip("malformed_dialogue")
            continue
        if chosen[0] != rejected[0]:
            report.skip("prompt_mismatch")
            continue
        _add(pairs, report, prompt=chosen[0], chosen=chosen[1], rejected=rejected[1], context=label)
    return _finish(pairs, report)


def read_dsp_domains(path: str | Path) -> tuple[list[PreferencePair], ReadReport]:
    """DSP domain-specific preferences: per query, for each domain D other than ``normal``,
    ``responses[D]`` beats each other response, with ``context = D``."""
    path = Path(path)
    pairs: list[PreferencePair] = []
    report = ReadReport(str(path))
    for row in _json_list(path):
        report.rows += 1
        responses = row.get("responses") if isinstance(row, Mapping) else None
        query = row.get("query") if isinstance(row, Mapping) else None
        if query is None or not isinstance(responses, Mapping) or len(responses) < 2:
            report.skip("missing_field")
            continue
        for domain, preferred in responses.items():
            if domain == DSP_NON_CONTEXT:
                continue
            for other, response in responses.items():
                if other != domain:
                    _add(
                        pairs,
                        report,
                        prompt=query,
                        chosen=preferred,
                        rejected=response,
                        context=domain,
                    )
    return _finish(pairs, report)


def read_llmbar(
    path: str | Path, context: str | None = None
) -> tuple[list[PreferencePair], ReadReport]:
    """LLMBar: ``{input, output_1, output_2, label}`` with label 1 or 2 the better output."""
    path = Path(path)
    pairs: list[PreferencePair] = []
    report = ReadReport(str(path))
    for row in _json_list(path):
        report.rows += 1
        if not isinstance(row, Mapping) or any(
            key not in row for key in ("input", "output_1", "output_2", "label")
        ):
            report.skip("missing_field")
            continue
        if row["label"] not in (1, 2):
            report.skip("bad_label")
            continue
        better, worse = ("output_1", "output_2") if row["label"] == 1 else ("output_2", "output_1")
        _add(
            pairs,
            report,
            prompt=row["input"],
            chosen=row[better],
            rejected=row[worse],
            context=context or LLMBAR_CONTEXT,
        )
    return _finish(pairs, report)


def _detect(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".jsonl":
        return "jsonl"
    data = _load_json(path)
    first = data[0] if isinstance(data, list) and data else None
    if isinstance(first, Mapping):
        keys = set(first)
        if {"text", "score"} <= keys or keys == {"text"}:
            return "hh"
        if {"query", "responses"} <= keys:
            return "dsp"
        if {"input", "output_1", "output_2", "label"} <= keys:
            return "llmbar"
        if {"prompt", "chosen", "rejected"} <= keys:
            return "generic"
    raise PreferenceDataError(
        f"cannot tell the format of {path}; name it (format= in Python, --format on the "
        f"command line): one of {', '.join(FORMATS[1:])}"
    )


def read_preferences(
    path: str | Path,
    format: Format = "auto",
    columns: Mapping[str, str] | None = None,
    context: str | None = None,
) -> tuple[list[PreferencePair], ReadReport]:
    """Read any supported preference file; ``format="auto"`` looks at the suffix and the
    first record. ``context`` is the HH / LLMBar / generic default context (ignored
    for DSP, whose context is the domain).

    Example:
        >>> pairs, report = read_preferences("../shared/data/pref/hh_harmless_test.json")  # doctest: +SKIP
        >>> pairs[0].context                                                               # doctest: +SKIP
        'harmless'
    """
    path = Path(path)
    if not path.is_file():
        raise PreferenceDataError(f"no such preference file: {path}")
    kind = _detect(path) if format == "auto" else format
    if kind == "hh":
        return read_hh(path, context)
    if kind == "dsp":
        return read_dsp_domains(path)
    if kind == "llmbar":
        return read_llmbar(path, context)
    if kind == "csv":
        return read_csv(path, columns, context)
    if kind == "jsonl":
        return read_jsonl(path, columns, context)
    if kind == "generic":
        return pairs_from_records(_json_list(path), columns, context, source=str(path))
    raise PreferenceDataError(f"unknown format {format!r}; use one of {FORMATS}")


def _context_map(specs: Sequence[str]) -> tuple[dict[str, str], str | None]:
    """``FILE=LABEL`` entries per file, and a plain ``LABEL`` for all files."""
    per_file: dict[str, str] = {}
    default = None
    for spec in specs:
        if "=" in spec:
            path, label = spec.rsplit("=", 1)
            per_file[str(Path(path))] = label
        else:
            default = spec
    return per_file, default


def read_preference_files(
    files: Sequence[str | Path], format: Format = "auto", contexts: Sequence[str] = ()
) -> tuple[list[PreferencePair], list[ReadReport]]:
    """Read several preference files (any supported format) into one list.

    ``contexts`` are ``LABEL`` (the default context of every file that has none) or
    ``FILE=LABEL`` (for one file) entries, as the command line's ``--context``.

    Example:
        >>> pairs, reports = read_preference_files(                        # doctest: +SKIP
        ...     ["hh_helpful_test.json", "hh_harmless_test.json"])
        >>> [r.summary() for r in reports]                                 # doctest: +SKIP
    """
    per_file, default = _context_map(contexts)
    pairs: list[PreferencePair] = []
    reports: list[ReadReport] = []
    for file in files:
        got, report = read_preferences(file, format, context=per_file.get(str(Path(file)), default))
        pairs += got
        reports.append(report)
    return pairs, reports
