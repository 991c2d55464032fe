"""PreferencePair validation: each bad pair is refused with its reason."""

from __future__ import annotations

import pytest

from mom_micro.rewards import (
    InvalidPairError,
    PreferencePair,
)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"prompt": None, "chosen": "a", "rejected": "b"}, "missing_field"),
        ({"prompt": "p", "chosen": 3, "rejected": "b"}, "non_string"),
        ({"prompt": "p", "chosen": " ", "rejected": "b"}, "empty_text"),
        ({"prompt": "p", "chosen": "a", "rejected": "a"}, "identical_responses"),
        ({"prompt": "p", "chosen": "a", "rejected": "b", "context": 5}, "non_string"),
    ],
)
def test_invalid_pairs_raise_with_a_reason(fields, reason):
    with pytest.raises(InvalidPairError) as info:
        PreferencePair(**fields)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)
