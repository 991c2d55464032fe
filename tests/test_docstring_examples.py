"""The examples in the memory core's docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = ["anchors", "document", "keyphrases", "parsing", "schema", "selection", "text"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"mom_micro.memory.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
