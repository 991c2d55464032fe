"""A Milvus location without Milvus: which arguments go together, how index names become
collection names (and back), and how filters become Milvus expressions."""

from __future__ import annotations

import argparse

import pytest
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from mom_micro.cli.options import add_index_location
from mom_micro.cli.options import index_location as cli_location
from mom_micro.retrievers import InvalidIndexName
from mom_micro.retrievers.storage import index_location
from mom_micro.retrievers.storage.errors import StoreUnavailable
from mom_micro.retrievers.storage.milvus_store import (
    MilvusUnavailable,
    filter_expression,
    literal,
    milvus_collection,
    milvus_index_names,
)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"persist_dir": "idx"}, "persist_dir"),
        ({"chroma_host": "db", "chroma_port": 8000}, "chroma_host or chroma_port"),
        ({"vector_store": object()}, "vector_store"),
    ],
)
def test_milvus_uri_with_another_location_names_the_clash(options, named):
    persist_dir = options.pop("persist_dir", None)
    with pytest.raises(ValueError, match=f"give milvus_uri and index_name, not {named}$"):
        index_location(persist_dir, milvus_uri="idx.db", **options)


def test_a_token_without_a_uri_and_a_uri_of_no_kind_are_refused():
    with pytest.raises(ValueError, match="milvus_token goes with milvus_uri"):
        index_location(None, milvus_token="secret")
    with pytest.raises(ValueError, match="neither a Milvus Lite file .* nor a server URL"):
        index_location(None, milvus_uri="localhost:19530")
    with pytest.raises(ValueError, match="milvus_uri is empty"):
        index_location(None, milvus_uri=" ")


def test_a_lite_uri_is_made_absolute_and_names_its_repair(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    location = index_location(None, milvus_uri="idx.db")
    assert location.where == str(tmp_path / "idx.db")
    assert location.repair_command("papers") == (
        f"mom-micro repair --milvus-uri {tmp_path / 'idx.db'} --index-name papers"
    )
    assert location.lock().lock_file == str(tmp_path / "idx.db.lock")
    server = index_location(None, milvus_uri="http://db:19530/")
    assert server.where == "http://db:19530" and server.lock() is None


def test_the_token_comes_from_the_environment_unless_given(monkeypatch):
    monkeypatch.setenv("MILVUS_TOKEN", "from-env")
    assert index_location(None, milvus_uri="http://db:19530")._token == "from-env"
    given = index_location(None, milvus_uri="http://db:19530", milvus_token="given")
    assert given._token == "given"


def test_collection_names_keep_every_index_apart_and_read_back():
    names = ["papers", "a-b", "a_b", "a__b", "a_0b", "x-catalog", "A1", "9"]
    collections = [milvus_collection(name, part) for name in names for part in ("catalog", "chunk")]
    assert len(set(collections)) == len(collections)
    for collection in collections:
        assert collection.replace("_", "").isalnum() and collection[0].isalpha()
    assert milvus_index_names(collections + ["mom_bad-name_catalog", "other"]) == sorted(names)


@pytest.mark.parametrize("name", ["my papers", "-a", "a-", "", "x" * 64, "a/b", "é"])
def test_an_index_name_milvus_cannot_hold_is_a_clear_value_error(name):
    with pytest.raises(InvalidIndexName, match="is not allowed: use 1-63 letters") as error:
        milvus_collection(name, "chunk")
    assert isinstance(error.value, ValueError)


def test_filters_become_milvus_expressions_with_quoted_values():
    assert literal('a"b\\c') == '"a\\"b\\\\c"'
    nested = MetadataFilters(
        filters=[
            MetadataFilter(key="layer", value="chunk"),
            MetadataFilters(
                filters=[
                    MetadataFilter(key="doc_id", value=["x", "y"], operator=FilterOperator.IN),
                    MetadataFilter(key="op", value="z", operator=FilterOperator.NE),
                ],
                condition=FilterCondition.OR,
            ),
        ]
    )
    assert filter_expression(nested) == (
        '(layer == "chunk") and ((doc_id in ["x", "y"]) or (op != "z"))'
    )
    assert filter_expression(None) == ""
    with pytest.raises(ValueError, match="not 'title' =="):
        filter_expression(MetadataFilters(filters=[MetadataFilter(key="title", value="t")]))


def test_unavailable_milvus_is_one_line_naming_the_uri():
    error = MilvusUnavailable("http://127.0.0.1:1", "refused\n  traceback line")
    assert isinstance(error, StoreUnavailable) and isinstance(error, ConnectionError)
    assert "\n" not in str(error) and str(error).startswith("Milvus at http://127.0.0.1:1 ")


def _cli(*argv: str) -> dict:
    parser = argparse.ArgumentParser()
    add_index_location(parser)
    return cli_location(parser.parse_args(argv))


def test_the_cli_takes_a_milvus_uri_alone():
    assert _cli("--milvus-uri", "i.db", "--index-name", "p") == {
        "milvus_uri": "i.db",
        "index_name": "p",
    }
    with pytest.raises(ValueError, match="not both"):
        _cli("--milvus-uri", "i.db", "--index", "dir")
    with pytest.raises(ValueError, match="--chroma-host/--chroma-port or --milvus-uri, not both"):
        _cli("--milvus-uri", "i.db", "--chroma-host", "h", "--chroma-port", "1")
