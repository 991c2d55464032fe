"""A document's own outline: its headings, their hierarchy, and what only looks like one.

:func:`find_headings` reads the lines of a text and returns its section headings as
exact spans, each with its place in the hierarchy:

* **Markdown** -- a text with ``#`` lines (outside code fences) has exactly those
  headings (and setext ones), at the depth of their ``#`` marks.
* **Underlined titles** -- a title over a line of one repeated mark (reStructuredText's
  ``=====``, ``-----``, ``~~~~~``, with or without an overline; Markdown's setext), the
  depth by the order in which each mark first appears. HTML ``h1``-``h6`` reach here as lines of
  their own (:func:`~mom_micro.text.blank_markup` renders them as line breaks).
* **Numbered sections** -- ``1.`` / ``2.1`` / ``2.3.1``, ``(a)``, ``A.``, ``IV.``, and
  ``ARTICLE`` / ``Section`` / ``Item`` / ``Part`` / ``Chapter`` / ``Schedule`` n, standing
  alone or *run in* before the clause they name (``2.1 Hosting Software License. Subject
  to ...``); the label must read as a title (Title Case or CAPITALS), so a numbered list
  of sentences (``1. Use a venv.``) is not an outline. A bare number line
  (``ARTICLE 2``) and the title line under it are one heading.
* **Unnumbered** -- short CAPITALISED lines, and short lines starting with a capital
  with no sentence punctuation at their end, followed by a longer line of text -- but
  not a line of hard-wrapped prose (the text goes on in lower case below it, it ends on
  a function word, or, in a text wrapped at a fixed width, it holds a comma without
  being a title or is over :data:`WRAPPED_SHARE` of that width).

Not headings: **a table of contents** (entries ending in a page number or dot leaders,
or a run of heading-like lines with no text between them; the ``Contents`` line itself
stays a heading, so the table reads as one part; a blank line ends a run), **page furniture** (page numbers,
``Page 3 of 10``, and short lines repeated three or more times -- running headers and
footers), ``Key: value`` metadata lines (a colon may only join title-like parts, as in
``Methods: Data Collection``), and a heading-like line that closes the text.

**Hierarchy.** Each heading has a *style*: its numbering scheme (Part above Article and
Chapter, above Section and Item, above decimals by their depth, above ``IV.``, ``A.``
and ``(a)``; Markdown by its ``#`` count), or ``CAPS``, or a plain line. A numbered
heading closes every open section of its depth or deeper; an unnumbered one is a
sibling of the earlier heading of its style under the same numbered section, else a
subsection of the current one. A lone unnumbered top heading that opens the text is the
document's title, not a section: it is left out of the others' paths.
:attr:`Heading.path` is the labels from the top section
down to the heading, as a title shows it: ``ARTICLE 2 — GRANT OF RIGHTS > 2.1 Hosting
Software License``.

A rule-based reader and not a layout model: the texts reach us as plain text (a PDF's
extraction, a scraped page), without the font sizes a layout model needs, and the rules
are linear in the length of the text.

Example:
    >>> text = ("1. DEFINITIONS.\\nTerms used in this agreement have these meanings.\\n"
    ...         "2. GRANT OF RIGHTS.\\n2.1 Hosting License. Licensee may host it.\\n")
    >>> [(h.label, h.level, h.run_in) for h in find_headings(text)]
    [('1. DEFINITIONS', 1, False), ('2. GRANT OF RIGHTS', 1, False), ('2.1 Hosting License', 2, True)]
    >>> find_headings(text)[-1].path
    ('2. GRANT OF RIGHTS', '2.1 Hosting License')
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["Heading", "find_headings", "is_title_like", "line_spans"]

#: The most words a heading (or a run-in label) may have.
MAX_HEADING_WORDS = 12
#: A short line seen this many times or more is a running header or footer.
REPEATED_LINE = 3
#: In a hard-wrapped text a plain heading is at most this share of the wrapping width.
WRAPPED_SHARE = 0.7
#: A run of this many heading-like lines with no text between them is a table of contents.
TOC_RUN = 4

_MARKDOWN = re.compile(r"^(#{1,6})\s+\S")
_KEYWORD = re.compile(
    r"^(PART|Part|ARTICLE|Article|SECTION|Section|CHAPTER|Chapter|ITEM|Item|SCHEDULE|"
    r"Schedule|EXHIBIT|Exhibit|APPENDIX|Appendix|ANNEX|Annex)\s+"
    r"(\d{1,3}[A-Z]?(?:\.\d{1,3})*|[IVXLC]{1,6}|[A-Z])\b[.:]?\s*"
)
_DECIMAL = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)(?:\.|\))?\s+(?=\S)")
_LETTERED = re.compile(r"^(?:\(([a-z]{1,4}|[A-Z]|\d{1,2})\)|([A-Z])\.|([IVXLC]{1,6})\.)\s+(?=\S)")
_PAGE_FURNITURE = re.compile(
    r"^(?:(?:page|p\.)\s*)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—)\]]?"
    r"(?:\s*(?:of|/)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_TOC_ENTRY = re.compile(r"(?:\.{3,}|…+|\s{2,}|\t)\s*\d{1,4}$|\s\d{1,4}$")
_ROLE = re.compile(r":[\w.+-]+:(?=`)")
_ADORNMENT = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}$")
_CONTENTS = re.compile(r"^(?:table\s+of\s+)?contents$", re.IGNORECASE)
_COLON = re.compile(r"\s*:+\s+")
_RUN_IN_END = re.compile(r"[.:]\s+(?=\S)")
_LETTERS = re.compile(r"[^\W\d_]{3,}")
#: Words a Title Case label leaves in lower case.
_MINOR_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to under upon via vs with".split()
)


#: Words a wrapped line of prose ends on and a heading does not.
_WRAP_WORDS = frozenset(
    "its it is are was were be this that these those their our your his her my which who "
    "than then not no can may will would should could has have had been if when".split()
)


@dataclass(frozen=True)
class Heading:
    """A section heading as the span ``start:end`` of the source.

    Attributes:
        start, end: the heading's span: its whole line(s), or for a run-in heading the
            label before the clause text.
        label: the heading as a title shows it (white space collapsed, ``#`` marks and a
            closing full stop dropped).
        level: its depth in the hierarchy, 1 for a top section.
        path: the labels from its top section down to itself.
        run_in: whether the clause text follows on the same line.
    """

    start: int
    end: int
    label: str
    level: int
    path: tuple[str, ...]
    run_in: bool = False


@dataclass
class _Candidate:
    start: int
    end: int
    label: str
    style: str
    run_in: bool = False
    bare: bool = False  # a number with no title ("ARTICLE 2")


def line_spans(text: str) -> list[tuple[int, int]]:
    """The spans of ``text``'s lines, stripped of surrounding white space, empty lines
    left out.

    Example:
        >>> line_spans("  one \\n\\n two")
        [(2, 5), (9, 12)]
    """
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        segment = match.group(0)
        left = len(segment) - len(segment.lstrip())
        right = len(segment.rstrip())
        if right > left:
            spans.append((match.start() + left, match.start() + right))
    return spans


def is_title_like(label: str) -> bool:
    """Whether ``label`` reads as a title: at most :data:`MAX_HEADING_WORDS` words with a
    word of letters, in CAPITALS or in Title Case (every word but the minor ones --
    articles, short prepositions, conjunctions -- capitalised or a number).

    Example:
        >>> is_title_like("Hosting Software License"), is_title_like("GRANT OF RIGHTS")
        (True, True)
        >>> is_title_like("Use a venv"), is_title_like("Terms and Conditions of Use")
        (False, True)
    """
    words = label.split()
    if not words or len(words) > MAX_HEADING_WORDS or not _LETTERS.search(label):
        return False
    if label[-1] in ",;" or not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    letters = [w for w in words if any(c.isalpha() for c in w)]
    if all(w.upper() == w for w in letters):
        return True
    return all(
        w.lower() in _MINOR_WORDS or not w[0].isalpha() or w[0].isupper() for w in letters[1:]
    )


def _clean(label: str) -> str:
    """The label as a title shows it: ``#`` marks, reStructuredText roles (``:mod:``) and
    backticks dropped, white space collapsed, a closing full stop or colon dropped."""
    label = re.sub(r"\s+", " ", _ROLE.sub("", label.lstrip("#")).replace("`", "").strip())
    return label[:-1].rstrip() if label.endswith((".", ":")) else label


def _colon_ok(line: str) -> bool:
    """Whether a line's colons, if any, join title-like parts ("Methods: Data
    Collection", "Results ::: Ablations"); ``Key: value`` metadata has no such form."""
    body = line.rstrip(":")
    if ":" not in body:
        return True
    parts = _COLON.split(body)
    return len(parts) > 1 and ":" not in "".join(parts) and all(map(is_title_like, parts))


def _numbered(line: str) -> tuple[str, str] | None:
    """``(style, rest)`` of a line that starts with a section number, else None."""
    if match := _KEYWORD.match(line):
        return match.group(1).lower(), line[match.end() :]
    if match := _DECIMAL.match(line):
        return f"decimal{match.group(1).count('.') + 1}", line[match.end() :]
    if match := _LETTERED.match(line):
        style = "paren" if match.group(1) else "alpha" if match.group(2) else "roman"
        return style, line[match.end() :]
    return None


def _label_of(line: str, offset: int) -> tuple[int, bool] | None:
    """Where the label starting at ``offset`` of a numbered line ends, and whether
    clause text follows it on the line; None when what follows the number is no title."""
    rest = line[offset:]
    if not rest:
        return offset, False
    end = _RUN_IN_END.search(rest)
    if end is not None:
        label = rest[: end.start()]
        if is_title_like(label):
            return offset + end.start() + 1, True
        return None
    return (len(line), False) if is_title_like(rest.rstrip(".:")) else None


def _candidate(
    line: str, start: int, following: str | None, wrap: int | None = None
) -> _Candidate | None:
    """The heading ``line`` (at ``start`` of the source) would be, judged by its form."""
    words = line.split()
    numbered = _numbered(line)
    if _PAGE_FURNITURE.match(line) or (numbered is None and not _colon_ok(line)):
        return None
    if numbered is not None:
        style, rest = numbered
        offset = len(line) - len(rest)
        found = _label_of(line, offset)
        if found is None:
            return None
        end, run_in = found
        bare = offset == len(line)
        if bare and style.startswith("decimal"):
            return None  # a number alone is a page number or a list, not a section
        return _Candidate(start, start + end, _clean(line[:end]), style, run_in, bare)
    if following is None or len(words) > MAX_HEADING_WORDS or not _LETTERS.search(line):
        return None
    letters = [w for w in words if any(c.isalpha() for c in w)]
    if all(w.upper() == w for w in letters):
        if line[-1] in ",;!?" or line[0] in "[({<$\\":
            return None
        return _Candidate(start, start + len(line), _clean(line), "caps")
    if line[-1] in ".,;:!?" or not line[0].isupper() or line[0] in "[({<$\\":
        return None
    if len(following.split()) <= len(words) or _wrapped(line, following, wrap):
        return None
    return _Candidate(start, start + len(line), _clean(line), "plain")


def _wrapped(line: str, following: str, wrap: int | None) -> bool:
    """Whether a plain line reads as hard-wrapped prose rather than a heading: the text
    goes on in lower case on the next line, or the line ends on a function word and is
    no title ("Know What You Are Entitled To" is one); in a
    hard-wrapped text (``wrap``), also a line with a comma that is no title, or one
    nearly as long as the text's wrapped lines."""
    last = line.split()[-1].lower()
    return (
        following[:1].islower()
        or ((last in _MINOR_WORDS or last in _WRAP_WORDS) and not is_title_like(line))
        or (wrap is not None and ("," in line and not is_title_like(line)))
        or (wrap is not None and len(line) > WRAPPED_SHARE * wrap)
    )


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped text is wrapped at (the 90th percentile of its line
    lengths), or None when its lines are paragraphs (that percentile over 100 characters)
    or too few to tell."""
    if len(lines) < 20:
        return None
    width = sorted(len(line) for line in lines)[int(0.9 * (len(lines) - 1))]
    return width if width <= 100 else None


def _markdown(text: str, lines: list[tuple[int, int]]) -> list[_Candidate] | None:
    """The ``#`` headings of a Markdown text (outside code fences), or None if it has none."""
    found: list[_Candidate] = []
    in_code = False
    for start, end in lines:
        line = text[start:end]
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := _MARKDOWN.match(line)):
            found.append(_Candidate(start, end, _clean(line), f"md{len(match.group(1))}"))
    return found or None


def _underlined(text: str, spans: list[tuple[int, int]], lines: list[str]) -> dict[int, _Candidate]:
    """Headings underlined by a line of one repeated mark (reStructuredText, Markdown's
    setext ``===`` / ``---``), by the index of their title line. Their depth is the order
    in which each mark first appears, as reStructuredText reads it; a title with an
    overline of the same mark is a deeper style than one without."""
    found: dict[int, _Candidate] = {}
    marks: list[str] = []
    for i in range(len(lines) - 1):
        title, under = lines[i], lines[i + 1]
        adornment = _ADORNMENT.match(under)
        if (
            adornment is None
            or _ADORNMENT.match(title)
            or not _LETTERS.search(title)
            or len(title.split()) > MAX_HEADING_WORDS
            or len(under) < 0.6 * len(title)
            or text.count("\n", spans[i][1], spans[i + 1][0]) != 1
        ):
            continue
        over = (
            i > 0 and lines[i - 1] == under and text.count("\n", spans[i - 1][1], spans[i][0]) == 1
        )
        mark = ("over" if over else "") + under[0]
        if mark not in marks:
            marks.append(mark)
        start = spans[i - 1][0] if over else spans[i][0]
        found[i] = _Candidate(start, spans[i + 1][1], _clean(title), f"md{marks.index(mark) + 1}")
    return found


def _table_of_contents(
    candidates: list[_Candidate | None], lines: list[str], blank_before: list[bool]
) -> set[int]:
    """Indices of the lines that are entries of a table of contents: lines ending in a
    page number, and runs of heading-like lines (a blank line ends a run)."""
    entries = {
        i
        for i, (c, line) in enumerate(zip(candidates, lines))
        if c is not None
        and not (c.run_in or c.bare)
        and c.style != "plain"
        and _TOC_ENTRY.search(line)
    }
    i = 0
    while i < len(lines):
        if candidates[i] is None or candidates[i].run_in:  # type: ignore[union-attr]
            i += 1
            continue
        j = i
        while (
            j < len(lines)
            and candidates[j] is not None
            and not candidates[j].run_in  # type: ignore[union-attr]
            and (j == i or not blank_before[j])
        ):
            j += 1
        contents = _CONTENTS.match(candidates[i].label)  # type: ignore[union-attr]
        # bare numbers and the titles under them come in pairs; count headings, not lines
        headings = sum(1 for c in candidates[i:j] if c is not None and not c.bare)
        if headings >= TOC_RUN or (contents and j - i >= 2):
            entries.update(range(i + 1 if contents else i, j))
        i = j
    return entries


def find_headings(text: str) -> list[Heading]:
    """The section headings of ``text``, in order (module docstring).

    Example:
        >>> text = "Item 1. Business.\\nWe make tools.\\nItem 1A. Risk Factors.\\nMarkets change."
        >>> [h.label for h in find_headings(text)]
        ['Item 1. Business', 'Item 1A. Risk Factors']
        >>> text = "# Guide\\nRead this first.\\n## Setup\\nInstall it.\\n### Linux\\nUse apt."
        >>> [h.path for h in find_headings(text)]
        [('Guide',), ('Setup',), ('Setup', 'Linux')]
    """
    spans = line_spans(text)
    lines = [text[a:b] for a, b in spans]
    underlined = _underlined(text, spans, lines)
    candidates = _markdown(text, spans)
    if candidates is not None:
        candidates = sorted([*candidates, *underlined.values()], key=lambda c: c.start)
    else:
        wrap = _wrap_width(lines)
        repeated = Counter(re.sub(r"\d+", "#", line.lower()) for line in lines if len(line) < 80)
        judged: list[_Candidate | None] = []
        for index, ((start, _), line) in enumerate(zip(spans, lines)):
            following = lines[index + 1] if index + 1 < len(lines) else None
            if index in underlined:
                judged.append(underlined[index])
            elif index - 1 in underlined or (index + 2 in underlined and _ADORNMENT.match(line)):
                judged.append(None)  # an underline (or an overline) is part of its heading
            elif repeated[re.sub(r"\d+", "#", line.lower())] >= REPEATED_LINE:
                judged.append(None)
            else:
                judged.append(_candidate(line, start, following, wrap))
        blank_before = [
            index > 0 and text.count("\n", spans[index - 1][1], start) >= 2
            for index, (start, _) in enumerate(spans)
        ]
        toc = _table_of_contents(judged, lines, blank_before)
        candidates = _merged(
            [c if i not in toc else None for i, c in enumerate(judged)], len(lines)
        )
    headings = _hierarchy(candidates)
    if candidates and _numbering(candidates[0].style):
        return headings  # "ARTICLE 1" opens a section, not the document's title
    return _without_document_title(headings)


def _without_document_title(headings: list[Heading]) -> list[Heading]:
    """The headings with a lone top heading that opens the text (the document's title,
    "# mom-micro" over its sections) taken out of the others' paths: it names the
    document, not a section of it."""
    if len(headings) < 2 or headings[0].level != 1 or any(h.level == 1 for h in headings[1:]):
        return headings
    return [headings[0]] + [
        Heading(h.start, h.end, h.label, h.level - 1, h.path[1:], h.run_in) for h in headings[1:]
    ]


def _merged(judged: list[_Candidate | None], count: int) -> list[_Candidate]:
    """The candidates, a bare number line joined to the title line right under it."""
    out: list[_Candidate] = []
    i = 0
    while i < count:
        current = judged[i]
        if current is None:
            i += 1
            continue
        below = judged[i + 1] if i + 1 < count else None
        if (
            current.bare
            and below is not None
            and not below.bare
            and below.style in ("caps", "plain")
        ):
            current = _Candidate(
                current.start,
                below.end,
                f"{current.label} — {below.label}",
                current.style,
                below.run_in,
            )
            i += 1
        out.append(current)
        i += 1
    return out


#: The intrinsic depth of a numbering style; CAPS and plain lines have none.
_RANKS = {"part": 1, "article": 2, "chapter": 2, "roman": 8, "alpha": 9, "paren": 10}


def _numbering(style: str) -> bool:
    """Whether ``style`` is a numbering scheme (not Markdown, CAPS or a plain line)."""
    return not style.startswith("md") and style not in ("caps", "plain")


def _rank(style: str) -> int | None:
    if style.startswith("md"):
        return int(style[2:])
    if style.startswith("decimal"):
        return 3 + int(style[7:])
    if style in ("caps", "plain"):
        return None
    return _RANKS.get(style, 3)  # section, item, schedule, exhibit, appendix, annex


def _hierarchy(candidates: list[_Candidate]) -> list[Heading]:
    """Each candidate placed in the outline (module docstring): a numbered heading closes
    every section of its depth or deeper; a CAPS or plain one, found under the same
    numbered section, is a sibling of the earlier one of its style, else a subsection."""
    stack: list[tuple[str, str]] = []  # (style, label) from the top section down
    out = []
    for c in candidates:
        rank = _rank(c.style)
        if rank is not None:
            keep = 0
            for depth, (style, _) in enumerate(stack):
                above = _rank(style)
                if above is not None and above < rank:
                    keep = depth + 1
            del stack[keep:]
        else:
            numbered = [i for i, (style, _) in enumerate(stack) if _rank(style) is not None]
            below = numbered[-1] + 1 if numbered else 0
            styles = [style for style, _ in stack[below:]]
            if c.style in styles:
                del stack[below + styles.index(c.style) :]
        stack.append((c.style, c.label))
        out.append(
            Heading(
                c.start, c.end, c.label, len(stack), tuple(label for _, label in stack), c.run_in
            )
        )
    return out
