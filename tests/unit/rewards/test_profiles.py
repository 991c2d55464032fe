"""The user profile store: Hedge steps, atomic JSON, correctness under threads."""

from __future__ import annotations

import json
import random
import threading

import pytest

from mom_micro.rewards import CheckpointMismatchError, RewardsError, UserProfileStore


def test_one_hedge_step_and_a_new_user_prior(tmp_path):
    store = UserProfileStore(tmp_path / "p.json", n_heads=3)
    profile = store.update("ana", [0.5, 1.0, 2.0], tau=0.5)
    assert profile.log_weights == pytest.approx([0.0, -1.0, -3.0])
    assert profile.updates == 1
    assert store.log_weights("new").tolist() == [0.0, 0.0, 0.0]
    reloaded = UserProfileStore(tmp_path / "p.json", n_heads=3)
    assert reloaded.get("ana") == profile


def test_bad_updates_and_mismatched_files_are_refused(tmp_path):
    store = UserProfileStore(tmp_path / "p.json", n_heads=2)
    with pytest.raises(RewardsError, match="expected 2 head losses"):
        store.update("ana", [1.0], tau=1.0)
    with pytest.raises(RewardsError, match="non-empty"):
        store.update("", [1.0, 2.0], tau=1.0)
    with pytest.raises(ValueError, match="tau"):
        store.update("ana", [1.0, 2.0], tau=0)
    store.update("ana", [1.0, 2.0], tau=1.0)
    with pytest.raises(CheckpointMismatchError, match="2 heads"):
        UserProfileStore(tmp_path / "p.json", n_heads=5)
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(RewardsError, match="not valid JSON"):
        UserProfileStore(tmp_path / "junk.json", n_heads=2)


def test_concurrent_updates_from_threads_lose_nothing(tmp_path):
    path = tmp_path / "profiles.json"
    store = UserProfileStore(path, n_heads=4)
    users = ["u0", "u1", "u2"]
    rng = random.Random(0)
    jobs = [(users[i % 3], [rng.random() for _ in range(4)]) for i in range(240)]
    expected = {u: [0.0] * 4 for u in users}
    for user, losses in jobs:
        expected[user] = [e - loss for e, loss in zip(expected[user], losses, strict=True)]
    read_errors: list[Exception] = []
    stop = threading.Event()

    def reader() -> None:  # the file on disk must always be whole, valid JSON
        while not stop.is_set():
            if path.exists():
                try:
                    json.loads(path.read_text())
                except Exception as exc:  # noqa: BLE001 - collected for the assertion
                    read_errors.append(exc)

    def worker(chunk) -> None:
        for user, losses in chunk:
            store.update(user, losses, tau=1.0)

    watcher = threading.Thread(target=reader)
    watcher.start()
    threads = [threading.Thread(target=worker, args=(jobs[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert not read_errors
    on_disk = UserProfileStore(path, n_heads=4)
    for user in users:
        want = [v - max(expected[user]) for v in expected[user]]
        assert store.get(user).updates == 80
        assert store.get(user).log_weights == pytest.approx(want, abs=1e-9)
        assert on_disk.get(user) == store.get(user)
