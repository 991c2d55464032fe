"""The document memory ``M = {O, C, A}`` of MoM (Zhao et al., 2025, arXiv 2510.14252).

A :class:`DocumentMemory` is a list of :class:`MemoryUnit` s. Unit ``i`` carries the
outline item ``o_i`` (``title``), the core content ``c_i`` (``core``) and the atomic chunk
``a_i`` as a character span ``source[start:end]`` of the original document. Spans are in
document order and do not overlap, so the chunks are exact, citable pieces of the source.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CandidateScore", "DocumentMemory", "MemoryUnit"]

_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MemoryUnit:
    """One outline item, its core content, and its atomic chunk ``source[start:end]``.

    Example:
        >>> source = "Intro. Methods here."
        >>> unit = MemoryUnit(title="Introduction", core="Opens.", start=0, end=6)
        >>> unit.text(source)
        'Intro.'
    """

    title: str
    core: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not isinstance(self.start, int) or not isinstance(self.end, int):
            raise TypeError(f"MemoryUnit span must be ints, got {self.start!r}:{self.end!r}")
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"MemoryUnit span {self.start}:{self.end} is empty or negative")

    def text(self, source: str) -> str:
        """The chunk itself: ``source[start:end]``."""
        return source[self.start : self.end]


@dataclass(frozen=True)
class CandidateScore:
    """How one sampled candidate memory scored during multi-path selection.

    ``path`` names the sampling setting (e.g. ``"temperature=0.7"`` or
    ``"target_words=120"``); ``scores`` holds ``clarity``, ``completeness``, ``rrf`` and
    whatever else the scorer reports; ``chosen`` marks the kept candidate.
    """

    path: str
    scores: dict[str, float]
    n_units: int
    chosen: bool = False


@dataclass
class DocumentMemory:
    """A document read into outline, core contents and atomic chunks.

    Args:
        doc_id: the document's identifier.
        units: the memory units, spans in document order and non-overlapping.
        source: the full original text the spans index into.
        extractor: which reader made it (``"extractive"``, ``"llm"``, ...).
        model: the model behind the reader, if any.
        path: the sampled path this memory came from.
        candidates: the scores of every candidate of the multi-path selection.
        metadata: free-form extra information (kept in the JSON round trip).

    Example:
        >>> text = "Cats purr. Cats nap.\\n\\nDogs bark loudly."
        >>> memory = DocumentMemory(
        ...     doc_id="pets",
        ...     units=[MemoryUnit("Cats", "Cats purr and nap.", 0, 20),
        ...            MemoryUnit("Dogs", "Dogs bark.", 22, 39)],
        ...     source=text,
        ... )
        >>> memory.chunks()
        ['Cats purr. Cats nap.', 'Dogs bark loudly.']
        >>> memory.coverage
        1.0
        >>> DocumentMemory.from_dict(memory.to_dict()) == memory
        True
    """

    doc_id: str
    units: list[MemoryUnit]
    source: str
    extractor: str = "unknown"
    model: str | None = None
    path: str | None = None
    candidates: list[CandidateScore] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.units:
            raise ValueError(f"document memory {self.doc_id!r} has no units")
        previous_end = 0
        for i, unit in enumerate(self.units):
            if unit.start < previous_end:
                raise ValueError(
                    f"unit {i} of {self.doc_id!r} starts at {unit.start}, before the end "
                    f"of the previous unit ({previous_end}): spans must be in document "
                    "order and must not overlap"
                )
            if unit.end > len(self.source):
                raise ValueError(
                    f"unit {i} of {self.doc_id!r} ends at {unit.end}, past the end of the "
                    f"source ({len(self.source)} characters)"
                )
            previous_end = unit.end

    # -- views ------------------------------------------------------------------------
    @property
    def outline(self) -> list[str]:
        """The outline ``O``: one title per unit, in document order."""
        return [unit.title for unit in self.units]

    @property
    def cores(self) -> list[str]:
        """The core contents ``C``, one per unit."""
        return [unit.core for unit in self.units]

    def chunks(self) -> list[str]:
        """The atomic chunks ``A`` as text (``source[start:end]`` per unit)."""
        return [unit.text(self.source) for unit in self.units]

    @property
    def coverage(self) -> float:
        """Share of the source's non-whitespace characters that lie inside some chunk."""
        total = sum(1 for ch in self.source if not ch.isspace())
        if total == 0:
            return 0.0
        inside = sum(1 for unit in self.units for ch in unit.text(self.source) if not ch.isspace())
        return inside / total

    def outline_tree(self, width: int = 100) -> str:
        """A readable tree: each outline title, its core content and the chunk's size."""
        lines = [f"{self.doc_id}  ({len(self.units)} units, coverage {self.coverage:.0%})"]
        for i, unit in enumerate(self.units):
            last = i == len(self.units) - 1
            branch, stem = ("└── ", "    ") if last else ("├── ", "│   ")
            words = len(unit.text(self.source).split())
            lines.append(f"{branch}{unit.title}  [{words} words, chars {unit.start}-{unit.end}]")
            core = re.sub(r"\s+", " ", unit.core).strip()
            if len(core) > width:
                core = core[: width - 1] + "…"
            lines.append(f"{stem}{core}")
        return "\n".join(lines)

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_dict` reads it back."""
        return {
            "schema_version": _SCHEMA_VERSION,
            "doc_id": self.doc_id,
            "units": [asdict(unit) for unit in self.units],
            "source": self.source,
            "extractor": self.extractor,
            "model": self.model,
            "path": self.path,
            "candidates": [asdict(c) for c in self.candidates],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentMemory:
        """Rebuild a memory written by :meth:`to_dict`; a malformed dict raises ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a dict for a DocumentMemory, got {type(data).__name__}")
        version = data.get("schema_version", _SCHEMA_VERSION)
        if version != _SCHEMA_VERSION:
            raise ValueError(f"unsupported DocumentMemory schema_version {version!r}")
        missing = [key for key in ("doc_id", "units", "source") if key not in data]
        if missing:
            raise ValueError(f"DocumentMemory dict lacks {', '.join(missing)}")
        try:
            units = [MemoryUnit(**unit) for unit in data["units"]]
            candidates = [CandidateScore(**c) for c in data.get("candidates", [])]
        except TypeError as exc:
            raise ValueError(f"malformed DocumentMemory dict: {exc}") from exc
        return cls(
            doc_id=data["doc_id"],
            units=units,
            source=data["source"],
            extractor=data.get("extractor", "unknown"),
            model=data.get("model"),
            path=data.get("path"),
            candidates=candidates,
            metadata=dict(data.get("metadata", {})),
        )
