"""Every error mom-micro raises for bad input derives from MomMicroError (and keeps its
built-in class), so a caller or the command line can catch all of them at once."""

from __future__ import annotations

import pytest

from mom_micro.cli import main
from mom_micro.demo import DemoError
from mom_micro.errors import MomMicroError
from mom_micro.memory import InvalidDocumentError, MemoryExtractionError, MemoryParseError
from mom_micro.plugins import MiCRoRankingError
from mom_micro.retrievers import ChromaServerUnavailable, InvalidQueryError, UnknownDocumentError
from mom_micro.rewards import CheckpointMismatchError, PreferenceDataError


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidDocumentError, ValueError),
        (MemoryParseError, ValueError),
        (MemoryExtractionError, RuntimeError),
        (PreferenceDataError, ValueError),
        (CheckpointMismatchError, ValueError),
        (InvalidQueryError, ValueError),
        (UnknownDocumentError, KeyError),
        (ChromaServerUnavailable, ConnectionError),
        (MiCRoRankingError, ValueError),
        (DemoError, RuntimeError),
    ],
)
def test_package_errors_share_one_base(error, builtin):
    assert issubclass(error, MomMicroError) and issubclass(error, builtin)


def test_a_missing_model_folder_is_one_line_on_the_command_line(tmp_path, capsys):
    assert main(["reward", "rank", "--model", str(tmp_path / "none"), "--prompt", "p", "a"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none" in err
