"""Words, terms, stop words and sentences: the one place text is cut into pieces.

Every part of the package that splits text uses this module: the memory readers
(sentences, word counts), BM25 (terms), the sentence probes and
the benchmarks (answer tokens).

- **Words** (:func:`count_words`): a run of non-space characters, or a single
  CJK/kana/hangul character (scripts written without spaces), so that length targets
  mean the same for English and for Chinese. A token without a letter or digit (a dash,
  a full stop) is not a word.
- **Length in characters** (:func:`text_length`): non-space characters, a CJK character
  counting :data:`CJK_CHAR_WEIGHT`, for limits written in characters.
- **Word tokens** (:func:`word_tokens`): lowercased ``\\w+`` runs, what answer recall
  compares; **terms** (:func:`terms`): the word tokens that are not
  :data:`STOP_WORDS`, what BM25 counts.
- **Sentences** (:func:`split_sentences`): spans into the original string, so that the
  memory's chunks stay exact slices of the source; a section heading
  (:func:`~mom_micro.structure.find_headings`) is a sentence of its own.
- **Markup** (:func:`blank_markup`): HTML tags blanked out, character for character, so
  that a page's tags are read as the white space they render as and every offset still
  points into the original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .structure import Heading, find_headings, line_spans

__all__ = [
    "CJK_CHAR_WEIGHT",
    "HTML_ELEMENTS",
    "STOP_WORDS",
    "Sentence",
    "blank_markup",
    "count_words",
    "split_sentences",
    "terms",
    "text_length",
    "word_tokens",
]

#: Words too common to be evidence of what a text is about (question words included:
#: every question has them). BM25 drops them from its terms.
STOP_WORDS = frozenset(
    "a about after all also an and any are as at be been before being between both but "
    "by can could did do does during each for from had has have how i if in into is it "
    "its may might more most no not of on or other over per should so some such than "
    "that the their them then there these they this those through to under used using "
    "via vs was we were what when where which while who whom whose why will with would "
    "you your".split()
)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACE = re.compile(r"\s")

#: How many Latin characters one CJK character stands for in :func:`text_length`: an
#: English word averages about five non-space characters, a Chinese word one and a half
#: characters, so a Chinese character carries about as much as three Latin ones.
CJK_CHAR_WEIGHT = 3
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")  # every visible character is in one
_WORD_TOKEN = re.compile(r"\w+")

# A sentence ends at . ! ? (plus closing quotes/brackets) before white space, or at a
# CJK full stop / exclamation / question mark.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*(?=\s+\S)|(?<=[。！？])")
_ABBREVIATIONS = frozenset(
    "e.g i.e et al fig figs eq eqs ref refs vs dr mr mrs ms prof no nos approx cf ca "
    "sec st jr sr inc ltd co corp dept univ vol pp ed eds resp est jan feb mar apr jun "
    "jul aug sep sept oct nov dec".split()
)


@dataclass(frozen=True)
class Sentence:
    """A sentence (or heading line) as a span ``start:end`` of the source.

    ``line_start`` is true when the sentence begins a line (a paragraph or list item),
    ``blank_before`` when a blank line precedes it, and ``heading`` when it is (part of)
    a section heading (:func:`~mom_micro.structure.find_headings`).
    """

    start: int
    end: int
    words: int
    line_start: bool
    blank_before: bool
    heading: bool


#: The elements of HTML (the WHATWG living standard's list, plus a few common obsolete
#: ones); a tag of another name ("<number>", "<UNK>", a placeholder in prose) is text.
HTML_ELEMENTS = frozenset(
    "a abbr address area article aside audio b base bdi bdo blockquote body br button "
    "canvas caption center cite code col colgroup data datalist dd del details dfn dialog "
    "div dl dt em embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head "
    "header hgroup hr html i iframe img input ins kbd label legend li link main map mark "
    "menu meta meter nav noscript object ol optgroup option output p param picture pre "
    "progress q rp rt ruby s samp script section select small source span strike strong "
    "style sub summary sup table tbody td template textarea tfoot th thead time title tr "
    "track tt u ul var video wbr".split()
)
_HEADING_ELEMENTS = frozenset(f"h{level}" for level in range(1, 7))
# an opening or closing tag whose attributes, if any, are all name=value pairs
# ("<a href=x>"); "<b and c>" in prose is not a tag
_TAG = re.compile(
    r"</?([A-Za-z][A-Za-z0-9]*)"
    r"(?:\s+[A-Za-z_:][-\w:.]*\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))*\s*/?>"
)


def blank_markup(text: str) -> str:
    """``text`` with its HTML tags and comments replaced by spaces, one per character.
    Offsets into the result are offsets into ``text``, and a span of it is the same span
    of ``text`` without the tags. Line breaks stay where the page has them: a tag that
    starts a block (a list item, a table cell) does not start a line here, which would
    cut a page into a line per cell and per item; only a heading (``h1``-``h6``) is put
    on a line of its own (its opening tag's first character, or its closing tag's last,
    made a line break where the page has text beside it on the line), so the page's
    outline reaches :func:`~mom_micro.structure.find_headings`.

    Only tags of :data:`HTML_ELEMENTS` count, with attributes written ``name=value``; a
    placeholder such as ``<number>`` and a comparison such as ``a <b and c> d`` are text.
    A regular expression and not an HTML parser: the parsers on hand (``html.parser``,
    BeautifulSoup) report text without the offsets a memory's exact spans need. Linear
    in the length of ``text``; an unclosed ``<!--`` is text.

    Example:
        >>> page = "<p>Born in <a href='/paris'>Paris</a>.</p><ul><li>one</li></ul>"
        >>> blank_markup(page).split()
        ['Born', 'in', 'Paris', '.', 'one']
        >>> len(blank_markup(page)) == len(page), blank_markup(page).index("Paris") == page.index("Paris")
        (True, True)
        >>> blank_markup("Bio<h2>Life</h2>He was born.").splitlines()
        ['Bio', '   Life    ', 'He was born.']
        >>> blank_markup("if a <b and c> d, mask <number>")
        'if a <b and c> d, mask <number>'
    """

    def blank_element(match: re.Match[str]) -> str:
        tag, name = match.group(0), match.group(1).lower()
        if name not in HTML_ELEMENTS:
            return tag
        if name in _HEADING_ELEMENTS:  # a heading is a line of its own
            page = match.string
            if tag[1] != "/":
                line_start = page.rfind("\n", 0, match.start()) + 1
                if page[line_start : match.start()].strip():
                    return "\n" + _blank(tag[1:])
            else:
                line_end = page.find("\n", match.end())
                if page[match.end() : line_end if line_end >= 0 else len(page)].strip():
                    return _blank(tag[:-1]) + "\n"
        return _blank(tag)

    return _TAG.sub(blank_element, _blank_comments(text))


def _blank(part: str) -> str:
    """``part`` with every character but line breaks replaced by a space."""
    return re.sub(r"[^\n]", " ", part)


def _blank_comments(text: str) -> str:
    """``text`` with each ``<!-- ... -->`` blanked; an opener with no ``-->`` after it is text.

    One pass with :meth:`str.find`, linear in ``text``: the pattern ``<!--.*?-->`` looked
    for a close after every opener, so a page of unclosed openers cost their number times
    its length.
    """
    parts = []
    position = 0
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # no comment closes after here
        parts += [text[position:start], _blank(text[start : end + 3])]
        position = end + 3
    parts.append(text[position:])
    return "".join(parts)


def count_words(text: str) -> int:
    """Number of words in ``text``: space-separated tokens, CJK characters one each.

    Example:
        >>> count_words("Two words")
        2
        >>> count_words("记忆检索")
        4
    """
    # a token (a CJK character, or a run of other non-space characters) with a letter
    # or digit; tested per token, so that a long run without one (a rule of dashes, a
    # line of emoji) is read once, not once per character
    return sum(
        1
        for match in _TOKEN.finditer(text)
        if _CJK_CHAR.match(match.group()) or _LETTER_OR_DIGIT.search(match.group())
    )


def text_length(text: str) -> int:
    """Non-space characters of ``text``, each CJK/kana/hangul character counting
    :data:`CJK_CHAR_WEIGHT`, so that a limit in characters means about as much text in
    Chinese as in English.

    Example:
        >>> text_length("Two words")
        8
        >>> text_length("记忆检索")
        12
    """
    visible = len(text) - len(_SPACE.findall(text))
    return visible + (CJK_CHAR_WEIGHT - 1) * len(_CJK_CHAR.findall(text))


def word_tokens(text: str) -> list[str]:
    """Lowercased ``\\w+`` runs of ``text`` (punctuation splits, "SARS-CoV-2" is three).

    Example:
        >>> word_tokens("ReLU, SeLU and tanh")
        ['relu', 'selu', 'and', 'tanh']
    """
    return _WORD_TOKEN.findall(text.lower())


def terms(text: str) -> list[str]:
    """The terms BM25 counts: :func:`word_tokens` without :data:`STOP_WORDS`.

    Example:
        >>> terms("What is the incubation period of SARS-CoV-2?")
        ['incubation', 'period', 'sars', 'cov', '2']
    """
    return [w for w in word_tokens(text) if w not in STOP_WORDS]


def _token_before(line: str, end: int) -> str:
    """The run of non-space characters of ``line`` that ends at ``end`` ("" when none).

    Scanned back from ``end`` rather than searched from the start of the line, so that
    finding the word before each sentence end costs that word's length, not the line's.
    """
    start = end
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return line[start:end]


def _sentence_breaks(line: str) -> list[int]:
    """Offsets inside ``line`` where a new sentence starts.

    Linear in the length of ``line``: each sentence end is judged by the word before it
    and the character after the white space that follows it, never by a copy of the
    line up to it.
    """
    breaks = []
    for match in _SENTENCE_END.finditer(line):
        cut = match.end()
        # the match starts right after its . ! ? or CJK stop (the look-behind)
        full_stop = line[match.start() - 1] == "."
        if full_stop:
            word = _token_before(line, match.start() - 1).lower()
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        while cut < len(line) and line[cut].isspace():
            cut += 1
        nxt = line[cut : cut + 1]
        if full_stop and nxt.islower():
            continue  # "... approx. three" or a decimal-like continuation
        if cut < len(line):
            breaks.append(cut)
    return breaks


def _split_long(start: int, end: int, text: str, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long span into nearly equal pieces of at most ``max_words`` words."""
    spans = [(start + m.start(), start + m.end()) for m in _TOKEN.finditer(text[start:end])]
    if len(spans) <= max_words:
        return [(start, end)]
    pieces = -(-len(spans) // max_words)
    size = -(-len(spans) // pieces)
    out = []
    for i in range(0, len(spans), size):
        group = spans[i : i + size]
        out.append((group[0][0], group[-1][1]))
    return out


def split_sentences(
    text: str, max_words: int = 120, headings: Sequence[Heading] | None = None
) -> list[Sentence]:
    """Split ``text`` into sentences with spans, marking line starts and headings.

    ``headings`` are the text's section headings (default:
    :func:`~mom_micro.structure.find_headings`); each is one sentence marked
    ``heading``, a run-in heading ("2.1 Hosting License. Licensee may ...") cut from the
    clause after it.

    Lines are split at sentence punctuation (abbreviations such as "e.g." and "et al."
    and initials do not end a sentence); text without punctuation stays one piece per
    line, and any piece over ``max_words`` words is cut into equal parts at word
    boundaries, so no sentence exceeds the limit. Linear in the length of ``text``, one
    long line included (a PDF extraction or a scraped page often is one).

    Example:
        >>> text = "Intro\\nA cat, e.g. Tom. It naps."
        >>> [text[s.start:s.end] for s in split_sentences(text)]
        ['Intro', 'A cat, e.g. Tom.', 'It naps.']
        >>> text = "1. DEFINITIONS.\\nThe terms. 2.1 Grant Of License. We grant it."
        >>> [(text[s.start:s.end], s.heading) for s in split_sentences(text)][:3]
        [('1. DEFINITIONS.', True), ('The terms.', False), ('2.1 Grant Of License.', False)]
    """
    if headings is None:
        headings = find_headings(text)
    heading_ends = {h.start: h.end for h in headings}
    stripped = line_spans(text)
    sentences: list[Sentence] = []
    previous_end = 0
    heading_until = -1  # a heading may span two lines ("ARTICLE 2" over its title)
    for index, (start, end) in enumerate(stripped):
        line = text[start:end]
        if start in heading_ends:
            heading_until = heading_ends[start]
        blank_before = text.count("\n", previous_end, start) >= 2 or index == 0
        if start < heading_until:
            label = min(heading_until, end) - start
            cuts = [0, *(b for b in _sentence_breaks(line) if b > label)]
            if label < len(line):
                cuts.insert(1, len(line) - len(line[label:].lstrip()))
        else:
            cuts = [0, *_sentence_breaks(line)]
        bounds = [*cuts, len(line)]
        first = True
        for a, b in zip(bounds, bounds[1:]):
            piece = line[a:b].rstrip()
            if not piece:
                continue
            heading = start + a < heading_until
            for s, e in _split_long(start + a, start + a + len(piece), text, max_words):
                sentences.append(
                    Sentence(s, e, count_words(text[s:e]), first, blank_before and first, heading)
                )
                first = False
        previous_end = end
    return sentences
