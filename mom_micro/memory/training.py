"""Training a small memory reader (a MemReader) on chain-of-memory records.

MoM fine-tunes small language models on (document, reasoning, memory) triples with
plain supervised fine-tuning. :func:`train_reader` does that with TRL's ``SFTTrainer``:

- each record of :mod:`.reasoning` becomes a conversational *prompt-completion* pair (the
  user turn is the prompt, the assistant turn the completion), so the loss is the
  cross-entropy of the assistant turn only (``completion_only_loss``):

      L = - 1/|y| * sum_t log p(y_t | x, y_<t)      over the tokens y of the assistant turn

- LoRA adapters through peft by default (``r``, ``lora_alpha`` on every linear layer),
  full fine-tuning as an option;
- an evaluation split by document (no section of an evaluation document is trained on),
  evaluation every ``eval_steps``, early stopping on the evaluation loss and the best
  checkpoint kept; checkpoints in safetensors;
- the CPU by default, a CUDA GPU when there is one (bf16 where it supports it).

The result is a plain Hugging Face model folder (LoRA merged into the weights) with a
:data:`READER_FILE` describing how it reads (the ``<think>`` prompt, its section size),
written atomically: :func:`mom_micro.memory.loading.load_trained_reader` and
``mom-micro ingest --reader DIR`` load it as a guide model.

TRL, peft and datasets are the ``train`` extra: ``pip install 'mom-micro[train]'``.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError
from mom_micro.files import atomic_directory, atomic_write_text

from .document import ReaderConfigError
from .reasoning import SFTDataError

__all__ = [
    "READER_FILE",
    "ReaderTrainingConfig",
    "ReaderTrainingReport",
    "TrainingUnavailable",
    "load_sft_records",
    "train_reader",
]

logger = logging.getLogger(__name__)

#: The file in a trained reader's folder that says how it reads.
READER_FILE = "mom_micro_reader.json"


class TrainingUnavailable(MomMicroError, RuntimeError):
    """TRL, peft or datasets is missing; the message names the extra to install."""


@dataclass
class ReaderTrainingConfig:
    """How :func:`train_reader` trains (TRL's ``SFTConfig`` and peft's ``LoraConfig``
    are built from it).

    Args:
        lora: LoRA adapters (True) or full fine-tuning (False).
        lora_r, lora_alpha, lora_dropout: the adapters' rank, scale and dropout.
        learning_rate, epochs, batch_size, gradient_accumulation: the optimisation.
        max_steps: stop after this many optimiser steps (``None``: the epochs decide).
        max_length: records longer than this many tokens are left out (not truncated:
            a cut assistant turn would teach the reader to stop mid-memory).
        max_examples: train on at most this many records (drawn with ``seed``).
        eval_fraction: share of the documents held out for evaluation.
        max_eval_examples: evaluate on at most this many of their records (drawn with
            ``seed``; an evaluation costs a forward pass per record).
        eval_steps: evaluate (and checkpoint) every this many steps.
        patience: early stopping after this many evaluations without improvement.
        warmup_ratio: share of the steps with a rising learning rate.
        seed: the split, the draw and the training's seed.
        logging_steps: log the training loss every this many steps.
        context_tokens, chars_per_token: the section size the records were cut to; the
            reader reads with it. Default: what the records' ``meta`` says
            (``mom-micro sft-data --student-context``), else 2048 and 4.0.
        max_new_tokens: the reader's answer limit at inference.
        gradient_checkpointing: trade compute for memory (off: memory is rarely short
            for a small model, and it costs a third more time).
    """

    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    learning_rate: float = 2e-4
    epochs: float = 1.0
    batch_size: int = 1
    gradient_accumulation: int = 4
    max_steps: int | None = None
    max_length: int = 2048
    max_examples: int | None = None
    eval_fraction: float = 0.1
    max_eval_examples: int = 64
    eval_steps: int = 25
    patience: int = 3
    warmup_ratio: float = 0.05
    seed: int = 0
    logging_steps: int = 5
    context_tokens: int | None = None
    chars_per_token: float | None = None
    max_new_tokens: int = 1024
    gradient_checkpointing: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"eval_fraction must be in (0, 1), got {self.eval_fraction}")
        for name in (
            "batch_size",
            "gradient_accumulation",
            "eval_steps",
            "max_length",
            "max_eval_examples",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class ReaderTrainingReport:
    """What :func:`train_reader` did: the data it used, the losses, the time, the device."""

    out: Path
    train_examples: int
    eval_examples: int
    left_out_long: int
    steps: int
    seconds: float
    device: str
    first_train_loss: float | None
    last_train_loss: float | None
    best_eval_loss: float | None
    stopped_early: bool
    log: list[dict[str, Any]] = field(default_factory=list, repr=False)


def load_sft_records(path: str | Path) -> list[dict[str, Any]]:
    """The chat records of a JSONL file written by ``mom-micro sft-data`` (or any file of
    ``{"messages": [..., user turn, assistant turn]}`` lines); a malformed line raises
    :class:`~mom_micro.memory.reasoning.SFTDataError` naming the file and line.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "bad.jsonl"
        >>> _ = p.write_text('{"messages": [{"role": "user", "content": "x"}]}\\n')
        >>> load_sft_records(p)
        Traceback (most recent call last):
        ...
        mom_micro.memory.reasoning.SFTDataError: ...bad.jsonl:1: the record has no assistant turn after a user turn
    """
    path = Path(path)
    if not path.is_file():
        raise SFTDataError(f"no fine-tuning data file {path}")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SFTDataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        problem = _record_problem(record)
        if problem:
            raise SFTDataError(f"{path}:{number}: {problem}")
        records.append(record)
    if not records:
        raise SFTDataError(f"{path} holds no records")
    return records


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        return 'not a chat record (expected {"messages": [...]})'
    turns = record["messages"]
    for turn in turns:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            return "a message without text content"
        if turn.get("role") not in ("system", "user", "assistant"):
            return f"a message with role {turn.get('role')!r}"
    roles = [t["role"] for t in turns]
    if len(roles) < 2 or roles[-1] != "assistant" or roles[-2] != "user":
        return "the record has no assistant turn after a user turn"
    return None


def _split(
    records: list[dict[str, Any]], fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and evaluation records, split by document (``meta.doc_id``; a record
    without one is its own document)."""
    docs = sorted({str(r.get("meta", {}).get("doc_id", i)) for i, r in enumerate(records)})
    random.Random(seed).shuffle(docs)
    held = set(docs[: max(1, round(fraction * len(docs)))])
    if len(held) == len(docs):
        raise SFTDataError(
            f"{len(docs)} document(s) cannot be split into training and evaluation: "
            "make records from more documents"
        )
    train: list[dict[str, Any]] = []
    evaluation: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        doc = str(record.get("meta", {}).get("doc_id", i))
        (evaluation if doc in held else train).append(record)
    return train, evaluation


def _with_sections(
    config: ReaderTrainingConfig, records: Sequence[dict[str, Any]]
) -> ReaderTrainingConfig:
    """``config`` with the section size filled in from the records' ``meta``."""
    meta = records[0].get("meta", {})
    return replace(
        config,
        context_tokens=config.context_tokens or int(meta.get("student_context", 2048)),
        chars_per_token=config.chars_per_token or float(meta.get("chars_per_token", 4.0)),
    )


def _pairs(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prompt-completion pairs: everything up to the last user turn, and the answer."""
    return [{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]} for r in records]


def _imports() -> tuple[Any, ...]:
    try:
        import datasets
        import peft
        import torch
        import trl
        from transformers import AutoModelForCausalLM, AutoTokenizer, EarlyStoppingCallback
    except ImportError as exc:
        raise TrainingUnavailable(
            f"training a reader needs TRL, peft and datasets ({exc.name} is missing): "
            "pip install 'mom-micro[train]'"
        ) from exc
    return datasets, peft, torch, trl, AutoModelForCausalLM, AutoTokenizer, EarlyStoppingCallback


def _warmup(config_class: Any, ratio: float) -> dict[str, float]:
    """The warm-up as a share of the steps: ``warmup_ratio`` before transformers 5,
    a float ``warmup_steps`` since."""
    if "warmup_ratio" in {f.name for f in fields(config_class)}:
        return {"warmup_ratio": ratio}
    return {"warmup_steps": ratio}


def _base_folder(base: str | Path | None) -> Path:
    if base is None:
        from mom_micro.models.defaults import smollm2_folder

        return smollm2_folder()
    folder = Path(base)
    if not (folder / "config.json").is_file():
        raise ReaderConfigError(f"{folder} is not a model folder (no config.json)")
    return folder


def train_reader(
    sft_path: str | Path,
    out: str | Path,
    base: str | Path | None = None,
    config: ReaderTrainingConfig | None = None,
    resume: bool = False,
    show_progress: bool = True,
) -> ReaderTrainingReport:
    """Fine-tune ``base`` (a local causal LM folder; default the offline SmolLM2-135M-
    Instruct) on the records of ``sft_path`` and save the reader in ``out``.

    Checkpoints go to ``<out>.work`` while it trains (``resume=True`` continues from the
    last one); the finished reader replaces ``out`` in one step. ``out`` must not exist
    unless ``resume`` is set or it is a reader folder this function wrote.

    Example:
        >>> report = train_reader("teacher.jsonl", "memreader",
        ...                       config=ReaderTrainingConfig(max_examples=200))  # doctest: +SKIP
        >>> reader = load_trained_reader("memreader")                              # doctest: +SKIP
    """
    config = config or ReaderTrainingConfig()
    datasets, peft, torch, trl, auto_model, auto_tokenizer, early_stopping = _imports()
    out = Path(out)
    if out.exists() and not (out / READER_FILE).is_file():
        raise ReaderConfigError(f"{out} exists and is not a reader folder: choose another --out")
    records = load_sft_records(sft_path)
    config = _with_sections(config, records)
    folder = _base_folder(base)
    tokenizer = auto_tokenizer.from_pretrained(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    lengths = [len(tokenizer.apply_chat_template(r["messages"])["input_ids"]) for r in records]
    kept = [r for r, n in zip(records, lengths) if n <= config.max_length]
    left_out = len(records) - len(kept)
    if left_out:
        logger.warning("%d records over %d tokens left out", left_out, config.max_length)
    train, evaluation = _split(kept, config.eval_fraction, config.seed)
    if config.max_examples is not None and len(train) > config.max_examples:
        train = random.Random(config.seed).sample(train, config.max_examples)
    if len(evaluation) > config.max_eval_examples:
        evaluation = random.Random(config.seed).sample(evaluation, config.max_eval_examples)
    gpu = torch.cuda.is_available()
    work = out.with_name(out.name + ".work")
    args = trl.SFTConfig(
        output_dir=str(work),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps if config.max_steps is not None else -1,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation,
        learning_rate=config.learning_rate,
        **_warmup(trl.SFTConfig, config.warmup_ratio),
        lr_scheduler_type="cosine",
        max_length=config.max_length,
        completion_only_loss=True,
        eval_strategy="steps",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        gradient_checkpointing=config.gradient_checkpointing,
        use_cpu=not gpu,
        bf16=gpu and torch.cuda.is_bf16_supported(),
        seed=config.seed,
        report_to="none",
        disable_tqdm=not show_progress,
    )
    model = auto_model.from_pretrained(folder)
    lora = (
        peft.LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        if config.lora
        else None
    )
    trainer = trl.SFTTrainer(
        model=model,
        args=args,
        train_dataset=datasets.Dataset.from_list(_pairs(train)),
        eval_dataset=datasets.Dataset.from_list(_pairs(evaluation)),
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[early_stopping(early_stopping_patience=config.patience)],
    )
    started = time.perf_counter()
    has_checkpoint = resume and any(work.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if has_checkpoint else None)
    seconds = time.perf_counter() - started
    trained = trainer.model.merge_and_unload() if config.lora else trainer.model
    log = list(trainer.state.log_history)
    losses = [e["loss"] for e in log if "loss" in e]
    report = ReaderTrainingReport(
        out=out,
        train_examples=len(train),
        eval_examples=len(evaluation),
        left_out_long=left_out,
        steps=trainer.state.global_step,
        seconds=round(seconds, 1),
        device="cuda" if gpu else "cpu",
        first_train_loss=losses[0] if losses else None,
        last_train_loss=losses[-1] if losses else None,
        best_eval_loss=trainer.state.best_metric,
        stopped_early=trainer.state.global_step < trainer.state.max_steps,
        log=log,
    )
    _save(trained, tokenizer, out, config, folder, report)
    shutil.rmtree(work, ignore_errors=True)
    return report


def _save(
    model: Any,
    tokenizer: Any,
    out: Path,
    config: ReaderTrainingConfig,
    base: Path,
    report: ReaderTrainingReport,
) -> None:
    """Write the reader folder next to ``out`` and swap it in (safetensors + JSON)."""
    with atomic_directory(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        summary = {k: v for k, v in asdict(report).items() if k not in ("out", "log")}
        description = {
            "format": 1,
            "kind": "trained-reader",
            "base_model": str(base),
            "prompt": "mom-think",
            "think": True,
            "context_tokens": config.context_tokens,
            "chars_per_token": config.chars_per_token,
            "max_new_tokens": config.max_new_tokens,
            "training": {"config": asdict(config), **summary},
        }
        atomic_write_text(tmp / READER_FILE, json.dumps(description, indent=1) + "\n")
        atomic_write_text(tmp / "training_log.json", json.dumps(report.log, indent=1) + "\n")
