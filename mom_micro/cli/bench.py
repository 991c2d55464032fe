"""``mom-micro bench retrieval | preference | memory | reader``: the benchmarks on your own data.

The logic is in :mod:`mom_micro.bench`; this module parses the flags and prints.
"""

from __future__ import annotations

import argparse

from mom_micro.bench.retrieval import DEFAULT_BUDGETS, SYSTEMS

from .reward import add_input_options, read_pair_files

__all__ = ["register"]


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _retrieval(args: argparse.Namespace) -> int:
    from mom_micro.bench.retrieval import run_retrieval_bench

    budgets = [int(b) for b in _csv(args.budgets)]
    run_retrieval_bench(
        args.dataset,
        args.out,
        systems=_csv(args.systems),
        budgets=budgets,
        scope=args.scope,
        limit_docs=args.limit_docs,
        log=print,
    )
    return 0


def _preference(args: argparse.Namespace) -> int:
    from mom_micro.bench.preference import (
        PreferenceBenchConfig,
        render_markdown,
        run_preference_benchmark,
        write_preference_outputs,
    )
    from mom_micro.rewards import (
        PreferenceFeaturizer,
        Stage1Config,
        Stage2Config,
        split_by_prompt,
        subsample,
    )

    pairs = read_pair_files(args.train, args.format, args.context)
    if args.test:
        test = read_pair_files(args.test, args.format, args.context)
        train = pairs
    else:
        if args.max_pairs:
            pairs = subsample(pairs, args.max_pairs, args.seed)
        train, test = split_by_prompt(pairs, args.split_by_prompt, args.seed)
    overlap = {p.prompt for p in train} & {p.prompt for p in test}
    if overlap:
        raise ValueError(f"{len(overlap)} prompts are on both the training and the test side")
    print(f"{len(train)} training pairs, {len(test)} test pairs")
    config = PreferenceBenchConfig(
        heads=args.heads,
        budget=args.budget,
        curve=tuple(args.curve),
        repeats=args.repeats,
        seed=args.seed,
        stage1=Stage1Config(epochs=args.epochs, seed=args.seed),
        stage2=Stage2Config(tau=args.tau, seed=args.seed),
        context_stage1=not args.no_ctx,
        stage1_ctx=Stage1Config(alpha=args.ctx_alpha, epochs=args.epochs, seed=args.seed),
    )
    result = run_preference_benchmark(
        train, test, PreferenceFeaturizer.from_backbone(args.backbone), config
    )
    result["setup"]["files"] = {
        "train": args.train,
        "test": args.test or [],
        "split_by_prompt": None if args.test else args.split_by_prompt,
        "max_pairs": args.max_pairs,
    }
    paths = write_preference_outputs(result, args.out)
    print(render_markdown(result))
    print("written: " + ", ".join(map(str, paths)))
    return 0


def _memory(args: argparse.Namespace) -> int:
    from mom_micro.bench.memory import markdown_table, run_memory_bench, write_memory_outputs

    result = run_memory_bench(
        args.dataset,
        limit_docs=args.limit_docs,
        target_words=args.target_words,
        n_paths=args.paths,
        splitter_chunk_size=args.splitter_chunk_size,
        score=not args.no_score,
    )
    print(markdown_table(result))
    if args.out:
        for path in write_memory_outputs(result, args.out):
            print(f"wrote {path}")
    return 0


def _reader(args: argparse.Namespace) -> int:
    from mom_micro.bench.data import load_dataset_range
    from mom_micro.bench.reader import markdown_table, run_reader_bench, write_reader_outputs
    from mom_micro.memory import MemoryScorer

    from .memory import json_object

    dataset = load_dataset_range(args.dataset)
    retrieval = load_dataset_range(args.retrieval) if args.retrieval else None
    result = run_reader_bench(
        dataset,
        _csv(args.readers),
        student_context=args.student_context,
        max_sections=args.max_sections,
        guide_kwargs=json_object(args.guide_kwargs, "--guide-kwargs"),
        max_new_tokens=args.max_new_tokens,
        scorer=None if args.no_score else MemoryScorer(),
        retrieval=retrieval,
        retrieval_readers=_csv(args.retrieval_readers) if args.retrieval_readers else None,
        budgets=[int(b) for b in _csv(args.budgets)],
        seed=args.seed,
        show_progress=args.progress,
    )
    print(markdown_table(result))
    for path in write_reader_outputs(result, args.out):
        print(f"wrote {path}")
    return 0


def _add_reader(bench: argparse._SubParsersAction) -> None:
    reader = bench.add_parser(
        "reader",
        help="memory readers (extractive, small LMs, trained readers, any LLM) on held-out text",
        description="Every reader reads the same sections of held-out documents: share of "
        "answers that parse, anchors found exactly / fuzzily, coverage, chunk count and "
        "length, MoM clarity and completeness, seconds per 1,000 words; with --retrieval, "
        "hit@B of the mom system fed by each reader. Writes OUT (JSON), OUT.md and OUT.png.",
    )
    reader.add_argument(
        "--dataset",
        required=True,
        metavar="FILE[:FIRST-LAST]",
        help="held-out documents (SQuAD JSON or JSONL), optionally documents FIRST to LAST",
    )
    reader.add_argument(
        "--readers",
        default="extractive,smollm2",
        help="comma-separated: extractive, smollm2, a reader or model folder, module:Class "
        "(default %(default)s)",
    )
    reader.add_argument(
        "--guide-kwargs", default=None, help="JSON keyword arguments of module:Class"
    )
    reader.add_argument(
        "--student-context",
        type=int,
        default=2048,
        help="sections fit this many tokens, as in sft-data (default %(default)s)",
    )
    reader.add_argument(
        "--max-sections", type=int, default=40, help="sections drawn (default %(default)s)"
    )
    reader.add_argument(
        "--max-new-tokens", type=int, default=None, help="answer limit of model readers"
    )
    reader.add_argument("--no-score", action="store_true", help="skip clarity and completeness")
    reader.add_argument(
        "--retrieval",
        default=None,
        metavar="FILE[:FIRST-LAST]",
        help="also run bench retrieval's mom system with each reader on this QA data set",
    )
    reader.add_argument(
        "--retrieval-readers", default=None, help="only these readers in the retrieval run"
    )
    reader.add_argument(
        "--budgets", default="100,200,400,800", help="retrieval word budgets (default %(default)s)"
    )
    reader.add_argument("--seed", type=int, default=0)
    reader.add_argument("--out", required=True, help="result JSON (.md and .png beside it)")
    reader.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bars"
    )
    reader.set_defaults(func=_reader)


def _add_retrieval(bench: argparse._SubParsersAction) -> None:
    retrieval = bench.add_parser(
        "retrieval",
        help="compare MoM three-layer retrieval with LlamaIndex chunkers",
        description="Index each dataset with every system (same embedding), ask its "
        "questions, and report hit@B / recall@B at word budgets B, ingest time and query "
        "latency. Writes OUT (JSON), OUT.md (table) and OUT.png (plot).",
    )
    retrieval.add_argument(
        "--dataset",
        action="append",
        required=True,
        metavar="FILE",
        help="SQuAD JSON, or JSONL of {input, instructions, outputs} (repeatable)",
    )
    retrieval.add_argument(
        "--limit-docs",
        type=int,
        default=None,
        metavar="N",
        help="use only the first N documents of each dataset",
    )
    retrieval.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, from {','.join(SYSTEMS)} (default: all)",
    )
    retrieval.add_argument(
        "--budgets",
        default=",".join(map(str, DEFAULT_BUDGETS)),
        help="comma-separated word budgets (default %(default)s)",
    )
    retrieval.add_argument(
        "--scope",
        choices=("corpus", "document"),
        default="corpus",
        help="corpus: search all documents; document: only the "
        "question's own (default %(default)s)",
    )
    retrieval.add_argument(
        "--out",
        default="retrieval_bench.json",
        metavar="FILE.json",
        help="figures JSON; .md and .png are written beside it",
    )
    retrieval.set_defaults(func=_retrieval)


def _add_preference(bench: argparse._SubParsersAction) -> None:
    pref = bench.add_parser(
        "preference",
        help="single BT vs static mixture vs MiCRo stage 1/2 on preference pairs",
        description="Per-context and average pairwise accuracy of single_bt, static_mixture, "
        "micro_stage1, micro_stage2, micro_stage1_ctx, micro_stage2_ctx (stage-1 router also "
        "reads the context labels; not the paper's) (+ oracle_per_context), the stage-2 "
        "curves over B, training time and scoring throughput. Writes --out JSON, .md and "
        ".png beside it.",
    )
    pref.add_argument("--train", nargs="+", required=True, help="training preference files")
    side = pref.add_mutually_exclusive_group(required=True)
    side.add_argument("--test", nargs="+", help="test preference files")
    side.add_argument(
        "--split-by-prompt",
        type=float,
        metavar="FRACTION",
        help="hold out this fraction of the prompts of --train as the test side",
    )
    pref.add_argument(
        "--budget",
        type=int,
        default=50,
        help="stage-2 labels per context for micro_stage2 (default 50)",
    )
    pref.add_argument(
        "--curve",
        type=int,
        nargs="+",
        default=[0, 10, 25, 50, 100],
        help="budgets of the stage-2 curve (default 0 10 25 50 100)",
    )
    pref.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="random draws of the stage-2 labels per budget (default 3)",
    )
    pref.add_argument(
        "--max-pairs",
        type=int,
        default=None,
        help="random subsample of the --train pairs before splitting",
    )
    pref.add_argument(
        "--ctx-alpha",
        type=float,
        default=0.1,
        help="entropy weight of the micro_*_ctx rows, whose stage-1 router "
        "also reads the training pairs' context labels (default 0.1)",
    )
    pref.add_argument(
        "--no-ctx",
        action="store_true",
        help="leave out the micro_stage1_ctx / micro_stage2_ctx rows",
    )
    pref.add_argument("--out", required=True, help="result JSON (.md and .png beside it)")
    add_input_options(pref)
    pref.set_defaults(func=_preference)


def _add_memory(bench: argparse._SubParsersAction) -> None:
    memory = bench.add_parser(
        "memory",
        help="the offline memory reader against LlamaIndex's SentenceSplitter",
        description="Chunk length, coverage, reading time and (with the offline SmolLM2 "
        "evaluator) MoM chunk clarity of the extractive reader and of SentenceSplitter chunks.",
    )
    memory.add_argument("--dataset", required=True, help="SQuAD JSON or JSONL of {input, ...}")
    memory.add_argument("--limit-docs", type=int, default=10, help="first N documents (default 10)")
    memory.add_argument("--target-words", type=int, default=100, help="reader granularity")
    memory.add_argument("--paths", type=int, default=1, help="sampled granularities")
    memory.add_argument(
        "--splitter-chunk-size", type=int, default=128, help="baseline chunk tokens"
    )
    memory.add_argument("--no-score", action="store_true", help="skip the LM scores")
    memory.add_argument("--out", default=None, help="JSON file (a .md and a .png go beside it)")
    memory.set_defaults(func=_memory)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` group and its benchmarks to the ``mom-micro`` sub-commands ``sub``."""
    group = sub.add_parser(
        "bench",
        help="compare methods on your own data",
        description="compare methods on your own data",
    )
    bench = group.add_subparsers(dest="bench_command", required=True, metavar="COMMAND")
    _add_retrieval(bench)
    _add_preference(bench)
    _add_memory(bench)
    _add_reader(bench)
