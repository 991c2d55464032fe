"""``mom-micro reward profile show | reset | delete USER``: what is kept on one user, in an
agent's LangGraph ``SqliteStore`` (``--store``) or a profile file of mom-micro's own
(``--profiles``), and forgetting it.

Example:
    $ mom-micro reward profile show ana --store agent.sqlite     # what do you know about me
    $ mom-micro reward profile reset ana --profiles profiles.json  # back to the population
    $ mom-micro reward profile delete ana --store agent.sqlite   # forget me
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mom_micro.plugins.langgraph import Profiles

__all__ = ["register"]


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Profiles]:
    """The profiles ``args`` name: a ``SqliteStore`` or a mom-micro profile file (opened
    for the size and model it was recorded with)."""
    path = Path(args.store or args.profiles)
    if not path.is_file():
        raise ValueError(f"no {'store' if args.store else 'profile file'} at {path}")
    if args.store:
        from langgraph.store.sqlite import SqliteStore

        with SqliteStore.from_conn_string(str(path)) as store:
            store.setup()
            yield store
        return
    from mom_micro.rewards import RewardsError, UserProfileStore

    try:
        header = json.loads(path.read_text(encoding="utf-8"))
        dim, model = header["dim"], header.get("model")
    except (ValueError, KeyError, TypeError) as exc:
        raise RewardsError(f"{path} is not a mom-micro profile store: {exc}") from exc
    yield UserProfileStore(path, dim=dim, model=model)


def _run(args: argparse.Namespace) -> int:
    from mom_micro.plugins.langgraph import delete_profile, reset_profile, show_profile

    where = args.store or args.profiles
    with _opened(args) as profiles:
        if args.action == "show":
            shown = show_profile(profiles, args.user)
            print(
                f"nothing is kept on {args.user!r} in {where}"
                if shown is None
                else json.dumps(shown, indent=1)
            )
            return 0
        change = reset_profile if args.action == "reset" else delete_profile
        found = change(profiles, args.user)
    done = "reset to the population model" if args.action == "reset" else "deleted"
    print(f"{args.user}: {done} in {where}" if found else f"nothing was kept on {args.user!r}")
    return 0


def register(reward_sub: argparse._SubParsersAction) -> None:
    """Add ``profile show | reset | delete`` to the ``mom-micro reward`` sub-commands."""
    profile = reward_sub.add_parser(
        "profile",
        help="show, reset or delete one user's online profile",
        description="What is kept on a user (their online weights, recorded choices and "
        "noted rankings), in an agent's SqliteStore or a mom-micro profile file; reset "
        "returns them to the population model, delete forgets them.",
    )
    profile.add_argument("action", choices=("show", "reset", "delete"))
    profile.add_argument("user", help="the user id")
    where = profile.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", help="an agent's LangGraph SqliteStore file")
    where.add_argument("--profiles", help="a mom-micro profile file (JSON)")
    profile.set_defaults(func=_run)
