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
