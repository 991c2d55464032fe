"""``mom-micro reward`` and ``bench preference``: bad input is reported in one line."""

from __future__ import annotations

from mom_micro.cli import main


def test_cli_reports_bad_input_as_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "chosen": "a", "rejected": "a"}\n')
    code = main(
        [
            "bench",
            "preference",
            "--train",
            str(bad),
            "--split-by-prompt",
            "0.2",
            "--out",
            str(tmp_path / "o.json"),
        ]
    )
    assert code == 2
    assert "no usable preference pair" in capsys.readouterr().err
