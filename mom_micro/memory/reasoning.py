"""Reverse reasoning ("chain of memory"): fine-tuning data for small memory readers.

MoM trains its small MemReaders on triples (document, reasoning, memory): with the
chosen memory in hand, a guide model is asked to write — backwards — the expert's
reasoning that leads to it. Each triple becomes one chat record in the conversational
format that TRL's ``SFTTrainer`` reads from JSONL::

    {"messages": [{"role": "user", "content": <instruction + document>},
                  {"role": "assistant", "content": "<think>reasoning</think>\\n<memory>"}]}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from mom_micro.files import atomic_write_jsonl

from .document import MemoryExtractor, read_document
from .guide import as_completion_fn
from .parsing import format_memory_output
from .prompts import extraction_prompt, reasoning_prompt
from .schema import DocumentMemory

__all__ = ["ChainOfMemoryBuilder", "SFTBuildReport", "sft_record"]


def sft_record(memory: DocumentMemory, reasoning: str) -> dict[str, Any]:
    """One chat record: the ``<think>`` extraction prompt for the document as the user
    turn; ``<think>reasoning</think>`` and the tagged memory as the assistant turn.

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> m = DocumentMemory("d", [MemoryUnit("Cats", "Cats nap.", 0, 9)], "Cats nap.")
        >>> record = sft_record(m, "Short note about cats.")
        >>> [turn["role"] for turn in record["messages"]]
        ['user', 'assistant']
        >>> record["messages"][1]["content"].startswith("<think>Short note about cats.</think>")
        True
    """
    answer = f"<think>{reasoning.strip()}</think>\n{format_memory_output(memory)}"
    return {
        "messages": [
            {"role": "user", "content": extraction_prompt(memory.source, think=True)},
            {"role": "assistant", "content": answer},
        ]
    }


@dataclass
class SFTBuildReport:
    """What :meth:`ChainOfMemoryBuilder.build` wrote and what it skipped (with reasons)."""

    written: int
    skipped: dict[str, str] = field(default_factory=dict)
    out: Path | None = None


@dataclass
class ChainOfMemoryBuilder:
    """Builds chain-of-memory SFT data from documents.

    Args:
        guide: the model that writes the reasoning (LangChain, LlamaIndex, or a callable
            ``(prompt, temperature) -> str``).
        reader: makes the memory of each document (e.g. ``ExtractiveExtractor()`` or an
            ``LLMExtractor``).
        temperature: decoding temperature for the reasoning.
        min_reasoning_words: shorter reasoning is treated as a failure for that document.

    Example:
        >>> builder = ChainOfMemoryBuilder(guide=LocalCausalLM(), reader=ExtractiveExtractor())  # doctest: +SKIP
        >>> builder.build(sorted(Path("docs").glob("*.txt")), "com.jsonl")                     # doctest: +SKIP
        SFTBuildReport(written=12, skipped={}, out=PosixPath('com.jsonl'))
    """

    guide: Any
    reader: MemoryExtractor
    temperature: float = 0.3
    min_reasoning_words: int = 10

    def reasoning(self, memory: DocumentMemory) -> str:
        """The guide's reasoning that leads from ``memory.source`` to ``memory``."""
        raw = as_completion_fn(self.guide)(
            reasoning_prompt(memory.source, format_memory_output(memory)), self.temperature
        )
        text = re.sub(r"</?\s*think\s*>", " ", raw, flags=re.IGNORECASE)
        text = re.split(r"<\s*(?:outline|scenario|memory)\s*>", text, flags=re.IGNORECASE)[
            0
        ].strip()
        if len(text.split()) < self.min_reasoning_words:
            raise ValueError(
                f"the guide wrote {len(text.split())} words of reasoning for "
                f"{memory.doc_id!r} (at least {self.min_reasoning_words} needed)"
            )
        return text

    def record(self, text: str, doc_id: str) -> dict[str, Any]:
        """Read one document, ask for its reasoning, and return its SFT record."""
        memory = self.reader.extract(text, doc_id=doc_id)
        return sft_record(memory, self.reasoning(memory))

    def build(
        self, paths: Sequence[str | Path], out: str | Path, show_progress: bool = True
    ) -> SFTBuildReport:
        """One record per readable document, written atomically to ``out`` (JSONL).

        A document that cannot be read, or whose reasoning fails, is skipped and listed in
        the report with its reason; if none succeeds, ``ValueError`` is raised and nothing
        is written.
        """
        if not paths:
            raise ValueError("no documents given")
        records, skipped = [], {}
        for path in tqdm(paths, desc="chain-of-memory records", disable=not show_progress):
            try:
                records.append(self.record(read_document(path), doc_id=Path(path).name))
            except ValueError as exc:
                skipped[str(path)] = str(exc)
        if not records:
            raise ValueError(f"no record could be made from {len(paths)} documents: {skipped}")
        return SFTBuildReport(len(records), skipped, atomic_write_jsonl(out, records))
