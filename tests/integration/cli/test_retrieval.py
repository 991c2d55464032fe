"""``mom-micro ingest | query | delete`` end to end on a folder index with the real offline
models, as a user runs them: ids, a bad file in a batch, a file of the same name from
another folder."""

from __future__ import annotations

import pytest

from mom_micro.cli import main
from tests.support.memory import DATA

WATER = DATA / "harbor_city_water.txt"


def test_ingest_query_delete_end_to_end(tmp_path, capsys):
    doc = tmp_path / "water.txt"
    doc.write_text(WATER.read_text(encoding="utf-8"), encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    index = str(tmp_path / "idx")
    # one bad file does not drop the batch: the good one goes in, the bad one is named
    assert main(["ingest", str(doc), str(empty), "--index", index, "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "1 added" in out and "empty.txt:" in out and "empty" in out.split("empty.txt:")[1]
    assert main(["ingest", str(doc), "--index", index, "--no-progress"]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    question = "Where does the city get its drinking water?"
    assert main(["query", question, "--index", index, "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] water.txt / ") and "[2] water.txt / " in out
    assert all(f"{evidence} " in out for evidence in ("chunk", "sentence", "core", "outline"))
    # a context of at most 60 words: passages, each with its chunks and words
    assert main(["query", question, "--index", index, "--max-words", "60"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] water.txt: chunk") and " words" in out
    budgeted = [line.split(", ")[1] for line in out.splitlines() if " words" in line]
    assert sum(int(part.split()[0]) for part in budgeted) <= 60
    assert main(["query", question, "--index", index, "--max-words", "60", "--assemble"]) == 0
    out = capsys.readouterr().out
    budgeted = [line.split(", ")[1] for line in out.splitlines() if " words" in line]
    assert sum(int(part.split()[0]) for part in budgeted) <= 60
    with pytest.raises(SystemExit) as exit_:
        main(["query", question, "--index", index, "--max-words", "0"])
    assert exit_.value.code == 2 and "must be >= 1" in capsys.readouterr().err
    assert main(["query", question, "--index", index, "--doc-id", "nope.txt"]) == 2
    assert "no document 'nope.txt'" in capsys.readouterr().err

    # the same file name from another folder is refused, not silently replaced
    other = tmp_path / "other"
    other.mkdir()
    (other / "water.txt").write_text("Another text about wells.\n\nWells are deep.")
    assert main(["ingest", str(other / "water.txt"), "--index", index, "--no-progress"]) == 1
    assert "give this file another id" in capsys.readouterr().out
    assert (
        main(
            [
                "ingest",
                str(other / "water.txt"),
                "--id",
                "wells.txt",
                "--index",
                index,
                "--no-progress",
            ]
        )
        == 0
    )
    assert "1 added" in capsys.readouterr().out
    assert main(["delete", "wells.txt", "--index", index]) == 0
    assert "1 documents in the index" in capsys.readouterr().out
    assert main(["delete", "wells.txt", "--index", index]) == 2
    assert "no document 'wells.txt'" in capsys.readouterr().err


def test_ingest_reads_html_tags_as_space_unless_keep_markup(tmp_path, capsys):
    page = tmp_path / "owls.html"
    page.write_text(
        "<P>Owls hunt at <b>night</b>. Their soft feathers make their flight silent.</P>\n\n"
        "<P>Barn owls swallow mice whole and bring up pellets of fur and bone.</P>",
        encoding="utf-8",
    )
    question = ["query", "How do owls fly silently?", "-k", "1", "--width", "1000"]
    blanked, kept = str(tmp_path / "blanked"), str(tmp_path / "kept")
    assert main(["ingest", str(page), "--index", blanked, "--no-progress"]) == 0
    assert main([*question, "--index", blanked]) == 0
    out = capsys.readouterr().out
    assert "feathers" in out and "<b>" not in out and "<P>" not in out
    assert main(["ingest", str(page), "--index", kept, "--keep-markup", "--no-progress"]) == 0
    assert main([*question, "--index", kept]) == 0
    assert "<b>night</b>" in capsys.readouterr().out
    # the choice stays with the index: an ingest without the flag reads as it was created
    again = tmp_path / "more.html"
    again.write_text("<P>Owls turn their heads <i>far</i> round.</P>", encoding="utf-8")
    assert main(["ingest", str(again), "--index", kept, "--no-progress"]) == 0
    assert main(["query", "owls turn their heads", "-k", "1", "--index", kept]) == 0
    assert "<i>far</i>" in capsys.readouterr().out
    # and asking an index made without it to keep tags is refused, nothing read
    assert main(["ingest", str(again), "--index", blanked, "--keep-markup", "--no-progress"]) == 2
    assert "keep_markup=True (the index was created with keep_markup=False)" in (
        capsys.readouterr().err
    )
    assert main(["query", "owls turn their heads", "--index", blanked]) == 0
    assert "more.html" not in capsys.readouterr().out
