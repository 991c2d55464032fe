"""``mom-micro bench retrieval``: bad input is reported in one line."""

from __future__ import annotations

import pytest

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


def test_a_list_flag_with_a_word_names_the_flag_and_the_word(tmp_path, capsys):
    cases = [("retrieval", "--budgets", "a,b", "a"), ("memory", "--growth-kb", "10,x", "x")]
    for command, flag, value, word in cases:
        with pytest.raises(SystemExit) as stop:
            main(["bench", command, "--dataset", "d.json", "--out", "o.json", flag, value])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {flag}: {word!r} is not a whole number" in err
        assert "invalid literal" not in err
