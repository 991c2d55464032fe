"""Readers and guide models by name and from stored configurations."""

import json

import pytest
from langchain_core.language_models import FakeListChatModel

from mom_micro.memory import (
    ExtractiveExtractor,
    LLMExtractor,
    ReaderConfigError,
    build_reader,
    describe_reader,
    load_guide,
    reader_from_config,
)
from mom_micro.models.generation import LocalCausalLM
from tests.support.retrieval import ParagraphReader


def test_guides_by_name():
    assert isinstance(load_guide("smollm2"), LocalCausalLM)
    chat = load_guide(
        "langchain_core.language_models:FakeListChatModel", {"responses": ["<chunk>x</chunk>"]}
    )
    assert isinstance(chat, FakeListChatModel) and chat.responses == ["<chunk>x</chunk>"]


@pytest.mark.parametrize(
    "spec, kwargs, message",
    [
        ("./models/missing", None, "guide model folder models/missing does not exist"),
        ("no_such_module_xyz:Chat", None, "cannot import 'no_such_module_xyz'"),
        ("json:NoSuchThing", None, "'json' has no 'NoSuchThing'"),
        ("json:decoder.scanstring", {"x": 1}, "cannot create the guide"),
        ("sys:maxsize", None, "not a class or factory"),
        ("smollm2", {"model": "x"}, "only go with module:Class"),
        ("gpt-5", None, "unknown guide 'gpt-5'"),
        ("someone/not-cached-model", None, "no Hugging Face model of that name"),
    ],
)
def test_bad_guide_names_say_what_is_wrong(spec, kwargs, message):
    with pytest.raises(ReaderConfigError, match=message):
        load_guide(spec, kwargs)


def test_a_folder_without_a_model_or_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ReaderConfigError, match="is not a model folder"):
        load_guide(str(tmp_path))
    with pytest.raises(ReaderConfigError, match="is a file, not a model folder"):
        load_guide(str(tmp_path / "notes.txt"))


def test_readers_by_name():
    reader = build_reader("extractive", n_paths=2, target_words=70)
    assert isinstance(reader, ExtractiveExtractor) and reader.n_paths == 2
    llm = build_reader(
        "langchain_core.language_models:FakeListChatModel",
        guide_kwargs={"responses": ["x"]},
        n_paths=3,
        max_concurrency=5,
    )
    assert isinstance(llm, LLMExtractor) and llm.n_paths == 3 and llm.max_concurrency == 5


def test_configurations_rebuild_local_readers_and_refuse_remote_ones():
    extractive = ExtractiveExtractor(target_words=55, core_words=20)
    assert reader_from_config(json.loads(json.dumps(extractive.config()))) == extractive
    local = LLMExtractor(LocalCausalLM(), n_paths=2, fallback=extractive)
    rebuilt = reader_from_config(json.loads(json.dumps(local.config())))
    assert isinstance(rebuilt, LLMExtractor) and isinstance(rebuilt.llm, LocalCausalLM)
    assert rebuilt.temperatures == local.temperatures and rebuilt.fallback == extractive
    assert rebuilt.llm.copy_chunks == "tiling" and rebuilt.continuations == 0
    plain = LLMExtractor(LocalCausalLM(copy_chunks="off"), n_paths=1, continuations=2)
    config = json.loads(json.dumps(plain.config()))
    assert config["model_settings"] == {"copy_chunks": "off"}
    rebuilt = reader_from_config(config)
    assert rebuilt.llm.copy_chunks == "off" and rebuilt.continuations == 2
    config["model_settings"]["copy_chunks"] = "loose"
    with pytest.raises(ReaderConfigError, match="copy_chunks must be one of"):
        reader_from_config(config)
    remote = LLMExtractor(FakeListChatModel(responses=["x"]), n_paths=1)
    with pytest.raises(ReaderConfigError, match="cannot be rebuilt .* pass the reader again"):
        reader_from_config(remote.config())
    custom = describe_reader(ParagraphReader())
    assert custom["kind"] == "custom" and custom["class"].endswith("ParagraphReader")
    with pytest.raises(ReaderConfigError, match="'custom' reader cannot be rebuilt"):
        reader_from_config(custom)
