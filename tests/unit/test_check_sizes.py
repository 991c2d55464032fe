"""tools/check_sizes.py: modules over 800 lines and classes over 600 fail the lint, an
allowed file is exempt while it still needs to be, and nothing else is reported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "check_sizes.py"


@pytest.fixture(scope="module")
def check_sizes():
    spec = importlib.util.spec_from_file_location("check_sizes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_of(tmp_path: Path, name: str, lines: int) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"x{i} = {i}\n" for i in range(lines)), encoding="utf-8")
    return path


def class_of(tmp_path: Path, name: str, body_lines: int) -> Path:
    path = tmp_path / name
    body = "".join(f"    a{i} = {i}\n" for i in range(body_lines))
    path.write_text(f"import dataclasses\n\n\n@dataclasses.dataclass\nclass Big:\n{body}")
    return path


def test_modules_and_classes_within_the_limits_pass(check_sizes, tmp_path, capsys):
    module_of(tmp_path, "small.py", 800)
    class_of(tmp_path, "klass.py", 598)  # decorator + header + 598 = 600 lines
    assert check_sizes.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_a_module_over_800_lines_fails_and_is_named(check_sizes, tmp_path, capsys):
    big = module_of(tmp_path, "big.py", 801)
    module_of(tmp_path, "small.py", 10)
    assert check_sizes.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{big}:1: module has 801 lines (limit 800)\n"


def test_a_class_over_600_lines_counts_its_decorators(check_sizes, tmp_path, capsys):
    path = class_of(tmp_path, "klass.py", 599)
    assert check_sizes.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{path}:4: class Big has 601 lines (limit 600)\n"


def test_every_offender_is_printed(check_sizes, tmp_path, capsys):
    module_of(tmp_path, "a.py", 900)
    class_of(tmp_path, "b.py", 700)
    assert check_sizes.main([str(tmp_path), "--max-module-lines", "800"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [str(tmp_path / "a.py"), str(tmp_path / "b.py")]


def test_an_allowed_file_is_exempt_but_others_still_fail(check_sizes, tmp_path, capsys):
    allowed = module_of(tmp_path, "index.py", 1379)
    other = module_of(tmp_path, "other.py", 801)
    assert check_sizes.main([str(tmp_path), "--allow", str(allowed)]) == 1
    assert capsys.readouterr().out == f"{other}:1: module has 801 lines (limit 800)\n"
    other.unlink()
    assert check_sizes.main([str(tmp_path), "--allow", str(allowed)]) == 0


def test_an_allowance_no_longer_needed_fails(check_sizes, tmp_path, capsys):
    small = module_of(tmp_path, "index.py", 300)
    assert check_sizes.main([str(tmp_path), "--allow", str(small)]) == 1
    assert "drop its --allow" in capsys.readouterr().out
    assert check_sizes.main([str(tmp_path), "--allow", str(tmp_path / "gone.py")]) == 1
    assert "not checked" in capsys.readouterr().out
