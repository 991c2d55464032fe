"""``mom-micro reward`` and ``bench preference``: bad input is reported in one line."""

from __future__ import annotations

import pytest

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


SPLIT = ["--split-by-prompt", "0.2", "--out", "o.json"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["bench", "preference", "--train", "a.json", *SPLIT, "--max-pairs", "0"], "--max-pairs"),
        (["bench", "preference", "--train", "a.json", *SPLIT, "--budget", "-5"], "--budget"),
        (["bench", "preference", "--train", "a.json", *SPLIT, "--heads", "0"], "--heads"),
        (["bench", "preference", "--train", "a.json", *SPLIT, "--repeats", "0"], "--repeats"),
        (["bench", "preference", "--train", "a.json", *SPLIT, "--tau", "0"], "--tau"),
        (["bench", "preference", "--train", "a.json", *SPLIT, "--curve", "0", "-1"], "--curve"),
        (
            ["bench", "preference", "--train", "a.json", "--split-by-prompt", "1.5", "--out", "o"],
            "--split-by-prompt",
        ),
        (["reward", "train", "a.json", "--out", "m", "--epochs", "0"], "--epochs"),
        (["reward", "train", "a.json", "--out", "m", "--budget", "-5"], "--budget"),
        (["reward", "train", "a.json", "--out", "m", "--heads", "ten"], "--heads"),
        (["reward", "train", "a.json", "--out", "m", "--ctx-alpha", "0.1,-1"], "--ctx-alpha"),
        (["reward", "train", "a.json", "--out", "m", "--ctx-alpha", ","], "--ctx-alpha"),
        (["bench", "personalize", "--train", "a.json", *SPLIT, "--draws", "0"], "--draws"),
        (["bench", "personalize", "--train", "a.json", *SPLIT, "--l2", "-1"], "--l2"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_out_of_range_values_are_refused_naming_the_flag(argv, needle, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert needle in error and "error:" in error


def test_a_preference_file_that_is_not_utf8_is_named(tmp_path, capsys):
    for name in ("prefs.jsonl", "prefs.json", "prefs.csv"):
        bad = tmp_path / name
        bad.write_bytes(b'{"prompt": "caf\xe9", "chosen": "a", "rejected": "b"}\n')
        code = main(["reward", "train", str(bad), "--out", str(tmp_path / "m")])
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"{bad} is not UTF-8 text" in err, err


def test_a_missing_backbone_folder_is_said_to_be_missing(tmp_path, capsys):
    data = tmp_path / "p.jsonl"
    data.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    code = main(
        ["reward", "train", str(data), "--out", str(tmp_path / "m"), "--backbone", "./nope/model"]
    )
    assert code == 2
    assert (
        "backbone ./nope/model: no such model folder (it does not exist)" in capsys.readouterr().err
    )


def test_a_preference_csv_with_a_nul_byte_is_refused_naming_its_line(tmp_path, capsys):
    bad = tmp_path / "prefs.csv"
    bad.write_bytes(b"prompt,chosen,rejected\np,a,b\nq,c\x00,d\n")
    code = main(["reward", "train", str(bad), "--out", str(tmp_path / "m")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad}, line 3: a NUL byte" in err, err
    assert not (tmp_path / "m").exists()


def test_a_responses_file_that_is_not_utf8_is_named(tmp_path, capsys):
    bad = tmp_path / "responses.txt"
    bad.write_bytes(b"one answer\ncaf\xe9\n")
    argv = ["reward", "rank", "--prompt", "a prompt?", "--model", str(tmp_path)]
    code = main([*argv, "--responses-file", str(bad)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad} is not UTF-8 text" in err, err
