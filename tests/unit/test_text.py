"""Sentences as exact spans, headings, word counts in English and Chinese, markup."""

from mom_micro.text import blank_markup, count_words, split_sentences


def test_sentences_are_exact_spans_and_abbreviations_do_not_split():
    text = "Dr. Smith et al. measured it. Fig. 2 shows e.g. the rise! Then J. R. Doe left?"
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert pieces == [
        "Dr. Smith et al. measured it.",
        "Fig. 2 shows e.g. the rise!",
        "Then J. R. Doe left?",
    ]


def test_headings_are_detected_but_metadata_lines_are_not():
    text = "Methods\nWe measured the flow in every pipe of the network.\nLicense:cc-by\nThe data are open to all readers."
    marked = {text[s.start : s.end]: s.heading for s in split_sentences(text)}
    assert marked["Methods"] is True
    assert marked["License:cc-by"] is False


def test_text_without_punctuation_is_cut_into_bounded_pieces():
    text = " ".join(f"word{i}" for i in range(1000))
    sentences = split_sentences(text, max_words=100)
    assert all(s.words <= 100 for s in sentences)
    assert sum(s.words for s in sentences) == 1000


def test_cjk_text_counts_characters_and_splits_on_full_stops():
    text = "记忆检索很重要。它帮助回答问题！"
    assert count_words(text) == 14
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "记忆检索很重要。",
        "它帮助回答问题！",
    ]


def test_in_markdown_only_hash_lines_are_headings():
    text = (
        "# Title\n\nShort wrapped first line of a paragraph\nthat goes on for a good many more words here.\n\n"
        "## Usage\n```bash\n# not a heading: a shell comment\nrun it\n```\nRun it."
    )
    headings = [text[s.start : s.end] for s in split_sentences(text) if s.heading]
    assert headings == ["# Title", "## Usage"]


def test_html_tags_are_blanked_in_place_and_placeholders_are_not():
    page = (
        '<H2> History </H2> <P>Born in <a href="/wiki/Paris">Paris</a>.</P>'
        "<!-- a comment --><Ul><Li>one</Li></Ul> <td class='x' colspan=2>cell</td>"
    )
    blank = blank_markup(page)
    assert len(blank) == len(page)
    assert blank.split() == ["History", "Born", "in", "Paris", ".", "one", "cell"]
    for word in ("History", "Paris", "one", "cell"):  # offsets point into the page
        start = blank.index(word)
        assert page[start : start + len(word)] == word
    # a heading is a line of its own; no other block starts a line where the page has none
    lines = blank.splitlines()
    assert [lines[0].strip(), lines[1].split()] == [
        "History",
        ["Born", "in", "Paris", ".", "one", "cell"],
    ]
    prose = "Mask each <number> and <UNK>; if a <b and c> d then x<y."
    assert blank_markup(prose) == prose


class _CountingStr(str):
    """A str that counts the characters of every index and slice taken of it (and of the
    slices, which stay counting): the copies a text function makes of its input."""

    copied = 0

    def __getitem__(self, key):  # type: ignore[override]
        part = str.__getitem__(self, key)
        _CountingStr.copied += len(part)
        return _CountingStr(part)


def _copied(text: str) -> int:
    _CountingStr.copied = 0
    split_sentences(_CountingStr(text))
    return _CountingStr.copied


def test_sentence_splitting_copies_linearly_on_one_long_line():
    # a PDF extraction as one line of short sentences: a copy of the line up to each
    # sentence end (the quadratic reading of issue 33) grows 64-fold for 8 times the text
    line = " ".join(f"Cell {i} grew. It split, e.g. twice." for i in range(40))
    small, large = _copied(line), _copied(" ".join([line] * 8))
    assert small > 0
    assert large <= 10 * small


def test_unclosed_comment_openers_are_text_and_closed_comments_are_blanked():
    assert blank_markup("a <!-- b --> c <!-- d") == "a            c <!-- d"
    assert blank_markup("<!-->x-->") == " " * 9
    # 200 KB of unclosed openers: the pattern <!--.*?--> searched the rest of the page
    # after each one (140 KB took 22 s); the one-pass scan reads it once
    page = "<!-- a " * 30_000
    assert blank_markup(page) == page


def test_a_long_run_without_letters_counts_no_word_and_is_read_once():
    # a rule of dashes or a line of emoji: the word pattern used to try every position
    # of such a run to its end (20 KB took 13 s, 200 KB about 20 minutes)
    line = "Intro " + "-" * 200_000 + " 🙂" * 1000 + " end."
    assert count_words(line) == 2
    assert sum(s.words for s in split_sentences(line, max_words=50)) == 2
    assert count_words("記ー・ x-1 -- _ é") == 5
