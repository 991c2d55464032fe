"""Copy-constrained decoding on scripted vocabularies, and through ``generate`` on a tiny
model made here (random weights, a byte-level tokenizer trained on one sentence)."""

import pytest
import torch

from mom_micro.memory import escape_document, extraction_prompt, parse_memory_output
from mom_micro.models.copy_decoding import (
    CopyConstraint,
    TokenTrie,
    document_in_prompt,
    token_bytes,
)
from tests.support.memory import tiny_llama

SOURCE = "Cats purr when content. They nap a lot. Dogs bark at strangers."
VOCAB = [
    b"<chunk>",  # 0
    b"</chunk>",  # 1
    b"</",  # 2
    b"chunk>",  # 3
    b"[MASK]",  # 4
    b"Cats",  # 5
    b" purr",  # 6
    b" bark",  # 7
    b" nap",  # 8
    b".",  # 9
    b" They",  # 10
    b" Dogs",  # 11
    b"Dogs",  # 12
    b" a lot",  # 13
    b".</",  # 14
    None,  # 15: end of text (a special token)
    b"hi",  # 16
    b"[",  # 17
    b"MASK]",  # 18
]
EOS = 15


def words(ids):
    """The tokens' bytes, in id order."""
    return [VOCAB[i] for i in sorted(ids)]


@pytest.fixture
def spans():
    return CopyConstraint(TokenTrie(VOCAB), SOURCE, prompt_length=0, mode="spans")


@pytest.fixture
def tiling():
    return CopyConstraint(TokenTrie(VOCAB), SOURCE, prompt_length=0, eos_token_id=EOS)


def test_outside_a_chunk_every_token_is_allowed(tiling):
    assert tiling.allowed(b"<outline>Pets</outline><scenario>") is None
    assert tiling.allowed(b"<scenario><chunk>Cats purr.</chunk>Cats purr when happy") is None


def test_inside_a_chunk_only_tokens_that_continue_the_source(spans):
    allowed = words(spans.allowed(b"<scenario><chunk>Cats"))
    assert b" purr" in allowed  # "Cats purr" is in the source
    assert b" bark" not in allowed and b" nap" not in allowed and b"hi" not in allowed
    assert b" bark" in words(spans.allowed(b"<chunk>Dogs"))
    after_lot = set(words(spans.allowed(b"<chunk>They nap a lot")))
    assert after_lot == {b"</chunk>", b"</", b".", b".</", b"[MASK]", b"["}


def test_the_closing_tag_waits_for_a_quote_and_may_be_split(spans):
    assert b"</chunk>" not in words(spans.allowed(b"<chunk>"))
    assert {b"</chunk>", b"</", b".</"} <= set(
        words(spans.allowed(b"<chunk>Cats purr when content"))
    )
    assert words(spans.allowed(b"<chunk>Cats purr</")) == [b"chunk>"]  # half a tag: finish it


def test_mask_once_then_a_tail_after_the_head(spans):
    assert b"[MASK]" in words(spans.allowed(b"<chunk>Cats purr"))
    assert words(spans.allowed(b"<chunk>Cats purr[")) == [b"MASK]"]
    tail = words(spans.allowed(b"<chunk>They nap[MASK]"))
    assert b"Dogs" in tail and b"Cats" not in tail  # "Cats" comes before the head
    after = words(spans.allowed(b"<chunk>They nap[MASK]Dogs bark"))
    assert b"[MASK]" not in after and b"</chunk>" in after


def test_tiling_starts_each_chunk_where_the_last_ended_and_then_ends(tiling):
    first = b"<scenario><chunk>Cats purr when content.</chunk>Purring.</scenario><scenario><chunk>"
    assert words(tiling.allowed(first)) == [b" They"]  # not a repeat of "Cats", not "Dogs"
    done = first + b" They nap a lot. Dogs bark at strangers.</chunk>Naps and barks.</"
    assert tiling.allowed(done) is None  # the core content is written freely
    assert tiling.allowed(done + b"scenario>") == [EOS]  # covered and closed: the end
    bare = done[: -len(b"Naps and barks.</")]  # no core content, no </scenario>
    assert tiling.allowed(bare + b"</scenario>") == [EOS]
    assert tiling.allowed(bare + b"\n<scenario><chunk>") == [EOS]  # nothing left to quote


def test_a_quote_that_left_the_source_may_only_close(spans):
    assert set(words(spans.allowed(b"<chunk>Cats meow"))) == {b"</chunk>", b"</"}


def test_tokens_are_bytes_so_half_characters_can_be_copied():
    source = "Béla said 5 °C."
    vocab = [b"<chunk>", b"B", b"\xc3", b"\xa9la", b"e", b"\xc3\xa9"]
    allowed = CopyConstraint(TokenTrie(vocab), source, 0).allowed(b"<chunk>B")
    assert sorted(allowed) == [2, 5]  # the first byte of "é", or all of it; never "e"


def test_the_logits_processor_masks_each_row(spans):
    input_ids = torch.tensor([[0, 5], [16, 16]])  # row 0 inside a chunk, row 1 outside
    scores = torch.zeros(2, len(VOCAB) + 3)  # a model's vocabulary may be padded
    out = spans(input_ids, scores)
    assert torch.isfinite(out[1]).all()
    assert {i for i in range(out.shape[1]) if torch.isfinite(out[0, i])} == set(
        spans.allowed(b"<chunk>Cats")
    )


def test_the_document_is_read_from_the_extraction_prompt():
    text = "Fish <swim> & dive."
    assert document_in_prompt(extraction_prompt(text, think=True)) == escape_document(text)
    assert document_in_prompt("no document here") is None


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="copy mode must be one of"):
        CopyConstraint(TokenTrie(VOCAB), SOURCE, 0, mode="off")


def _tiny_model_and_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    raw.train_from_iterator([SOURCE, "<scenario><chunk></chunk>[MASK]"] * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<eos>")
    return tiny_llama(tokenizer, hidden_size=16, layers=1, heads=2).eval(), tokenizer


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_random_model_quotes_the_source_through_generate(seed):
    model, tokenizer = _tiny_model_and_tokenizer()
    trie = TokenTrie(token_bytes(tokenizer))
    prompt = tokenizer("Read it. <scenario>", return_tensors="pt")["input_ids"]
    opened = tokenizer("<chunk>", return_tensors="pt")["input_ids"]
    input_ids = torch.cat([prompt, opened], dim=1)
    constraint = CopyConstraint(trie, SOURCE, prompt.shape[1], mode="spans")
    torch.manual_seed(seed)
    out = model.generate(
        input_ids,
        attention_mask=torch.ones_like(input_ids),
        logits_processor=[constraint],
        do_sample=True,
        max_new_tokens=12,
        pad_token_id=tokenizer.eos_token_id,
    )
    answer = tokenizer.decode(out[0, prompt.shape[1] :])
    quote = answer.removeprefix("<chunk>").split("</chunk>")[0]
    cut = next((k for k in range(7, 0, -1) if quote.endswith("</chunk>"[:k])), 0)
    quote = quote[: len(quote) - cut]  # the answer may stop inside the closing tag
    for piece in quote.split("[MASK]"):
        assert piece and piece in SOURCE, answer
    memory = parse_memory_output(answer + "</chunk>core", SOURCE, min_chunk_chars=1)
    assert memory.metadata["anchors"]["exact"] >= 1 and not memory.metadata["anchors"]["fuzzy"]


def test_token_bytes_refuses_a_tokenizer_that_is_not_byte_level():
    class WordPiece:
        all_special_ids = [0]

        def __len__(self):
            return 2

        def convert_ids_to_tokens(self, token_id):
            return ["[PAD]", "héllo\u2581"][token_id]

    with pytest.raises(ValueError, match="not byte-level BPE"):
        token_bytes(WordPiece())


@pytest.mark.parametrize("mode", ["tiling", "spans", "off"])
def test_local_lm_constrains_extraction_prompts_only(mode):
    from mom_micro.models.generation import LocalCausalLM

    model, tokenizer = _tiny_model_and_tokenizer()
    seen = []
    generate = model.generate

    def recording(*args, **kwargs):
        seen.append(kwargs.get("logits_processor"))
        return generate(*args, **kwargs)

    model.generate = recording
    lm = LocalCausalLM(model=model, tokenizer=tokenizer, max_new_tokens=3, copy_chunks=mode)
    lm(extraction_prompt("Cats <purr> & nap.", think=False), 0.0)
    lm("Name a colour.", 0.0)
    if mode == "off":
        assert seen == [None, None]
    else:
        (constraint,) = seen[0]
        assert constraint.mode == mode and constraint.source == b"Cats &lt;purr&gt; &amp; nap."
        assert seen[1] is None
    with pytest.raises(ValueError, match="copy_chunks must be one of"):
        LocalCausalLM(copy_chunks="loose")


def test_a_tail_may_be_empty_and_a_stuck_quote_can_always_close(spans):
    assert b"</chunk>" in words(spans.allowed(b"<chunk>They nap[MASK]"))
    assert b"</chunk>" not in words(spans.allowed(b"<chunk> "))  # a head of space waits
    # a quote that left the source, half closed: only the rest of the tag, never a loop
    assert words(spans.allowed(b"<chunk>Cats meow</")) == [b"chunk>"]
