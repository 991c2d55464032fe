"""What an agent's memory tool shows of each retrieved chunk: a numbered citation line
(the chunk's outline title and its source span) above the chunk's text.

The LangChain and LlamaIndex memory tools both format their results with
:func:`format_cited_chunks`, so an agent cites memory the same way in either framework:
``[1]`` names the first chunk, whose header says which section (the outline title) and
which characters of which document it is.

Example:
    >>> print(format_cited_chunks([CitedChunk("Dogs bark.", "Dogs", "pets", 0, 10)]))
    [1] Dogs (pets, characters 0-10)
    Dogs bark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MEMORY_TOOL_DESCRIPTION", "CitedChunk", "format_cited_chunks"]

#: What the model is told a memory tool does (the tools' default description).
MEMORY_TOOL_DESCRIPTION = (
    "Search the memory of the documents for passages that answer a question. Each result "
    "starts with [n], its section title and its source (document, characters); cite the "
    "results you use by [n] with their title and source."
)


@dataclass(frozen=True)
class CitedChunk:
    """One retrieved chunk with what cites it.

    ``start`` / ``end`` are character offsets into the source document ``doc_id`` (the
    chunk is ``source[start:end]``); a passage of several chunks (a retriever's word
    budget) has no single span and names its ``units`` (chunk numbers) instead.
    """

    text: str
    title: str
    doc_id: str
    start: int | None = None
    end: int | None = None
    units: tuple[int, ...] = ()

    @classmethod
    def from_metadata(
        cls, text: str, metadata: Mapping[str, Any], start: int | None, end: int | None
    ) -> CitedChunk:
        """A chunk from a MoM result's metadata (``title``, ``doc_id``, ``units``) and span.

        Example:
            >>> CitedChunk.from_metadata("Mars is red.", {"title": "Planets", "doc_id": "space",
            ...     "units": [0, 1]}, None, None).units
            (0, 1)
        """
        return cls(
            text=text,
            title=str(metadata.get("title") or "untitled"),
            doc_id=str(metadata.get("doc_id") or metadata.get("source") or "unknown document"),
            start=start,
            end=end,
            units=tuple(int(u) for u in metadata.get("units") or ()),
        )

    @property
    def span(self) -> str:
        """Where the chunk is in its source: ``characters 0-10`` or ``chunks 2-3``.

        Example:
            >>> CitedChunk("t", "T", "d", units=(2, 3)).span
            'chunks 2-3'
        """
        if self.start is not None and self.end is not None:
            return f"characters {self.start}-{self.end}"
        if self.units:
            first, last = self.units[0], self.units[-1]
            return f"chunk {first}" if first == last else f"chunks {first}-{last}"
        return "span unknown"

    @property
    def citation(self) -> str:
        """The header line without its number: ``Dogs (pets, characters 0-10)``."""
        return f"{self.title} ({self.doc_id}, {self.span})"


def format_cited_chunks(chunks: Sequence[CitedChunk], separator: str = "\n\n") -> str:
    """The tool output an agent reads: each chunk under ``[i] title (doc, span)``,
    numbered from 1 in rank order; no chunks gives a line saying so (an empty tool
    message would leave the model guessing).

    Example:
        >>> format_cited_chunks([])
        'No memory matched the query.'
    """
    if not chunks:
        return "No memory matched the query."
    return separator.join(
        f"[{i}] {chunk.citation}\n{chunk.text}" for i, chunk in enumerate(chunks, start=1)
    )
