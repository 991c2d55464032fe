"""train_reader on a tiny model built in the test (no download): the loss falls, the
checkpoint is safetensors and reloads as a reader; bad data and folders are refused."""

import json

import pytest

pytest.importorskip("trl")

from mom_micro.memory import ChainOfMemoryBuilder, ExtractiveExtractor, SFTDataError
from mom_micro.memory.loading import load_trained_reader, reader_from_config
from mom_micro.memory.training import (
    READER_FILE,
    ReaderTrainingConfig,
    load_sft_records,
    train_reader,
)
from tests.support.memory import hashing_embedder, tiny_llama
from tests.support.retrieval import PETS, SPACE

CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_model(folder, texts):
    """A two-layer Llama with a word-level tokenizer over ``texts``, saved in ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    raw.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tiny_llama(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def teacher_data(tmp_path, water_text):
    documents = {"water": water_text, "pets": PETS, "space": SPACE, "water2": water_text[900:]}
    reader = ExtractiveExtractor(target_words=40, embedder=hashing_embedder)
    out = tmp_path / "teacher.jsonl"
    ChainOfMemoryBuilder(reader=reader, student_context=900, show_progress=False).build(
        documents, out
    )
    texts = [m["content"] for r in load_sft_records(out) for m in r["messages"]]
    return out, tiny_model(tmp_path / "tiny", texts)


def test_a_few_steps_lower_the_loss_and_the_reader_reloads(tmp_path, teacher_data):
    """Full fine-tuning, so that a randomly initialised model learns within a few steps."""
    sft, base = teacher_data
    config = ReaderTrainingConfig(
        lora=False,
        learning_rate=1e-2,
        batch_size=2,
        gradient_accumulation=1,
        max_steps=8,
        eval_steps=4,
        logging_steps=1,
        eval_fraction=0.25,
        max_new_tokens=16,
    )
    out = tmp_path / "reader"
    report = train_reader(sft, out, base=base, config=config, show_progress=False)
    assert report.steps == 8 and report.device == "cpu"
    losses = [entry["loss"] for entry in report.log if "loss" in entry]
    assert sum(losses[-3:]) < 0.9 * sum(losses[:3])
    assert report.best_eval_loss is not None and report.eval_examples >= 1
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    assert not (tmp_path / "reader.work").exists()
    description = json.loads((out / READER_FILE).read_text())
    assert description["context_tokens"] == 900 and description["think"] is True

    from transformers import AutoModelForCausalLM

    reloaded = AutoModelForCausalLM.from_pretrained(out)
    assert not any("lora" in name for name, _ in reloaded.named_parameters())
    fallback = ExtractiveExtractor(target_words=40, embedder=hashing_embedder)
    reader = load_trained_reader(out, fallback=fallback)
    assert reader.window_chars == 720 and reader.temperatures == (0.0,)
    memory = reader.extract(PETS, doc_id="pets")  # a 16-step tiny model: the fallback reads
    assert memory.coverage == 1.0
    assert reader.llm.copy_chunks == "tiling" and reader.continuations == 2
    assert reader.llm._trie is False  # a word-level tokenizer: read without the constraint
    chosen = load_trained_reader(out, copy_chunks="off", continuations=0)
    rebuilt = reader_from_config(json.loads(json.dumps(chosen.config())))
    assert (rebuilt.llm.copy_chunks, rebuilt.continuations) == ("off", 0)


def test_lora_adapters_are_merged_into_a_plain_model(tmp_path, teacher_data):
    sft, base = teacher_data
    config = ReaderTrainingConfig(lora_r=4, max_steps=2, eval_steps=2, gradient_accumulation=1)
    report = train_reader(sft, tmp_path / "lora", base=base, config=config, show_progress=False)
    assert report.steps == 2 and (tmp_path / "lora" / "model.safetensors").is_file()
    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")
    original = AutoModelForCausalLM.from_pretrained(base)
    assert [n for n, _ in merged.named_parameters()] == [n for n, _ in original.named_parameters()]


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "1: not JSON"),
        ('{"text": "plain"}', "not a chat record"),
        ('{"messages": [{"role": "user", "content": "x"}]}', "no assistant turn"),
        ('{"messages": [{"role": "robot", "content": "x"}]}', "role 'robot'"),
    ],
)
def test_malformed_sft_lines_are_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SFTDataError, match=message):
        load_sft_records(path)


def test_a_folder_that_is_not_a_model_is_refused(tmp_path, teacher_data):
    from mom_micro.memory import ReaderConfigError

    sft, _ = teacher_data
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReaderConfigError, match="not a model folder"):
        train_reader(sft, tmp_path / "r", base=tmp_path / "empty", show_progress=False)
    with pytest.raises(ReaderConfigError, match="not a trained memory reader"):
        load_trained_reader(tmp_path / "empty")
