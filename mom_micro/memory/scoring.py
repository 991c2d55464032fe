"""MoM's two quality scores of a candidate memory: chunk clarity and extraction completeness.

:class:`MemoryScorer` computes them with an evaluation language model as in the paper;
:class:`EmbeddingMemoryScorer` is a cheap stand-in from sentence embeddings for callers
who want no LM. Both implement ``score_many`` for :func:`.selection.select_memory`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .schema import DocumentMemory
from .sentence_embedding import Embedder, minilm_embedder

__all__ = ["CLARITY_QUESTION", "EmbeddingMemoryScorer", "MemoryScorer"]

#: The yes/no question put to the evaluator about the text around a chunk boundary;
#: "no" (B does not continue A) is the evidence for a real boundary. Of the phrasings
#: tried with SmolLM2-135M (96 tokens a side), this one told heading boundaries from
#: random cuts best (docs/benchmarks.md); asking whether B starts a new topic read the
#: other way. A 135M evaluator is a weak judge: use a larger one when you can.
CLARITY_QUESTION = (
    "Passage A: {first}\nPassage B: {second}\n\n"
    "Is passage B a direct continuation of passage A? Answer yes or no."
)
_CORE_PREFIX = "Summary: {core}\nFull text: "


@dataclass
class MemoryScorer:
    """Chunk clarity and extraction completeness from an evaluation causal LM (MoM §3).

    **Chunk clarity** — are the chunk boundaries real topic boundaries?

        S_clarity = 1/(n-1) * sum_{i=1}^{n-1} P_eval(boundary | a_i, a_{i+1})

    ``P_eval`` is read from the evaluator's next-token distribution after the question
    :data:`CLARITY_QUESTION` (in the model's chat template), asked about the last
    ``context_tokens`` tokens of ``a_i`` and the first ``context_tokens`` of ``a_{i+1}``:
    ``P = p_no / (p_yes + p_no)``, the normalised yes/no margin of Meta-Chunking. The
    paper does not say how much of each chunk the evaluator sees; the boundary region is
    what decides it, and the cost stays bounded on CPU.

    **Extraction completeness** — does the core content capture its chunk, concisely?

        S_comp = 1/n * sum_{i=1}^{n} 1 / ( PPL(a_i | c_i) * log|c_i| )

    ``PPL(a_i | c_i)`` is the perplexity of the chunk's tokens after the prompt
    ``"Summary: {c_i}\\nFull text: "``; ``|c_i|`` is the core's length in tokens. The paper
    leaves ``|c_i| < 2`` open (``log`` would be 0 or negative); we use ``max(|c_i|, 2)``.
    A memory of one unit has no boundary: its clarity is 0.

    Args:
        model, tokenizer: any Hugging Face causal LM and its tokenizer; both default to
            the offline SmolLM2-135M-Instruct (:func:`mom_micro.models.defaults.smollm2`).
        batch_size: prompts per forward pass.
        context_tokens: tokens of each side of a boundary shown to the evaluator.
        max_chunk_tokens: for completeness, chunks are cut to their first this many
            tokens, to bound the cost on CPU.

    Example:
        >>> scorer = MemoryScorer()                               # doctest: +SKIP
        >>> scorer.score(memory)                                  # doctest: +SKIP
        {'clarity': 0.61, 'completeness': 0.08}
    """

    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)
    batch_size: int = 8
    context_tokens: int = 96
    max_chunk_tokens: int = 128
    model_name: str = "SmolLM2-135M-Instruct"

    @classmethod
    def from_pretrained(cls, name_or_path: str, **kwargs: Any) -> MemoryScorer:
        """Load any causal LM by Hugging Face id or local path as the evaluator."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForCausalLM.from_pretrained(name_or_path).eval()
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return cls(model=model, tokenizer=tokenizer, model_name=str(name_or_path), **kwargs)

    # -- public API ---------------------------------------------------------------------
    def score(self, memory: DocumentMemory) -> dict[str, float]:
        """Both scores of one memory."""
        return self.score_many([memory])[0]

    def score_many(self, memories: Sequence[DocumentMemory]) -> list[dict[str, float]]:
        """Both scores of each memory (the pairs of one memory go through the LM in batches)."""
        return [
            {"clarity": self.clarity(memory), "completeness": self.completeness(memory)}
            for memory in memories
        ]

    def clarity(self, memory: DocumentMemory) -> float:
        """``S_clarity`` of a memory (see the class docstring)."""
        chunks = memory.chunks()
        if len(chunks) < 2:
            return 0.0
        return float(np.mean(self.boundary_probabilities(list(zip(chunks, chunks[1:])))))

    def completeness(self, memory: DocumentMemory) -> float:
        """``S_comp`` of a memory (see the class docstring)."""
        return float(np.mean(self.completeness_terms(list(zip(memory.cores, memory.chunks())))))

    def completeness_terms(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """``1 / (PPL(a | c) * log max(|c|, 2))`` for each ``(core c, chunk a)`` pair."""
        tokenizer = self._tokenizer()
        return [
            1.0
            / (ppl * math.log(max(len(tokenizer(core, add_special_tokens=False)["input_ids"]), 2)))
            for (core, _), ppl in zip(pairs, self.conditional_perplexities(pairs))
        ]

    def boundary_probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """``P_eval(boundary | a, b)`` for each adjacent pair ``(a, b)``."""
        import torch

        model, tokenizer = self._model(), self._tokenizer()
        yes_ids, no_ids = _answer_ids(tokenizer, "yes"), _answer_ids(tokenizer, "no")
        prompts = [
            self._chat(CLARITY_QUESTION.format(first=self._tail(a), second=self._head(b)))
            for a, b in pairs
        ]
        out: list[float] = []
        for batch in _batches(prompts, self.batch_size):
            enc = tokenizer(
                batch,
                return_tensors="pt",
                padding=True,
                padding_side="left",
                add_special_tokens=False,
            )
            positions = (enc["attention_mask"].cumsum(-1) - 1).clamp(min=0)
            with torch.no_grad():
                logits = model(**enc, position_ids=positions, logits_to_keep=1).logits
            probs = torch.softmax(logits[:, -1, :].float(), dim=-1)
            p_yes = probs[:, yes_ids].sum(-1)
            p_no = probs[:, no_ids].sum(-1)
            out.extend((p_no / (p_yes + p_no).clamp(min=1e-12)).tolist())
        return out

    def conditional_perplexities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """``PPL(text | core)`` for each ``(core, text)`` pair."""
        import torch

        model, tokenizer = self._model(), self._tokenizer()
        out: list[float] = []
        for batch in _batches(list(pairs), self.batch_size):
            rows, targets = [], []
            for core, text in batch:
                prefix = tokenizer(_CORE_PREFIX.format(core=core), add_special_tokens=False)[
                    "input_ids"
                ]
                body = tokenizer(text, add_special_tokens=False)["input_ids"][
                    : self.max_chunk_tokens
                ]
                rows.append(prefix + body)
                targets.append(len(prefix))
            width = max(len(r) for r in rows)
            pad = tokenizer.pad_token_id
            ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
            mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
            with torch.no_grad():
                logits = model(input_ids=ids, attention_mask=mask).logits.float()
            logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
            token_lp = logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1)
            for row, (r, start) in enumerate(zip(rows, targets)):
                scored = token_lp[row, start - 1 : len(r) - 1]
                out.append(float(torch.exp(-scored.mean())) if len(scored) else float("inf"))
        return out

    # -- internals ----------------------------------------------------------------------
    def _model(self) -> Any:
        if self.model is None:
            from ..models.defaults import smollm2

            self.model, self.tokenizer = smollm2()
        return self.model

    def _tokenizer(self) -> Any:
        self._model()
        return self.tokenizer

    def _head(self, text: str) -> str:
        ids = self._tokenizer()(text, add_special_tokens=False)["input_ids"]
        return self.tokenizer.decode(ids[: self.context_tokens]).strip()

    def _tail(self, text: str) -> str:
        ids = self._tokenizer()(text, add_special_tokens=False)["input_ids"]
        return self.tokenizer.decode(ids[-self.context_tokens :]).strip()

    def _chat(self, question: str) -> str:
        tokenizer = self._tokenizer()
        messages = [{"role": "user", "content": question}]
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        return f"{question}\nAnswer:"


@dataclass
class EmbeddingMemoryScorer:
    """Cheap, LM-free stand-ins for MoM's two scores, from sentence embeddings.

    Clarity: the mean over adjacent chunks of ``(1 - cos(e(tail(a_i)), e(head(a_{i+1})))) / 2``,
    where ``tail``/``head`` are the last/first ``boundary_words`` words: a number in [0, 1]
    that grows when the text on the two sides of a boundary is about different things
    (a cut inside a sentence or a paragraph scores low).

    Completeness mirrors ``1 / (PPL(a_i | c_i) * log|c_i|)`` with the embedding
    agreement in place of the inverse perplexity:

        S_comp ≈ 1/n * sum_i cos(e(c_i), e(a_i)) / log(max(|c_i|, 2))     (|c_i| in words)

    Example:
        >>> EmbeddingMemoryScorer().score_many([memory])           # doctest: +SKIP
        [{'clarity': 0.31, 'completeness': 0.22}]
    """

    embedder: Embedder | None = field(default=None, repr=False)
    boundary_words: int = 40

    def score_many(self, memories: Sequence[DocumentMemory]) -> list[dict[str, float]]:
        """Both scores of each memory (one embedding pass over all texts)."""
        embed = self.embedder or minilm_embedder()
        texts: list[str] = []
        for memory in memories:
            chunks = memory.chunks()
            texts.extend(chunks)
            texts.extend(memory.cores)
            texts.extend(" ".join(c.split()[-self.boundary_words :]) for c in chunks[:-1])
            texts.extend(" ".join(c.split()[: self.boundary_words]) for c in chunks[1:])
        vectors = embed(texts) if texts else np.zeros((0, 1))
        out, offset = [], 0
        for memory in memories:
            n = len(memory.units)
            chunk_vecs = vectors[offset : offset + n]
            core_vecs = vectors[offset + n : offset + 2 * n]
            tails = vectors[offset + 2 * n : offset + 3 * n - 1]
            heads = vectors[offset + 3 * n - 1 : offset + 4 * n - 2]
            offset += 4 * n - 2
            across = np.einsum("ij,ij->i", tails, heads)
            clarity = float(np.mean((1.0 - across) / 2.0)) if n > 1 else 0.0
            agreement = np.einsum("ij,ij->i", chunk_vecs, core_vecs)
            lengths = np.array([math.log(max(len(c.split()), 2)) for c in memory.cores])
            out.append({"clarity": clarity, "completeness": float(np.mean(agreement / lengths))})
        return out


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _answer_ids(tokenizer: Any, word: str) -> list[int]:
    """First token ids of the spellings of an answer word ("yes", " Yes", ...)."""
    ids = set()
    for form in (word, word.capitalize(), " " + word, " " + word.capitalize()):
        tokens = tokenizer(form, add_special_tokens=False)["input_ids"]
        if tokens:
            ids.add(tokens[0])
    return sorted(ids)
