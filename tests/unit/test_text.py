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
    assert "\n" not in blank  # no line where the page has none
    prose = "Mask each <number> and <UNK>; if a <b and c> d then x<y."
    assert blank_markup(prose) == prose
