"""``mom-micro bench retrieval | server | concurrency | preference | personalize |
featurize | style | memory | reader``: the benchmarks on your own data.

The logic is in :mod:`mom_micro.bench`; this module parses the flags and prints.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mom_micro.bench.retrieval import DEFAULT_BUDGETS, SYSTEMS
from mom_micro.models.generation import COPY_MODES

from . import agent_bench
from .reward import (
    add_input_options,
    add_tuning_options,
    count,
    featurizer_from_args,
    fraction,
    positive_float,
    read_pair_files,
    recipe_from_args,
    split_csv,
    tuned_featurizer,
    whole_numbers,
)

__all__ = ["register"]


def _retrieval(args: argparse.Namespace) -> int:
    from mom_micro.bench.retrieval import run_retrieval_bench

    run_retrieval_bench(
        args.dataset,
        args.out,
        systems=split_csv(args.systems),
        budgets=args.budgets,
        scope=args.scope,
        limit_docs=args.limit_docs,
        log=print,
    )
    return 0


def _train_test(args: argparse.Namespace) -> tuple[list, list]:
    """The training and test pairs of a preference benchmark: ``--test`` files, or
    ``--split-by-prompt`` of the ``--train`` pairs (after ``--max-pairs``); with
    ``--validation``, the training side split again in its place."""
    from mom_micro.rewards import split_by_prompt, subsample

    pairs = read_pair_files(args.train, args.format, args.context)
    if args.test:
        test = read_pair_files(args.test, args.format, args.context)
        train = pairs
    else:
        if args.max_pairs is not None:
            pairs = subsample(pairs, args.max_pairs, args.seed)
        train, test = split_by_prompt(pairs, args.split_by_prompt, args.seed)
    if args.validation:  # choose settings without looking at the test side
        train, test = split_by_prompt(train, args.split_by_prompt or 0.2, args.seed + 1)
    overlap = {p.prompt for p in train} & {p.prompt for p in test}
    if overlap:
        raise ValueError(f"{len(overlap)} prompts are on both the training and the test side")
    print(f"{len(train)} training pairs, {len(test)} test pairs")
    return train, test


def _paper_stages(args: argparse.Namespace) -> dict[str, Any]:
    """The paper's stage-1 and (unguarded) stage-2 settings of the flags, for the rows a
    benchmark reports as the paper's method."""
    from mom_micro.rewards import Stage1Config, Stage2Config

    return {
        "stage1": Stage1Config(epochs=args.epochs, seed=args.seed),
        "stage2": Stage2Config(tau=args.tau, seed=args.seed, guard_folds=0),
    }


def _show(markdown: str, paths: Sequence[Path]) -> int:
    """Print a benchmark's table and where its files went."""
    print(markdown)
    if paths:
        print("written: " + ", ".join(map(str, paths)))
    return 0


def _preference(args: argparse.Namespace) -> int:
    from mom_micro.bench.preference import (
        PreferenceBenchConfig,
        render_markdown,
        run_preference_benchmark,
        write_preference_outputs,
    )
    from mom_micro.rewards import Stage1Config

    train, test = _train_test(args)
    config = PreferenceBenchConfig(
        heads=args.heads,
        budget=args.budget,
        curve=tuple(args.curve),
        repeats=args.repeats,
        seed=args.seed,
        **_paper_stages(args),
        context_stage1=not args.no_ctx,
        stage1_ctx=Stage1Config(alpha=args.ctx_alpha[0], epochs=args.epochs, seed=args.seed),
        recipe=recipe_from_args(args),
    )
    out = Path(args.out)
    featurizer, tuning = tuned_featurizer(args, train, out.with_name(f"{out.stem}-backbone"))
    result = run_preference_benchmark(train, test, featurizer, config)
    result["setup"]["backbone_tuning"] = tuning
    result["setup"]["files"] = {
        "train": args.train,
        "test": args.test or [],
        "split_by_prompt": None if args.test else args.split_by_prompt,
        "max_pairs": args.max_pairs,
    }
    return _show(render_markdown(result), write_preference_outputs(result, args.out))


def _personalize(args: argparse.Namespace) -> int:
    from mom_micro.bench.personalize import (
        PersonalizeBenchConfig,
        render_personalize_markdown,
        run_personalize_benchmark,
        write_personalize_outputs,
    )
    from mom_micro.rewards import Stage1Config

    train, test = _train_test(args)
    config = PersonalizeBenchConfig(
        heads=args.heads,
        choices=tuple(args.choices),
        draws=args.draws,
        seed=args.seed,
        **_paper_stages(args),
        scratch=Stage1Config(epochs=args.epochs, seed=args.seed, val_fraction=0.0),
        recipe=recipe_from_args(args, budget=0),
        l2=args.l2,
    )
    result = run_personalize_benchmark(train, test, featurizer_from_args(args), config)
    return _show(render_personalize_markdown(result), write_personalize_outputs(result, args.out))


def _featurize(args: argparse.Namespace) -> int:
    import random

    from mom_micro.bench.featurize import (
        render_featurize_markdown,
        run_featurize_bench,
        write_featurize_outputs,
    )
    from mom_micro.rewards.encoders import SentenceTransformerEncoder

    pairs = read_pair_files(args.train, args.format, args.context)
    texts = sorted({t for p in pairs for t in (p.prompt, p.chosen, p.rejected)})
    random.Random(args.seed).shuffle(texts)
    encoder = SentenceTransformerEncoder(args.backbone)
    result = run_featurize_bench(
        texts[: args.max_texts], encoder, batch_size=args.batch_size, repeats=args.repeats
    )
    paths = write_featurize_outputs(result, args.out) if args.out else []
    return _show(render_featurize_markdown(result), paths)


def _style(args: argparse.Namespace) -> int:
    from mom_micro.bench.style import (
        StyleBenchConfig,
        render_style_markdown,
        run_style_benchmark,
        write_style_outputs,
    )

    pairs = read_pair_files(args.train, args.format, args.context)
    config = StyleBenchConfig(
        train_pairs=args.pairs,
        test_prompts=args.test_prompts,
        seed=args.seed,
        recipe=recipe_from_args(args),
    )
    result = run_style_benchmark(pairs, featurizer_from_args(args), config)
    paths = write_style_outputs(result, args.out) if args.out else []
    return _show(render_style_markdown(result), paths)


def _memory(args: argparse.Namespace) -> int:
    from mom_micro.bench.memory import (
        GROWTH_KB,
        markdown_table,
        run_memory_bench,
        write_memory_outputs,
    )

    result = run_memory_bench(
        args.dataset,
        limit_docs=args.limit_docs,
        target_words=args.target_words,
        n_paths=args.paths,
        splitter_chunk_size=args.splitter_chunk_size,
        score=not args.no_score,
        growth_kb=() if args.no_growth else args.growth_kb or GROWTH_KB,
    )
    print(markdown_table(result))
    if args.out:
        for path in write_memory_outputs(result, args.out):
            print(f"wrote {path}")
    return 0


def _server(args: argparse.Namespace) -> int:
    from mom_micro.bench.server import run_server_bench_file, server_markdown

    result = run_server_bench_file(
        args.dataset,
        args.out,
        args.chroma_host,
        args.chroma_port,
        limit_docs=args.limit_docs,
        budgets=args.budgets,
        scope=args.scope,
        log=print,
    )
    print(server_markdown(result))
    return 0


def _concurrency(args: argparse.Namespace) -> int:
    from mom_micro.bench.concurrency import concurrency_markdown, write_concurrency_outputs

    result = write_concurrency_outputs(
        args.dataset,
        args.out,
        limit_docs=args.limit_docs,
        levels=args.levels,
        latency=args.latency,
        n_paths=args.paths,
        log=print,
    )
    print(concurrency_markdown(result))
    return 0


def _add_dataset(
    parser: argparse.ArgumentParser, repeatable: bool = False, limit: int | None = None
) -> None:
    """``--dataset`` (a QA file; repeatable when the command takes several) and
    ``--limit-docs`` (default ``limit``: all documents when ``None``)."""
    parser.add_argument(
        "--dataset",
        action="append" if repeatable else "store",
        required=True,
        metavar="FILE",
        help="SQuAD JSON, or JSONL of {input, instructions, outputs}"
        + (" (repeatable)" if repeatable else ""),
    )
    parser.add_argument(
        "--limit-docs",
        type=int,
        default=limit,
        metavar="N",
        help="use only the first N documents"
        + (" of each dataset" if repeatable else "")
        + (f" (default {limit})" if limit is not None else ""),
    )


def _add_concurrency(bench: argparse._SubParsersAction) -> None:
    concurrency = bench.add_parser(
        "concurrency",
        help="ingest through an LLM reader with one call in flight against several",
        description="Ingest a data set's documents through an LLM reader whose guide model "
        "answers after a fixed latency (a scripted model standing in for an API), once per "
        "concurrency level, and report the seconds and the speed-up. Writes OUT (JSON) "
        "and OUT.md.",
    )
    _add_dataset(concurrency)
    concurrency.add_argument(
        "--levels",
        type=whole_numbers(1),
        default="1,8",
        help="comma-separated max_concurrency values (default 1,8)",
    )
    concurrency.add_argument(
        "--latency", type=float, default=2.0, help="seconds per guide call (default 2.0)"
    )
    concurrency.add_argument(
        "--paths", type=int, default=3, help="sampled paths per window (default 3)"
    )
    concurrency.add_argument(
        "--out", default="concurrency_bench.json", metavar="FILE.json", help="figures JSON"
    )
    concurrency.set_defaults(func=_concurrency)


def _add_server(bench: argparse._SubParsersAction) -> None:
    server = bench.add_parser(
        "server",
        help="the same memory index embedded and on a Chroma server, side by side",
        description="Build the MoM index of a dataset in embedded Chroma and on a Chroma "
        "server (same reader, same embeddings), ask every question of both, and open each "
        "from a fresh client. Writes OUT (JSON), OUT.md and OUT.png.",
    )
    _add_dataset(server)
    server.add_argument("--chroma-host", required=True, help="the Chroma server's host")
    server.add_argument("--chroma-port", type=int, required=True, help="... and port")
    server.add_argument(
        "--budgets",
        type=whole_numbers(1),
        default=",".join(map(str, DEFAULT_BUDGETS)),
        help="comma-separated word budgets (default %(default)s)",
    )
    server.add_argument(
        "--scope",
        choices=("corpus", "document"),
        default="corpus",
        help="corpus or document scope (default %(default)s)",
    )
    server.add_argument(
        "--out",
        default="server_bench.json",
        metavar="FILE.json",
        help="figures JSON; .md and .png are written beside it",
    )
    server.set_defaults(func=_server)


def _reader(args: argparse.Namespace) -> int:
    from mom_micro.bench.data import load_dataset_range
    from mom_micro.bench.reader import (
        Decoding,
        markdown_table,
        run_reader_bench,
        write_reader_outputs,
    )
    from mom_micro.memory import MemoryScorer

    from .memory import json_object

    dataset = load_dataset_range(args.dataset)
    retrieval = load_dataset_range(args.retrieval) if args.retrieval else None
    result = run_reader_bench(
        dataset,
        split_csv(args.readers),
        student_context=args.student_context,
        max_sections=args.max_sections,
        guide_kwargs=json_object(args.guide_kwargs, "--guide-kwargs"),
        decoding=Decoding(args.max_new_tokens, args.copy_chunks, args.continuations),
        scorer=None if args.no_score else MemoryScorer(),
        retrieval=retrieval,
        retrieval_readers=split_csv(args.retrieval_readers) if args.retrieval_readers else None,
        budgets=args.budgets,
        memory_cache=args.memory_cache,
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
    reader.add_argument(
        "--copy-chunks",
        choices=COPY_MODES,
        default=None,
        help="copy-constrained chunks of local models: tiling (the default: each chunk a "
        "span where the previous ended), spans (anywhere), off",
    )
    reader.add_argument(
        "--continuations",
        type=int,
        default=None,
        help="further calls per section on the text after the last chunk (default: 2 for "
        "a trained reader, 0 for other models)",
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
        "--budgets",
        type=whole_numbers(1),
        default="100,200,400,800",
        help="retrieval word budgets (default %(default)s)",
    )
    reader.add_argument(
        "--memory-cache",
        default=None,
        metavar="DIR",
        help="keep the model readers' memories of the --retrieval documents here (JSON per "
        "document); a stopped run given the same DIR reads only what is missing",
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
    _add_dataset(retrieval, repeatable=True)
    retrieval.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, from {','.join(SYSTEMS)} (default: all)",
    )
    retrieval.add_argument(
        "--budgets",
        type=whole_numbers(1),
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


def _add_pair_sides(parser: argparse.ArgumentParser) -> None:
    """``--train``, ``--test`` | ``--split-by-prompt`` and ``--max-pairs`` (see
    :func:`_train_test`)."""
    parser.add_argument("--train", nargs="+", required=True, help="training preference files")
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--test", nargs="+", help="test preference files")
    side.add_argument(
        "--split-by-prompt",
        type=fraction,
        metavar="FRACTION",
        help="hold out this fraction of the prompts of --train as the test side",
    )
    parser.add_argument(
        "--max-pairs",
        type=count(1),
        default=None,
        help="random subsample of the --train pairs before splitting",
    )
    parser.add_argument(
        "--validation",
        action="store_true",
        help="set the test side aside and split the training side again (the same "
        "fraction, seed + 1): a validation run for choosing settings",
    )


def _add_preference(bench: argparse._SubParsersAction) -> None:
    pref = bench.add_parser(
        "preference",
        help="single BT vs static mixture vs MiCRo stage 1/2 on preference pairs",
        description="Per-context and average pairwise accuracy of single_bt, static_mixture, "
        "micro_stage1, micro_stage2, micro_stage1_ctx, micro_stage2_ctx (stage-1 router also "
        "reads the context labels; not the paper's) (+ oracle_per_context), shipped (what "
        "`reward train` produces with the same flags), the stage-2 curves over B, training "
        "time and scoring throughput. Writes --out JSON, .md and .png beside it.",
    )
    _add_pair_sides(pref)
    pref.add_argument(
        "--budget",
        type=count(0),
        default=50,
        help="stage-2 labels per context for micro_stage2 and shipped (default 50)",
    )
    pref.add_argument(
        "--curve",
        type=count(0),
        nargs="+",
        default=[0, 10, 25, 50, 100],
        help="budgets of the stage-2 curve (default 0 10 25 50 100)",
    )
    pref.add_argument(
        "--repeats",
        type=count(1),
        default=3,
        help="random draws of the stage-2 labels per budget (default 3)",
    )
    pref.add_argument(
        "--no-ctx",
        action="store_true",
        help="leave out the micro_stage1_ctx / micro_stage2_ctx rows",
    )
    pref.add_argument("--out", required=True, help="result JSON (.md and .png beside it)")
    add_input_options(pref)
    add_tuning_options(pref)
    pref.set_defaults(func=_preference)


def _add_personalize(bench: argparse._SubParsersAction) -> None:
    from mom_micro.rewards.config import DEFAULT_L2

    pers = bench.add_parser(
        "personalize",
        help="a new user of a context left out of training: accuracy after n choices",
        description="Leave one context out: every model is trained without it; a new user "
        "of that context makes n choices (drawn from its training side, --draws times); "
        "accuracy on its test pairs of population (single BT), scratch_bt (BT on the n "
        "choices), hedge (the paper's stage 2 on them) and online (the shipped model with "
        "the user's online weights). Writes --out JSON, .md and .png beside it.",
    )
    _add_pair_sides(pers)
    pers.add_argument(
        "--choices",
        type=count(0),
        nargs="+",
        default=[0, 5, 10, 25, 50, 100],
        help="numbers of choices n (default 0 5 10 25 50 100)",
    )
    pers.add_argument(
        "--draws", type=count(1), default=5, help="random draws of the choices per n (default 5)"
    )
    pers.add_argument(
        "--l2",
        type=positive_float,
        default=DEFAULT_L2,
        help=f"penalty of the online fit (default {DEFAULT_L2})",
    )
    pers.add_argument("--out", required=True, help="result JSON (.md and .png beside it)")
    add_input_options(pers)
    pers.set_defaults(func=_personalize)


def _add_featurize(bench: argparse._SubParsersAction) -> None:
    feat = bench.add_parser(
        "featurize",
        help="featurizer throughput against plain SentenceTransformer.encode",
        description="Embed the distinct texts of preference files by plain "
        "SentenceTransformer.encode and by the featurizer's cache path (empty cache), same "
        "model and threads, in one process; report texts/s of both and their ratio.",
    )
    feat.add_argument("--train", nargs="+", required=True, help="preference files")
    feat.add_argument(
        "--max-texts", type=count(1), default=2000, help="random sample of texts (default 2000)"
    )
    feat.add_argument("--batch-size", type=count(1), default=32, help="batch size (default 32)")
    feat.add_argument(
        "--repeats", type=count(1), default=2, help="alternating rounds, best kept (default 2)"
    )
    feat.add_argument(
        "--backbone", default="minilm", help="minilm (default) or a sentence-transformers folder"
    )
    feat.add_argument("--format", default="auto", help="preference file format (default auto)")
    feat.add_argument("--context", action="append", default=[], help=argparse.SUPPRESS)
    feat.add_argument("--seed", type=count(0), default=0, help="seed of the sample (0)")
    feat.add_argument("--out", default=None, help="JSON file (a .md goes beside it)")
    feat.set_defaults(func=_featurize)


def _add_style(bench: argparse._SubParsersAction) -> None:
    style = bench.add_parser(
        "style",
        help="learn a plain style preference (short vs long, list vs prose) from few pairs",
        description="From the preferred answers of --train (three or more sentences), build "
        "pairs that differ only in style: first sentence vs whole answer, bulleted list vs "
        "paragraph, each preferred one way by one context and the other way by another. "
        "Train the shipped model on --pairs of each and report accuracy on held-out prompts.",
    )
    style.add_argument("--train", nargs="+", required=True, help="preference files (answers)")
    style.add_argument(
        "--pairs", type=count(2), default=100, help="training pairs per contrast (default 100)"
    )
    style.add_argument(
        "--test-prompts", type=count(1), default=100, help="held-out prompts (default 100)"
    )
    style.add_argument("--out", default=None, help="JSON file (a .md goes beside it)")
    add_input_options(style)
    style.set_defaults(func=_style)


def _add_memory(bench: argparse._SubParsersAction) -> None:
    memory = bench.add_parser(
        "memory",
        help="the offline memory reader against LlamaIndex's SentenceSplitter",
        description="Chunk length, coverage, reading time and (with the offline SmolLM2 "
        "evaluator) MoM chunk clarity of the extractive reader and of SentenceSplitter chunks.",
    )
    _add_dataset(memory, limit=10)
    memory.add_argument("--target-words", type=int, default=100, help="reader granularity")
    memory.add_argument("--paths", type=int, default=1, help="sampled granularities")
    memory.add_argument(
        "--splitter-chunk-size", type=int, default=128, help="baseline chunk tokens"
    )
    memory.add_argument("--no-score", action="store_true", help="skip the LM scores")
    memory.add_argument(
        "--growth-kb",
        type=whole_numbers(1),
        default=None,
        help="comma-separated sizes (KB) at which reading time is measured, on one line and "
        "on many (default: mom_micro.bench.memory.GROWTH_KB)",
    )
    memory.add_argument("--no-growth", action="store_true", help="skip the growth in size")
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
    _add_server(bench)
    _add_concurrency(bench)
    _add_preference(bench)
    _add_personalize(bench)
    _add_featurize(bench)
    _add_style(bench)
    _add_memory(bench)
    _add_reader(bench)
    agent_bench.register(bench)
