"""``mom-micro memory``, ``mom-micro sft-data`` and ``mom-micro train-reader``: reading
documents into memories, teacher data, and training a small memory reader."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .options import add_progress, count, fraction, positive_float

__all__ = ["index_reader", "json_object", "register"]


def _memory(args: argparse.Namespace) -> int:
    from mom_micro.files import atomic_write_text
    from mom_micro.memory import ExtractiveExtractor, read_document

    options = {"n_paths": args.paths}
    if args.target_words is not None:
        options["target_words"] = args.target_words
    extractor = ExtractiveExtractor(**options)
    for path in args.files:
        text = read_document(path)
        memory = extractor.extract(text, doc_id=Path(path).name)
        print(memory.outline_tree())
        print()
        if args.json_out:
            out = Path(args.json_out)
            if len(args.files) > 1:
                out = out / f"{Path(path).stem}.memory.json"
            atomic_write_text(out, json.dumps(memory.to_dict(), ensure_ascii=False, indent=1))
            print(f"memory written to {out}")
    return 0


def json_object(text: str | None, flag: str) -> dict[str, Any]:
    """The JSON object given to ``flag`` (``{}`` when none); anything else is an error."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{flag} is not JSON ({exc.msg}): {text!r}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object, got {text!r}")
    return value


def _dataset_documents(spec: str) -> dict[str, str]:
    """``FILE`` or ``FILE:FIRST-LAST`` (1-based, inclusive): the documents of a QA data set,
    named ``<file stem>/<document id>``."""
    from mom_micro.bench.data import load_dataset_range

    dataset = load_dataset_range(spec)
    return {f"{dataset.name}/{doc_id}": text for doc_id, text in dataset.documents.items()}


def _teacher_documents(args: argparse.Namespace) -> dict[str, str] | list[Path]:
    if args.folder and args.dataset:
        raise ValueError("give a folder or --dataset, not both")
    if args.dataset:
        documents: dict[str, str] = {}
        for spec in args.dataset:
            documents.update(_dataset_documents(spec))
        return documents
    if not args.folder:
        raise ValueError("give a folder of text files or --dataset FILE[:FIRST-LAST]")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    paths = sorted(folder.glob(args.pattern))
    if not paths:
        raise ValueError(f"no file in {folder} matches {args.pattern!r}")
    return paths


def _sft_data(args: argparse.Namespace) -> int:
    from mom_micro.memory import ChainOfMemoryBuilder, EmbeddingMemoryScorer
    from mom_micro.memory.loading import build_reader

    documents = _teacher_documents(args)
    kwargs = json_object(args.guide_kwargs, "--guide-kwargs")
    extractive: dict[str, Any] = {}
    if args.target_words is not None:
        extractive["target_words"] = args.target_words
    if args.core_words is not None:
        extractive["core_words"] = args.core_words
    reader = build_reader(
        args.guide,
        guide_kwargs=kwargs,
        n_paths=args.paths,
        max_concurrency=args.max_concurrency,
        **extractive,
    )
    if args.scorer == "embedding" and hasattr(reader, "scorer"):
        reader.scorer = EmbeddingMemoryScorer()
    guide = getattr(reader, "llm", None)  # an LLM teacher writes its own reasoning
    builder = ChainOfMemoryBuilder(
        reader=reader,
        guide=None if args.reasoning == "template" else guide,
        student_context=args.student_context,
        chars_per_token=args.chars_per_token,
        max_concurrency=args.max_concurrency,
        show_progress=args.progress,
    )
    report = builder.build(documents, args.out)
    resumed = f" ({report.resumed} kept from an interrupted run)" if report.resumed else ""
    sources = ", ".join(f"{n} {source}" for source, n in sorted(report.reasoning.items()))
    print(
        f"{report.written} records from {report.sections} sections written to "
        f"{report.out}{resumed}; reasoning: {sources}"
    )
    if report.skipped:
        print(f"skipped {len(report.skipped)} ({report.skipped_documents} documents):")
        for key, reason in report.skipped.items():
            print(f"  {key}: {reason}")
    return 0


def _train_reader(args: argparse.Namespace) -> int:
    from mom_micro.memory.training import ReaderTrainingConfig, train_reader

    config = ReaderTrainingConfig(
        lora=not args.full,
        lora_r=args.lora_r,
        learning_rate=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        gradient_accumulation=args.grad_accum,
        max_steps=args.max_steps,
        max_length=args.max_length,
        max_examples=args.max_examples,
        eval_fraction=args.eval_fraction,
        max_eval_examples=args.max_eval_examples,
        eval_steps=args.eval_steps,
        patience=args.patience,
        seed=args.seed,
        max_new_tokens=args.max_new_tokens,
    )
    report = train_reader(
        args.sft,
        args.out,
        base=args.base,
        config=config,
        resume=args.resume,
        show_progress=args.progress,
    )
    print(
        f"reader written to {report.out}: {report.train_examples} training and "
        f"{report.eval_examples} evaluation records ({report.left_out_long} left out as too "
        f"long), {report.steps} steps in {report.seconds:.0f}s on {report.device}; training "
        f"loss {report.first_train_loss} -> {report.last_train_loss}, best evaluation loss "
        f"{report.best_eval_loss}{' (stopped early)' if report.stopped_early else ''}"
    )
    return 0


def index_reader(spec: str | None) -> Any:
    """The reader ``mom-micro ingest --reader SPEC`` names: ``None`` (the index's default
    extractive reader) for nothing or ``extractive``; else a trained reader folder or a
    guide model, with the default extractive reader for what the model cannot read."""
    if spec is None or spec == "extractive":
        return None
    from mom_micro.memory.loading import build_reader
    from mom_micro.retrievers.nodes import default_reader

    return build_reader(spec, fallback=default_reader())


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``memory``, ``sft-data`` and ``train-reader`` to the ``mom-micro`` sub-commands."""
    memory = sub.add_parser(
        "memory",
        help="read text files into document memories and print them as outline trees",
        description="Read UTF-8 text files with the offline extractive reader and print "
        "each memory (outline titles, core contents, chunk sizes).",
    )
    memory.add_argument("files", nargs="+", help="UTF-8 text files")
    memory.add_argument(
        "--target-words",
        type=count(1),
        default=None,
        help="preferred chunk length in words (default: the reader's)",
    )
    memory.add_argument(
        "--paths",
        type=count(1),
        default=1,
        help="number of sampled granularities to choose from (default 1)",
    )
    memory.add_argument(
        "--json-out",
        default=None,
        help="write the memory as JSON to this file (a folder for several files)",
    )
    memory.set_defaults(func=_memory)
    _add_sft_data(sub)
    _add_train_reader(sub)


def _add_sft_data(sub: argparse._SubParsersAction) -> None:
    sft = sub.add_parser(
        "sft-data",
        help="teacher data for a small memory reader (JSONL for TRL's SFTTrainer)",
        description="Cut each document into sections that fit the student's context; a "
        "teacher reads each section along N sampled paths and keeps the memory its scorer "
        "prefers; the teacher writes the reasoning that leads to it, or, when it cannot "
        "(the extractive reader, or filler), a template from the memory's outline. One chat "
        "record per section. Records are journalled in OUT.partial: rerun the same command "
        "to resume.",
    )
    sft.add_argument("folder", nargs="?", default=None, help="folder of UTF-8 text documents")
    sft.add_argument(
        "--dataset",
        action="append",
        metavar="FILE[:FIRST-LAST]",
        help="documents of a QA data set (SQuAD JSON or LEval JSONL), optionally only "
        "documents FIRST to LAST (1-based); repeatable",
    )
    sft.add_argument("--out", required=True, help="JSONL file to write (atomically)")
    sft.add_argument("--pattern", default="*.txt", help="file pattern inside the folder")
    sft.add_argument(
        "--guide",
        default="extractive",
        help="the teacher: extractive (default), smollm2, a model folder, or a LangChain / "
        "LlamaIndex class as module:Class (e.g. langchain_openai:ChatOpenAI)",
    )
    sft.add_argument(
        "--guide-kwargs",
        default=None,
        help='JSON keyword arguments, e.g. \'{"model": "gpt-4o-mini"}\'',
    )
    sft.add_argument(
        "--reasoning",
        choices=("teacher", "template"),
        default="teacher",
        help="who writes the reasoning: the teacher when it can (default), or the template",
    )
    sft.add_argument(
        "--paths", type=count(1), default=3, help="sampled paths per section (default 3)"
    )
    sft.add_argument(
        "--scorer",
        choices=("lm", "embedding"),
        default="lm",
        help="chooses among an LLM teacher's paths: MoM's LM scores (SmolLM2) or embeddings",
    )
    sft.add_argument(
        "--max-concurrency", type=count(1), default=4, help="sections and teacher calls at once"
    )
    sft.add_argument(
        "--student-context",
        type=count(1),
        default=2048,
        help="the student's context in tokens; sections fit it (default 2048)",
    )
    sft.add_argument("--chars-per-token", type=positive_float, default=4.0, help="rough token size")
    sft.add_argument(
        "--target-words", type=count(1), default=None, help="extractive teacher: chunk length"
    )
    sft.add_argument(
        "--core-words", type=count(1), default=None, help="extractive teacher: core length"
    )
    add_progress(sft)
    sft.set_defaults(func=_sft_data)


def _add_train_reader(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train-reader",
        help="fine-tune a small LM into a memory reader on sft-data records (TRL)",
        description="Supervised fine-tuning with TRL's SFTTrainer: loss on the assistant "
        "turn only, LoRA (peft) unless --full, an evaluation split by document, early "
        "stopping, safetensors checkpoints in OUT.work (--resume continues). The reader "
        "folder loads with ingest --reader OUT. Needs the train extra: "
        "pip install 'mom-micro[train]'.",
    )
    train.add_argument("sft", help="JSONL records from mom-micro sft-data")
    train.add_argument("--out", required=True, help="reader folder to write")
    train.add_argument(
        "--base", default=None, help="causal LM folder to start from (default: offline SmolLM2)"
    )
    train.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA")
    train.add_argument("--lora-r", type=count(1), default=16, help="LoRA rank (default 16)")
    train.add_argument(
        "--lr", type=positive_float, default=2e-4, help="learning rate (default 2e-4)"
    )
    train.add_argument("--epochs", type=positive_float, default=1.0, help="epochs (default 1)")
    train.add_argument("--max-steps", type=count(1), default=None, help="stop after N steps")
    train.add_argument("--batch-size", type=count(1), default=1, help="records per step")
    train.add_argument("--grad-accum", type=count(1), default=4, help="gradient accumulation")
    train.add_argument(
        "--max-length", type=count(1), default=2048, help="leave out longer records (tokens)"
    )
    train.add_argument(
        "--max-examples", type=count(1), default=None, help="train on at most N records"
    )
    train.add_argument(
        "--eval-fraction", type=fraction, default=0.1, help="documents held out (default 0.1)"
    )
    train.add_argument(
        "--max-eval-examples", type=count(1), default=64, help="evaluate on at most N records"
    )
    train.add_argument("--eval-steps", type=count(1), default=25, help="evaluate every N steps")
    train.add_argument("--patience", type=count(1), default=3, help="early-stopping patience")
    train.add_argument(
        "--max-new-tokens", type=count(1), default=1024, help="the reader's answer limit"
    )
    train.add_argument("--seed", type=count(0), default=0)
    train.add_argument("--resume", action="store_true", help="continue from OUT.work")
    add_progress(train)
    train.set_defaults(func=_train_reader)
