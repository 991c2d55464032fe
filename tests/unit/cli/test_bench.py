"""``mom-micro bench retrieval``: bad input is reported in one line."""

from __future__ import annotations

from mom_micro.cli import main
from tests.support.retrieval import squad_file


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    assert (
        main(
            [
                "bench",
                "retrieval",
                "--dataset",
                str(tmp_path / "nope.json"),
                "--out",
                str(tmp_path / "o.json"),
            ]
        )
        == 2
    )
    assert "no dataset file" in capsys.readouterr().err
    assert (
        main(
            [
                "bench",
                "retrieval",
                "--dataset",
                str(squad_file(tmp_path)),
                "--systems",
                "fixed999",
                "--out",
                str(tmp_path / "o.json"),
            ]
        )
        == 2
    )
    assert "unknown system" in capsys.readouterr().err
    assert main(["query", "what?", "--index", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
