"""``mom-micro memory``: bad input is reported in one line."""

from mom_micro.cli import main


def test_memory_command_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8")
    assert main(["memory", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not UTF-8" in err
    assert main(["sft-data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_reader_commands_report_bad_input_in_one_line(tmp_path, capsys):
    def one_line_error(argv, expected):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and expected in err, err

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A short document. It has two sentences.")
    out = str(tmp_path / "o.jsonl")
    one_line_error(
        ["sft-data", str(docs), "--out", out, "--guide", str(tmp_path / "missing-model")],
        "guide model folder",
    )
    one_line_error(
        ["sft-data", str(docs), "--out", out, "--guide", "no_such_package_xyz:Chat"],
        "cannot import 'no_such_package_xyz'",
    )
    one_line_error(["sft-data", str(docs), "--out", out, "--guide-kwargs", "[1]"], "JSON object")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "x"}]}\n{oops\n')
    one_line_error(["train-reader", str(bad), "--out", str(tmp_path / "r")], "bad.jsonl:1:")
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(
        ["ingest", str(docs / "a.txt"), "--index", str(tmp_path / "idx"), "--reader", str(empty)],
        "is not a model folder",
    )
    one_line_error(
        ["bench", "reader", "--dataset", str(tmp_path / "none.json"), "--out", out],
        "no dataset file",
    )
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "r").exists()
