"""The user profile store: choices kept, weights refitted, atomic JSON, correctness under
threads and under several processes, malformed files refused without being touched."""

from __future__ import annotations

import json
import multiprocessing
import random
import threading

import pytest

from mom_micro.rewards import CheckpointMismatchError, RewardsError, UserProfileStore


def total_gap(choices):
    """A stand-in online fit: the sum of each gap column (exact, order-free)."""
    return choices[:, 1:].sum(dim=0).tolist()


def test_choices_are_kept_and_the_weights_refitted_on_each(tmp_path):
    store = UserProfileStore(tmp_path / "p.json", dim=3)
    store.update("ana", [0.5, 1.0, 0.0, -1.0], total_gap)
    profile = store.update("ana", [-0.5, 2.0, 1.0, 0.0], total_gap)
    assert profile.updates == 2
    assert profile.choices == [[0.5, 1.0, 0.0, -1.0], [-0.5, 2.0, 1.0, 0.0]]
    assert profile.weights == pytest.approx([3.0, 1.0, -1.0])
    assert store.weights("new").tolist() == [0.0, 0.0, 0.0]  # a new user: the population
    reloaded = UserProfileStore(tmp_path / "p.json", dim=3)
    assert reloaded.get("ana") == profile


def test_bad_updates_are_refused(tmp_path):
    store = UserProfileStore(tmp_path / "p.json", dim=2)
    with pytest.raises(RewardsError, match="3 finite numbers, got 2"):
        store.update("ana", [1.0, 2.0], total_gap)
    with pytest.raises(RewardsError, match="non-empty name"):
        store.update("", [1.0, 2.0, 3.0], total_gap)
    with pytest.raises(RewardsError, match="3 finite numbers"):
        store.update("ana", [1.0, float("nan"), 3.0], total_gap)
    with pytest.raises(RewardsError, match="gave 1 weights"):
        store.update("ana", [1.0, 2.0, 3.0], lambda choices: [1.0])
    assert not (tmp_path / "p.json").exists()  # nothing half-recorded


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a mom-micro profile store"),
        ('{"format": "mom-micro-profiles/1", "n_heads": 2, "users": {}}', "old format"),
        ('{"format": "mom-micro-profiles/2", "dim": 5, "users": {}}', "dim 5"),
        (
            '{"format": "mom-micro-profiles/2", "dim": 2, "users": {"ana": '
            '{"weights": [0.0, 0.0], "choices": []}}}',
            "'updates'",
        ),
        (
            '{"format": "mom-micro-profiles/2", "dim": 2, "users": {"ana": '
            '{"weights": [0.0], "updates": 0, "choices": []}}}',
            "2 finite 'weights'",
        ),
        (
            '{"format": "mom-micro-profiles/2", "dim": 2, "users": {"ana": '
            '{"weights": [0.0, 0.0], "updates": 1, "choices": [[1.0, 2.0]]}}}',
            "not 3 finite numbers",
        ),
        (
            '{"format": "mom-micro-profiles/2", "dim": 2, "users": {"ana": '
            '{"weights": [0.0, 0.0], "updates": 2, "choices": []}}}',
            "not a list of 2",
        ),
    ],
    ids=[
        "not-json",
        "a-list",
        "format-1",
        "other-dim",
        "no-updates",
        "short-weights",
        "short-choice",
        "updates-vs-choices",
    ],
)
def test_malformed_files_are_refused_naming_the_file_and_left_untouched(tmp_path, content, message):
    path = tmp_path / "profiles.json"
    path.write_text(content)
    with pytest.raises(RewardsError, match=message) as error:
        UserProfileStore(path, dim=2)
    assert str(path) in str(error.value)
    assert path.read_text() == content


def test_a_store_recorded_with_another_model_is_refused(tmp_path):
    path = tmp_path / "profiles.json"
    UserProfileStore(path, dim=2, model="aaaa").update("ana", [0.0, 1.0, 1.0], total_gap)
    with pytest.raises(CheckpointMismatchError, match="recorded with model aaaa"):
        UserProfileStore(path, dim=2, model="bbbb")
    assert UserProfileStore(path, dim=2, model="aaaa").get("ana").updates == 1
    assert UserProfileStore(path, dim=2).model == "aaaa"  # unchecked, but kept


def test_rankings_are_noted_for_checking_choices(tmp_path):
    store = UserProfileStore(tmp_path / "p.json", dim=2)
    store.note_ranking("ana", "Hi?", ["Hello.", "Hello, how can I help?"])
    again = UserProfileStore(tmp_path / "p.json", dim=2)
    assert again.was_ranked("ana", "Hi?", "Hello.")
    assert not again.was_ranked("ana", "Hi?", "Go away.")
    assert not again.was_ranked("ana", "Bye?", "Hello.")
    assert not again.was_ranked("bob", "Hi?", "Hello.")
    assert again.get("ana").updates == 0 and again.weights("ana").tolist() == [0.0, 0.0]


def test_concurrent_updates_from_threads_lose_nothing(tmp_path):
    path = tmp_path / "profiles.json"
    store = UserProfileStore(path, dim=4)
    users = ["u0", "u1", "u2"]
    rng = random.Random(0)
    jobs = [(users[i % 3], [rng.random() for _ in range(5)]) for i in range(240)]
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
        for user, choice in chunk:
            store.update(user, choice, total_gap)

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
    on_disk = UserProfileStore(path, dim=4)
    for user in users:
        mine = [choice for u, choice in jobs if u == user]
        want = [sum(c[j] for c in mine) for j in range(1, 5)]
        assert store.get(user).updates == 80
        assert sorted(map(tuple, store.get(user).choices)) == sorted(map(tuple, mine))
        assert store.get(user).weights == pytest.approx(want)
        assert on_disk.get(user) == store.get(user)


def _record(path: str, user: str, start: int, n: int, go) -> None:
    store = UserProfileStore(path, dim=2)
    go.wait()
    for i in range(start, start + n):
        store.update(user, [float(i), 1.0, 0.0], total_gap)


@pytest.mark.parametrize("users", [("ana", "ana"), ("ana", "bob")], ids=["one-user", "two-users"])
def test_two_processes_recording_at_once_lose_nothing(tmp_path, users):
    """Two real processes, each with its own store on the same file, 60 choices each."""
    path = str(tmp_path / "profiles.json")
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    workers = [
        context.Process(target=_record, args=(path, user, 1000 * k, 60, go))
        for k, user in enumerate(users)
    ]
    for worker in workers:
        worker.start()
    go.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    store = UserProfileStore(path, dim=2)
    if users[0] == users[1]:
        assert store.get("ana").updates == 120
        assert sorted(c[0] for c in store.get("ana").choices) == [
            float(i) for k in range(2) for i in range(1000 * k, 1000 * k + 60)
        ]
    else:
        assert store.users() == ["ana", "bob"]
        assert store.get("ana").updates == store.get("bob").updates == 60
