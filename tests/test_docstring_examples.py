"""The examples in the docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [f"mom_micro.memory.{name}" for name in
           ("anchors", "document", "keyphrases", "parsing", "schema", "selection", "text")] + [
    "mom_micro._lazy", "mom_micro.chains.memory_rag", "mom_micro.retrievers.bench",
    "mom_micro.retrievers.fusion", "mom_micro.retrievers.lexical", "mom_micro.rewards.config",
    "mom_micro.rewards.feature_cache",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
