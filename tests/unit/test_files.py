"""Atomic folders: a finished block replaces the old folder whole, a failed one leaves it."""

from __future__ import annotations

import pytest

from mom_micro.files import atomic_directory


def test_a_folder_is_replaced_whole_and_a_failed_build_leaves_the_old_one(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as folder:
        (folder / "old.bin").write_bytes(b"old")
    with atomic_directory(target) as folder:
        (folder / "new.bin").write_bytes(b"new")
    assert [p.name for p in target.iterdir()] == ["new.bin"]  # nothing of the old one

    with pytest.raises(RuntimeError), atomic_directory(target) as folder:
        (folder / "half.bin").write_bytes(b"half")
        raise RuntimeError("training died")
    assert [p.name for p in target.iterdir()] == ["new.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary folder left
