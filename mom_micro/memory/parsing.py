"""MoM's tagged memory format, both ways: parse a guide model's output onto the source,
and write a memory back in that format (for prompts and fine-tuning data).

The format (MemTensor/MoM)::

    <outline> one item per line </outline>
    <scenario><chunk>first words[MASK]last words</chunk>
    core content of this chunk</scenario>
    ...

optionally preceded by ``<think>...</think>``. Real model output strays from it, and
:func:`parse_memory_output` is built to survive that (see its docstring).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from mom_micro.errors import MomMicroError
from mom_micro.text import split_sentences, text_length

from .anchors import AnchorIndex, AnchorMatch
from .document import validate_document
from .prompts import copies_format_example
from .schema import DocumentMemory, MemoryUnit

__all__ = [
    "CopiedFormatExample",
    "MemoryParseError",
    "format_memory_output",
    "parse_memory_output",
]

_I = re.IGNORECASE | re.DOTALL
_MASK = re.compile(r"\[\s*mask\s*\]", re.IGNORECASE)
_TAG = re.compile(r"</?\s*(?:outline|scenario|chunk|think|document)\s*>", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]+|\(?\d+(?:\.\d+)*[.)]?|[a-zA-Z][.)])\s+")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_WHOLE_ANCHOR_CHARS = 60
#: Title matching compares each chunk with at most about this many outline items in all
#: (a window around its place in the outline), so that a long output costs linear time.
_MAX_TITLE_PAIRS = 100_000


class MemoryParseError(MomMicroError, ValueError):
    """The guide model's output holds no usable memory; the message says what was wrong."""


class CopiedFormatExample(MemoryParseError):
    """The output writes back the prompt's format example ("first item", "core content
    of chunk 1") instead of titles and contents of the document: worth asking again."""


@dataclass
class _Scenario:
    order: int
    head: str
    tail: str
    whole: str | None
    core: str
    title: str = ""
    start: AnchorMatch | None = None
    end: int | None = None


def _plain(text: str) -> str:
    """Tag-free text of a title or core: CDATA sections opened, HTML entities unescaped
    (``&amp;`` -> ``&``), white space collapsed."""
    text = _CDATA.sub(lambda m: m.group(1), text)
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", text))).strip()


def _strip_think(raw: str) -> str:
    text = re.sub(r"<\s*think\s*>.*?<\s*/\s*think\s*>", " ", raw, flags=_I)
    opened = re.search(r"<\s*think\s*>", text, flags=re.IGNORECASE)
    if opened:  # an unclosed <think>: the memory, if any, starts at the next memory tag
        rest = re.search(
            r"<\s*(?:outline|scenario|chunk)\s*>", text[opened.end() :], flags=re.IGNORECASE
        )
        if rest is None:
            raise MemoryParseError("the output has an unclosed <think> and no memory after it")
        text = text[: opened.start()] + text[opened.end() + rest.start() :]
    return text


def _outline_items(text: str) -> list[str]:
    match = re.search(
        r"<\s*outline\s*>(.*?)(?:<\s*/\s*outline\s*>|(?=<\s*(?:scenario|chunk)\s*>)|$)", text, _I
    )
    if not match:
        return []
    items = []
    body = _CDATA.sub(lambda m: m.group(1), match.group(1))
    for line in _TAG.sub("\n", body).splitlines():
        line = line.strip().strip("`").strip()
        line = _BULLET.sub("", line).strip()
        if line:
            items.append(_plain(line))
    return items


def _scenarios(text: str) -> tuple[list[_Scenario], int]:
    """One scenario per ``<chunk>``: the chunk up to ``</chunk>`` (or its line's end when
    the tag is missing), the core content after it up to the next memory tag; and how many
    ``<chunk>`` tags held no anchor text at all (only ``[MASK]``, or nothing)."""
    opens = list(re.finditer(r"<\s*chunk\s*>", text, re.I))
    out: list[_Scenario] = []
    empty = 0
    for i, opened in enumerate(opens):
        stop = opens[i + 1].start() if i + 1 < len(opens) else len(text)
        after = text[opened.end() : stop]
        closed = re.search(r"<\s*/\s*chunk\s*>", after, re.I)
        if closed:
            chunk, rest = after[: closed.start()], after[closed.end() :]
        else:
            line_end = after.find("\n")
            chunk, rest = (after, "") if line_end < 0 else (after[:line_end], after[line_end:])
        rest = re.split(r"<\s*/?\s*(?:scenario|outline)\s*>", rest, maxsplit=1, flags=re.I)[0]
        scenario = _read_scenario(len(out), chunk, rest)
        if scenario is None:
            empty += 1
        else:
            out.append(scenario)
    return out, empty


def _read_scenario(order: int, chunk: str, rest: str) -> _Scenario | None:
    chunk = html.unescape(_TAG.sub(" ", _CDATA.sub(lambda m: m.group(1), chunk))).strip()
    core = _plain(rest).strip("`").strip()
    parts = _MASK.split(chunk, maxsplit=1)
    if len(parts) == 2:
        head, tail = parts[0].strip(), parts[1].strip()
        if not head and not tail:
            return None
        return _Scenario(order, head, tail, None, core)
    if not chunk:
        return None
    return _Scenario(order, chunk[:_WHOLE_ANCHOR_CHARS], chunk[-_WHOLE_ANCHOR_CHARS:], chunk, core)


def _assign_titles(scenarios: list[_Scenario], outline: list[str], warnings: list[str]) -> None:
    if outline and len(outline) == len(scenarios):
        for scenario, item in zip(scenarios, outline):
            scenario.title = item
        return
    if outline:
        warnings.append(
            f"{len(outline)} outline items for {len(scenarios)} chunks: titles matched by content"
        )
    # Outline and chunks both follow the document, so chunk i is compared with the items
    # around its relative place i * m / n (all of them while n * m stays small).
    n, m = len(scenarios), len(outline)
    half = max(8, _MAX_TITLE_PAIRS // max(2 * n, 1))
    for i, scenario in enumerate(scenarios):
        if outline:
            centre = round(i * m / n)
            nearby = outline[max(0, centre - half) : centre + half + 1] or outline[-1:]
            best = process.extractOne(
                scenario.core or scenario.head, nearby, scorer=fuzz.token_set_ratio
            )
            scenario.title = best[0]
        else:
            scenario.title = " ".join((scenario.core or scenario.head).split()[:8])


def _locate(
    scenarios: list[_Scenario], index: AnchorIndex, warnings: list[str], anchors: dict[str, int]
) -> list[_Scenario]:
    """Resolve heads in output order (preferring text after the previous chunk), then tails
    between a chunk's head and the next chunk's head; count in ``anchors`` how each head
    and tail was found (``exact``, ``normalized``, ``fuzzy``) or that it was ``missing``."""
    cursor = 0
    for scenario in scenarios:
        quote = scenario.whole or scenario.head or scenario.tail
        found = index.find(quote, cursor) or index.find(quote, 0)
        if found is None and scenario.whole:
            found = index.find(scenario.head, cursor) or index.find(scenario.head, 0)
        if found is None:
            warnings.append(f"chunk {scenario.order + 1} not found in the source: {quote[:50]!r}")
            anchors["missing"] += 1
            continue
        scenario.start = found
        anchors[found.method] += 1
        if scenario.whole and found.end - found.start >= 0.8 * len(scenario.whole):
            scenario.end = found.end
        cursor = found.end
    located = sorted((s for s in scenarios if s.start), key=lambda s: (_anchor(s).start, s.order))
    unique: list[_Scenario] = []
    for scenario in located:
        if unique and _anchor(scenario).start == _anchor(unique[-1]).start:
            warnings.append(f"chunk {scenario.order + 1} repeats chunk {unique[-1].order + 1}")
            continue
        unique.append(scenario)
    for i, scenario in enumerate(unique):
        if scenario.end is not None or not scenario.tail:
            continue
        lo = _anchor(scenario).start
        hi = (
            _anchor(unique[i + 1]).start + len(scenario.tail)
            if i + 1 < len(unique)
            else len(index.source)
        )
        tail = index.find(scenario.tail, lo, hi, last=True) or index.find(scenario.tail, lo)
        anchors["missing" if tail is None else tail.method] += 1
        if tail is not None and tail.end > lo:
            scenario.end = tail.end
    return unique


def _anchor(scenario: _Scenario) -> AnchorMatch:
    """Where a located scenario's chunk starts (only located scenarios are passed on)."""
    if scenario.start is None:
        raise MemoryParseError(f"chunk {scenario.order + 1} was not located in the source")
    return scenario.start


def _first_sentence(text: str, start: int, end: int) -> str:
    sentences = split_sentences(text[start:end])
    first = (
        text[start + sentences[0].start : start + sentences[0].end]
        if sentences
        else text[start:end]
    )
    return re.sub(r"\s+", " ", first)[:300]


def _tile(
    scenarios: list[_Scenario], source: str, min_chars: int, warnings: list[str]
) -> tuple[list[MemoryUnit], int, int]:
    """Spans that cover every non-space character: overlaps clipped, short gaps absorbed,
    long gaps (text the model skipped) made units of their own, short units merged. Also
    returns how many non-space characters lay outside every chunk the model wrote, and
    where its last chunk ended.

    Lengths are :func:`~mom_micro.text.text_length` (a CJK character counts as a short
    word), so ``min_chars`` means the same amount of text in Chinese as in English."""
    skipped = 0
    spans: list[list] = []  # [start, end, title, core]
    for i, scenario in enumerate(scenarios):
        start = _anchor(scenario).start
        nxt = _anchor(scenarios[i + 1]).start if i + 1 < len(scenarios) else len(source)
        end = scenario.end if scenario.end is not None else nxt
        spans.append([start, max(min(end, nxt), start + 1), scenario.title, scenario.core])
    written_end = max(span[1] for span in spans)
    pieces: list[list] = []
    cursor = 0
    for span in spans + [[len(source), len(source), None, None]]:
        gap = source[cursor : span[0]]
        if gap.strip():
            g_start = cursor + len(gap) - len(gap.lstrip())
            g_end = cursor + len(gap.rstrip())
            skipped += len("".join(gap.split()))
            if text_length(gap) >= min_chars:
                title = f"{pieces[-1][2]} (continued)" if pieces else "Opening"
                pieces.append([g_start, g_end, title, _first_sentence(source, g_start, g_end)])
                warnings.append(
                    f"characters {g_start}-{g_end} were not in any chunk: made a unit of them"
                )
            elif pieces:
                pieces[-1][1] = g_end
            else:
                span[0] = g_start
        if span[2] is not None:
            pieces.append(span)
        cursor = span[1]
    merged: list[list] = []
    for piece in pieces:
        text = source[piece[0] : piece[1]]
        piece[0] += len(text) - len(text.lstrip())
        piece[1] = piece[0] + len(text.strip())
        if piece[1] <= piece[0]:
            continue
        if merged and (
            text_length(source[piece[0] : piece[1]]) < min_chars
            or text_length(source[merged[-1][0] : merged[-1][1]]) < min_chars
        ):
            merged[-1][1] = piece[1]
            merged[-1][3] = " ".join(x for x in (merged[-1][3], piece[3]) if x)
            continue
        merged.append(piece)
    units = [
        MemoryUnit(title or "Untitled", core or "", start, end)
        for start, end, title, core in merged
    ]
    return units, skipped, written_end


def parse_memory_output(
    raw: str,
    source: str,
    *,
    doc_id: str = "document",
    min_chunk_chars: int = 40,
    fuzzy_threshold: float = 80.0,
) -> DocumentMemory:
    """Read a guide model's tagged MoM output into a :class:`DocumentMemory` over ``source``.

    Each ``<chunk>head[MASK]tail</chunk>`` is located in ``source`` (exact, then
    normalised, then fuzzy; see :mod:`.anchors`), in document order, preferring text after
    the previous chunk. The result tiles the document: overlaps are clipped, text the
    model skipped is absorbed into the previous chunk when short or becomes a unit of its
    own, and chunks under ``min_chunk_chars`` characters (non-space; a CJK character
    counts 3) are merged into their neighbour. Titles and cores are plain text (HTML
    entities and CDATA sections unwrapped).

    ``memory.metadata`` says how well the output fit the source: ``parse_warnings`` (what
    was repaired), ``anchors`` (how many anchors, heads and tails, were found ``exact``,
    ``normalized``, ``fuzzy`` or were ``missing``), ``coverage_as_written`` (the share of the source's
    non-space characters inside the chunks the model wrote, before the gaps were filled)
    and ``written_end`` (where the last chunk the model wrote ends in ``source``).

    It survives: a ``<think>`` block (closed or not), prose or markdown fences around the
    output, missing closing tags, tags in any letter case, anchors with other spacing,
    case or punctuation, lightly paraphrased anchors, chunks out of order or repeated,
    more or fewer outline items than chunks, and chunks written out whole without
    ``[MASK]``. When nothing usable remains it raises :class:`MemoryParseError`; an
    outline item or core content that is a placeholder of the prompt's format example
    ("first item", "core content of chunk 1") raises :class:`CopiedFormatExample`.

    Example:
        >>> source = "Cats purr when content. They nap a lot.\\n\\nDogs bark at strangers."
        >>> raw = ("<outline>Cats\\nDogs</outline>"
        ...        "<scenario><chunk>Cats purr[MASK]nap a lot.</chunk>Cats are calm.</scenario>"
        ...        "<scenario><chunk>Dogs bark[MASK]strangers.</chunk>Dogs warn.</scenario>")
        >>> memory = parse_memory_output(raw, source, min_chunk_chars=5)
        >>> [(u.title, memory.source[u.start:u.end]) for u in memory.units]
        [('Cats', 'Cats purr when content. They nap a lot.'), ('Dogs', 'Dogs bark at strangers.')]
    """
    if not isinstance(raw, str):
        raise MemoryParseError(f"model output must be a str, got {type(raw).__name__}")
    source = validate_document(source, doc_id)
    if not raw.strip():
        raise MemoryParseError("the model output is empty")
    warnings: list[str] = []
    text = _strip_think(raw)
    outline = _outline_items(text)
    scenarios, empty = _scenarios(text)
    if not scenarios:
        if empty:
            raise MemoryParseError(
                f"all {empty} <chunk> tags of the model output are empty (only [MASK], no "
                "first or last words of the source): no chunk can be located"
            )
        preview = re.sub(r"\s+", " ", raw.strip())[:120]
        raise MemoryParseError(f"no <chunk> found in the model output (it begins: {preview!r})")
    if empty:
        warnings.append(f"{empty} empty <chunk> tags (only [MASK]) ignored")
    copied = [
        line for line in [*outline, *(s.core for s in scenarios)] if copies_format_example(line)
    ]
    if copied:
        raise CopiedFormatExample(
            f"the model output copies the prompt's format example ({len(copied)} "
            f"placeholder line(s), e.g. {copied[0]!r}) instead of titling the document"
        )
    _assign_titles(scenarios, outline, warnings)
    index = AnchorIndex(source, threshold=fuzzy_threshold)
    anchors = dict.fromkeys(("exact", "normalized", "fuzzy", "missing"), 0)
    located = _locate(scenarios, index, warnings, anchors)
    if not located:
        raise MemoryParseError(
            f"none of the {len(scenarios)} chunks could be located in the source document "
            f"(first anchor: {scenarios[0].head[:50]!r})"
        )
    units, skipped, written_end = _tile(located, source, min_chunk_chars, warnings)
    visible = len("".join(source.split()))
    return DocumentMemory(
        doc_id=doc_id,
        units=units,
        source=source,
        extractor="parsed",
        metadata={
            "parse_warnings": warnings,
            "outline_items": outline,
            "anchors": anchors,
            "coverage_as_written": 1.0 - skipped / max(visible, 1),
            "written_end": written_end,
        },
    )


def format_memory_output(memory: DocumentMemory, anchor_words: int = 6) -> str:
    """Write ``memory`` in MoM's tagged format, each chunk as ``head[MASK]tail``: its first
    and last ``anchor_words`` words, copied exactly (line breaks and all), so every anchor
    is a substring of the source; a chunk of at most ``2 * anchor_words`` words is written
    whole.

    ``parse_memory_output(format_memory_output(m), m.source)`` gives back the same spans
    (up to merging of very short chunks).

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> m = DocumentMemory("d", [MemoryUnit("Cats", "Cats nap.", 0, 23)], "Cats nap in the sun all day.")
        >>> print(format_memory_output(m, anchor_words=2))
        <outline>
        Cats
        </outline>
        <scenario><chunk>Cats nap[MASK]sun all</chunk>
        Cats nap.</scenario>
    """
    lines = ["<outline>", *memory.outline, "</outline>"]
    for unit, chunk in zip(memory.units, memory.chunks()):
        words = list(re.finditer(r"\S+", chunk))
        if len(words) <= 2 * anchor_words:
            body = chunk
        else:  # exact slices of the source, its line breaks included
            head = chunk[: words[anchor_words - 1].end()]
            body = head + "[MASK]" + chunk[words[-anchor_words].start() :]
        lines.append(f"<scenario><chunk>{html.escape(body, quote=False)}</chunk>")
        lines.append(f"{unit.core}</scenario>")
    return "\n".join(lines)
