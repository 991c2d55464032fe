"""The prompts of MoM (English renderings of MemTensor/MoM's Chinese prompts).

The document is always escaped (``&``, ``<``, ``>`` as HTML entities) before it goes
inside ``<document>...</document>``, so text that looks like our tags cannot break the
format; :func:`~mom_micro.memory.parsing.parse_memory_output` unescapes the anchors.
"""

from __future__ import annotations

import html
import re

__all__ = [
    "EXTRACTION_INSTRUCTION",
    "copies_format_example",
    "REASONING_INSTRUCTION",
    "THINK_INSTRUCTION",
    "escape_document",
    "extraction_prompt",
    "reasoning_prompt",
]

EXTRACTION_INSTRUCTION = """You are an expert in memory extraction. Read the document below as a domain expert would.

First write an outline of the whole document from that expert's point of view: one item per line, each item naming the role of a part of the document and summarising it.
Then, for each outline item in order, write one scenario memory:
(1) the chunk: the part of the document that the item covers, cut at logical and semantic boundaries, complete and not too short. To save space, write a chunk as its first few words, then [MASK], then its last few words, copied exactly from the document;
(2) the core content of that chunk, in one or two sentences.
The chunks must follow the document's order and together cover all of it.

Output exactly this format and nothing else:
<outline>
first item
second item
</outline>
<scenario><chunk>first words of chunk 1[MASK]last words of chunk 1</chunk>
core content of chunk 1</scenario>
<scenario><chunk>first words of chunk 2[MASK]last words of chunk 2</chunk>
core content of chunk 2</scenario>"""

THINK_INSTRUCTION = (
    EXTRACTION_INSTRUCTION
    + """

Before the outline, reason step by step inside <think>...</think> about the document's domain, its structure and where its topics change; then write the outline and the scenario memories."""
)

REASONING_INSTRUCTION = """You are an expert in memory extraction. Below are a document and the memory an expert extracted from it (an outline, and for each part a chunk written as first words[MASK]last words, with its core content).

Write the expert's reasoning that leads from the document to exactly this memory, as if it were being worked out before the memory was written: what the document is about and for whom, how it is organised, where and why each chunk begins and ends, and what each chunk's core content must keep. Write plain prose in the first person, without tags, and do not restate the memory itself."""


#: The placeholder lines of the format example above ("first item", "core content of
#: chunk 1"), and their obvious continuations ("third item", "next item"): a model that
#: writes them back has copied the example, not read the document.
_PLACEHOLDER = re.compile(
    r"^(?:(?:first|second|third|fourth|fifth|sixth|next|last|another|outline)\s+item"
    r"|(?:core content|first words|last words) of chunk\s*\d+)\W*$",
    re.IGNORECASE,
)


def copies_format_example(line: str) -> bool:
    """Whether ``line`` (an outline item, a core content) is a placeholder of the
    prompt's format example.

    Example:
        >>> copies_format_example("second item"), copies_format_example("Core content of chunk 2.")
        (True, True)
        >>> copies_format_example("Second item of business: the budget")
        False
    """
    return bool(_PLACEHOLDER.match(" ".join(line.split())))


def escape_document(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so a document cannot imitate our tags.

    Example:
        >>> escape_document("a <chunk> & b")
        'a &lt;chunk&gt; &amp; b'
    """
    return html.escape(text, quote=False)


def extraction_prompt(document: str, think: bool = False) -> str:
    """The full MoM extraction prompt for one document (or window of one)."""
    instruction = THINK_INSTRUCTION if think else EXTRACTION_INSTRUCTION
    return f"{instruction}\n\n<document>\n{escape_document(document)}\n</document>"


def reasoning_prompt(document: str, tagged_memory: str) -> str:
    """The reverse-reasoning ("chain of memory") prompt for a document and its memory."""
    return (
        f"{REASONING_INSTRUCTION}\n\n<document>\n{escape_document(document)}\n</document>\n\n"
        f"<memory>\n{tagged_memory}\n</memory>"
    )
