"""A document's own headings: numbered clauses, filings, Markdown, HTML -- and what only
looks like a heading (a table of contents, page furniture, a numbered list, prose)."""

import pytest

from mom_micro.structure import find_headings
from mom_micro.text import blank_markup
from tests.support.memory import DATA


def _read(name: str) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    return blank_markup(text) if name.endswith(".html") else text


def paths(text: str) -> list[str]:
    return [" > ".join(h.path) for h in find_headings(text)]


def test_numbered_clauses_and_run_in_clauses_form_the_outline():
    text = _read("license_agreement.txt")
    found = paths(text)
    assert found[:4] == [
        "SOFTWARE LICENSE AGREEMENT",
        "BACKGROUND",
        "1. DEFINITIONS",
        "2. GRANT OF RIGHTS",
    ]
    assert "2. GRANT OF RIGHTS > 2.1 Hosting Software License" in found
    assert "2. GRANT OF RIGHTS > 2.3 Demonstration License" in found
    assert "6. TERM AND TERMINATION > 6.2 Termination for Breach" in found
    # a run-in heading is its label only, the clause after it is text
    grant = next(h for h in find_headings(text) if h.label.startswith("2.1"))
    assert grant.run_in and text[grant.start : grant.end] == "2.1 Hosting Software License."
    # running footers and page numbers are furniture; defined terms are not headings
    assert not any("Confidential" in p or "Page" in p or '"Software"' in p for p in found)


def test_a_filing_keeps_part_item_and_subheading_and_skips_its_table_of_contents():
    text = _read("annual_report_10k.txt")
    headings = find_headings(text)
    found = [" > ".join(h.path) for h in headings]
    assert "PART I > Item 1. Business > Products" in found
    assert "PART I > Item 1A. Risk Factors" in found
    assert "PART II > Item 7. Management's Discussion and Analysis" in found
    contents = text.index("TABLE OF CONTENTS")
    body = text.index("PART I", contents + 30)
    # the table's entries are not headings; only the body's headings are
    assert [h.label for h in headings if contents < h.start < body] == []
    assert sum(h.label == "Item 1. Business" for h in headings) == 1


def test_markdown_depth_and_code_comments():
    found = paths(_read("field_guide.md"))
    # the lone top heading is the document's title, not a section above the others
    assert found[:4] == [
        "Running a Community Seed Library",
        "Choosing What to Stock",
        "Choosing What to Stock > Local Varieties",
        "Storing Seeds",
    ]
    assert not any("print labels" in p for p in found)


def test_html_headings_are_found_after_the_tags_are_blanked():
    assert [h.label for h in find_headings(_read("town_page.html"))][-4:] == [
        "Opening Hours",
        "Borrowing",
        "Late Returns",
        "Local History Room",
    ]


def test_prose_without_headings_has_none():
    assert find_headings(_read("plain_essay.txt")) == []


@pytest.mark.parametrize(
    "text",
    [
        "Steps to follow:\n1. Use a venv.\n2. Install the package with pip.\n3. Run the tests.",
        "Section 3 of this Agreement survives its end.\nThe rest does not survive it at all.",
        "12\nThe report goes on here with more words than the number above it.",
        "License: cc-by\nThe data are open to every reader of this page.",
    ],
)
def test_lists_cross_references_page_numbers_and_metadata_are_not_headings(text):
    assert find_headings(text) == []


def test_a_bare_article_number_joins_the_title_under_it():
    text = "ARTICLE 2\nGRANT OF RIGHTS\n2.1 Grant. Licensor grants a license.\n"
    first, second = find_headings(text)
    assert first.label == "ARTICLE 2 — GRANT OF RIGHTS"
    assert second.path == ("ARTICLE 2 — GRANT OF RIGHTS", "2.1 Grant")


def test_underlined_titles_take_their_depth_from_the_order_of_their_marks():
    text = (
        "Installing\n==========\n\nRun pip to install the package on a machine.\n\n"
        "From source\n-----------\n\nClone it and build it with make and a compiler.\n\n"
        "Upgrading\n=========\n\nRun pip again with the upgrade flag.\n\n"
        "A table row\n---\n"  # too short an underline for its title: a rule, not a heading
    )
    headings = find_headings(text)
    assert [h.path for h in headings] == [
        ("Installing",),
        ("Installing", "From source"),
        ("Upgrading",),
    ]
    assert text[headings[1].start : headings[1].end] == "From source\n-----------"
