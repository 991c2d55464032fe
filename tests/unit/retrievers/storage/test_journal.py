"""The write journal: one folder writer at a time, and what a killed writer left behind
finished or rolled back."""

from __future__ import annotations

import subprocess
import sys

import pytest
from filelock import FileLock
from llama_index.core import Document

from mom_micro.retrievers.storage.catalog import PendingOperation
from mom_micro.retrievers.storage.errors import IndexBusy
from mom_micro.retrievers.storage.journal import hold_lock, pid_alive


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_a_second_writer_waits_then_is_refused_naming_the_lock(tmp_path):
    path = tmp_path / "write.lock"
    with hold_lock(FileLock(str(path)), "idx", timeout=1):
        with pytest.raises(IndexBusy, match=r"idx: another process .* \(lock .*write\.lock\)"):
            with hold_lock(FileLock(str(path)), "idx", timeout=0.2):
                pass
    with hold_lock(FileLock(str(path)), "idx", timeout=0.2):  # free again
        pass


def test_a_finished_process_is_not_alive():
    assert not pid_alive(_dead_pid())


def test_recovery_rolls_back_a_dead_write_and_keeps_the_committed_version(storage, docs):
    storage.write(docs)
    committed = storage.records()["pets"]
    counts = storage.parts.stores.vector_counts()
    stray = PendingOperation("dead-op", "pets", "write", owner=f"localhost:{_dead_pid()}")
    storage.parts.catalog.begin(stray)
    # the killed write had stored some vectors of its new version
    node = storage.writer.builder.build([Document(text="Cats purr.", id_="pets")]).nodes[0]
    node.embedding = [0.0] * 256
    storage.parts.stores.add([node], "dead-op")
    with storage.journal.locked():  # under the folder's lock every foreign entry is dead
        recovered = storage.journal.recover()
    assert [p.op for p in recovered] == ["dead-op"]
    assert storage.parts.catalog.pending() == []
    assert storage.records()["pets"] == committed
    assert storage.parts.stores.vector_counts() == counts


def test_this_processs_running_write_is_never_recovered_from_under_it(storage):
    operation = PendingOperation("mine", "a.txt", "write")
    storage.parts.catalog.begin(operation)
    with storage.journal.running(["mine"]):
        assert storage.journal.alive(operation)
        assert storage.journal.recover(everything=True) == []
    assert not storage.journal.alive(operation)
