"""Users' profiles in a LangGraph store: kept as JSON, refitted from every recorded
choice, nothing lost by two processes writing one SqliteStore; show / reset / delete
from the API and the command line, for a store and a mom-micro profile file."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite import SqliteStore

from mom_micro.cli import main
from mom_micro.plugins.langgraph import (
    CHOICES_NAMESPACE,
    PROFILES_NAMESPACE,
    StoreProfiles,
    delete_profile,
    reset_profile,
    show_profile,
)
from mom_micro.rewards import RewardsError, UserProfileStore


def total_gap(choices):
    """A stand-in online fit: the sum of each gap column (exact, order-free)."""
    return choices[:, 1:].sum(dim=0).tolist()


def test_choices_are_items_and_the_profile_is_json_refitted_on_each():
    store = InMemoryStore()
    profiles = StoreProfiles(store, dim=2, heads=2, model="m1")
    assert profiles.get("ana") is None and profiles.weights("ana").tolist() == [0.0, 0.0]
    profiles.update("ana", [0.5, 1.0, -1.0], total_gap)
    profile = profiles.update("ana", [0.1, 0.5, 0.0], total_gap)
    assert profile.weights == [1.5, -1.0] and profile.updates == 2
    value = store.get(PROFILES_NAMESPACE, "ana").value
    assert json.loads(json.dumps(value)) == value
    assert value["weights"] == [1.5, -1.0] and value["model"] == "m1" and value["dim"] == 2
    assert len(store.search(CHOICES_NAMESPACE, filter={"user": "ana"})) == 2
    profiles.note_ranking("ana", "Hi?", ["Hello.", "Hello there."])
    assert profiles.was_ranked("ana", "Hi?", "Hello.") and profiles.users() == ["ana"]
    assert StoreProfiles(store, dim=2, heads=2, model="m1").get("ana") == profiles.get("ana")
    with pytest.raises(RewardsError, match="recorded with model m1"):
        StoreProfiles(store, dim=2, heads=2, model="m2").get("ana")
    with pytest.raises(RewardsError, match="a user is a non-empty name"):
        profiles.update(" ", [0.0, 0.0, 0.0], total_gap)


def test_a_profile_behind_its_choice_items_is_refitted_when_read():
    store = InMemoryStore()
    profiles = StoreProfiles(store, dim=2, heads=2)
    profiles.update("ana", [0.0, 1.0, 0.0], total_gap)
    store.put(CHOICES_NAMESPACE, "from-another-process", {"user": "ana", "choice": [0, 0, 1]})
    refitted = profiles.get("ana")
    assert refitted.updates == 2 and len(refitted.weights) == 2
    assert store.get(PROFILES_NAMESPACE, "ana").value["updates"] == 2


def _record(path: str, user: str, start: int, n: int, go) -> None:
    with SqliteStore.from_conn_string(path) as store:
        store.setup()
        profiles = StoreProfiles(store, dim=2, heads=2)
        go.wait()
        for i in range(start, start + n):
            profiles.update(user, [float(i), 1.0, 0.0], total_gap)


def test_two_processes_recording_into_one_sqlite_store_lose_nothing(tmp_path):
    path = str(tmp_path / "agent.sqlite")
    with SqliteStore.from_conn_string(path) as store:
        store.setup()
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    workers = [
        context.Process(target=_record, args=(path, "ana", 1000 * k, 20, go)) for k in range(2)
    ]
    for worker in workers:
        worker.start()
    go.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with SqliteStore.from_conn_string(path) as store:
        stored = store.get(PROFILES_NAMESPACE, "ana").value["updates"]
        profile = StoreProfiles(store, dim=2, heads=2).get("ana")
    assert profile.updates == 40
    if stored == 40:  # the last update saw every choice: its own fit stands
        assert profile.weights == [40.0, 0.0]
    # else the two writers' last updates raced and the read refitted (the test above)
    assert sorted(c[0] for c in profile.choices) == [
        float(i) for k in range(2) for i in range(1000 * k, 1000 * k + 20)
    ]


def test_show_reset_delete_in_a_store_and_in_a_profile_file(tmp_path):
    store = InMemoryStore()
    file_profiles = UserProfileStore(tmp_path / "profiles.json", dim=2)
    for profiles in (StoreProfiles(store, dim=2, heads=2), file_profiles):
        for user in ("ana", "bob"):
            profiles.update(user, [0.0, 1.0, 2.0], total_gap)
    for profiles in (store, file_profiles):
        assert show_profile(profiles, "ana")["weights"] == [1.0, 2.0]
        assert reset_profile(profiles, "ana") is True
        shown = show_profile(profiles, "ana")
        assert shown["weights"] == [0.0, 0.0] and shown["updates"] == 0
        assert delete_profile(profiles, "ana") is True
        assert show_profile(profiles, "ana") is None
        assert delete_profile(profiles, "ana") is reset_profile(profiles, "ana") is False
        assert show_profile(profiles, "bob")["updates"] == 1
    assert StoreProfiles(store, dim=2, heads=2).users() == ["bob"]
    assert UserProfileStore(tmp_path / "profiles.json", dim=2).users() == ["bob"]


def test_the_command_line_shows_resets_and_deletes(tmp_path, capsys):
    db = str(tmp_path / "agent.sqlite")
    with SqliteStore.from_conn_string(db) as store:
        store.setup()
        StoreProfiles(store, dim=2, heads=2).update("ana", [0.0, 1.0, 2.0], total_gap)
    file = tmp_path / "profiles.json"
    UserProfileStore(file, dim=2, model="m1").update("ana", [0.0, 1.0, 2.0], total_gap)
    for where in (["--store", db], ["--profiles", str(file)]):
        assert main(["reward", "profile", "show", "ana", *where]) == 0
        assert json.loads(capsys.readouterr().out)["weights"] == [1.0, 2.0]
        assert main(["reward", "profile", "reset", "ana", *where]) == 0
        assert "reset to the population model" in capsys.readouterr().out
        assert main(["reward", "profile", "delete", "ana", *where]) == 0
        assert "ana: deleted" in capsys.readouterr().out
        assert main(["reward", "profile", "show", "ana", *where]) == 0
        assert "nothing is kept on 'ana'" in capsys.readouterr().out
    assert json.loads(file.read_text())["model"] == "m1"
    assert main(["reward", "profile", "show", "ana", "--store", str(tmp_path / "none")]) == 2
    assert "no store at" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[]")
    assert main(["reward", "profile", "show", "ana", "--profiles", str(tmp_path / "bad.json")]) == 2
    assert "not a mom-micro profile store" in capsys.readouterr().err
