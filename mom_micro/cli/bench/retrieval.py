"""``mom-micro bench retrieval | server | concurrency | memory | reader``: the retrieval
and memory benchmarks (the logic is in :mod:`mom_micro.bench`)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from mom_micro.bench.retrieval import DEFAULT_BUDGETS, SYSTEMS
from mom_micro.models.generation import COPY_MODES

from ..options import add_dataset, add_out, add_progress, count, split_csv, whole_numbers
from .run import BenchRun, set_handler

__all__ = ["register"]

_BUDGETS = ",".join(map(str, DEFAULT_BUDGETS))


def _retrieval(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.data import load_dataset
    from mom_micro.bench.retrieval import markdown_table, run_benchmark, write_retrieval_outputs

    datasets = [load_dataset(path, args.limit_docs) for path in args.dataset]  # fail early
    for dataset in datasets:
        location = {"milvus_uri": args.milvus_uri} if args.milvus_uri else {}
        result = run_benchmark(
            dataset, split_csv(args.systems), args.budgets, args.scope, log=print, **location
        )
        out = Path(args.out)  # several data sets: OUT.<dataset>.json each
        if len(datasets) > 1:
            out = out.with_name(f"{out.stem}.{dataset.name}{out.suffix or '.json'}")
        yield BenchRun(result, markdown_table, write_retrieval_outputs, out)


def _server(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.data import load_dataset
    from mom_micro.bench.server import run_server_bench, server_markdown, write_server_outputs

    result = run_server_bench(
        load_dataset(args.dataset, args.limit_docs),
        args.chroma_host,
        args.chroma_port,
        args.budgets,
        args.scope,
        log=print,
    )
    yield BenchRun(result, server_markdown, write_server_outputs)


def _concurrency(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.concurrency import (
        concurrency_markdown,
        run_concurrency_bench,
        write_concurrency_outputs,
    )
    from mom_micro.bench.data import load_dataset

    result = run_concurrency_bench(
        load_dataset(args.dataset, args.limit_docs),
        args.levels,
        args.latency,
        args.paths,
        log=print,
    )
    yield BenchRun(result, concurrency_markdown, write_concurrency_outputs)


def _memory(args: argparse.Namespace) -> Iterator[BenchRun]:
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
    yield BenchRun(result, markdown_table, write_memory_outputs)


def _reader(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.data import load_dataset_range
    from mom_micro.bench.reader import (
        Decoding,
        markdown_table,
        run_reader_bench,
        write_reader_outputs,
    )
    from mom_micro.memory import MemoryScorer

    from ..memory import json_object

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
    yield BenchRun(result, markdown_table, write_reader_outputs)


def _add_budgets(parser: argparse.ArgumentParser, what: str = "word budgets") -> None:
    parser.add_argument(
        "--budgets",
        type=whole_numbers(1),
        default=_BUDGETS,
        help=f"comma-separated {what} (default %(default)s)",
    )


def _add_scope(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scope",
        choices=("corpus", "document"),
        default="corpus",
        help="corpus: search all documents; document: only the question's own "
        "(default %(default)s)",
    )


def _add_retrieval(bench: argparse._SubParsersAction) -> None:
    retrieval = bench.add_parser(
        "retrieval",
        help="compare MoM three-layer retrieval with LlamaIndex chunkers",
        description="Index each dataset with every system (same embedding), ask its "
        "questions, and report hit@B / recall@B at word budgets B, ingest time and query "
        "latency. Writes OUT (JSON), OUT.md (table) and OUT.png (plot); with several "
        "datasets, OUT.<dataset>.json and its files for each.",
    )
    add_dataset(retrieval, repeatable=True)
    retrieval.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, from {','.join(SYSTEMS)} (default: all)",
    )
    _add_budgets(retrieval)
    _add_scope(retrieval)
    retrieval.add_argument(
        "--milvus-uri",
        default=None,
        help="build mom's index in this Milvus (a Milvus Lite file *.db, or a server "
        "http://host:19530; its BM25 then comes from Milvus) instead of in-memory Chroma",
    )
    add_out(retrieval, ".md and .png", default="retrieval_bench.json")
    set_handler(retrieval, _retrieval)


def _add_server(bench: argparse._SubParsersAction) -> None:
    server = bench.add_parser(
        "server",
        help="the same memory index embedded and on a Chroma server, side by side",
        description="Build the MoM index of a dataset in embedded Chroma and on a Chroma "
        "server (same reader, same embeddings), ask every question of both, and open each "
        "from a fresh client. Writes OUT (JSON), OUT.md and OUT.png.",
    )
    add_dataset(server)
    server.add_argument("--chroma-host", required=True, help="the Chroma server's host")
    server.add_argument("--chroma-port", type=count(1), required=True, help="... and port")
    _add_budgets(server)
    _add_scope(server)
    add_out(server, ".md and .png", default="server_bench.json")
    set_handler(server, _server)


def _add_concurrency(bench: argparse._SubParsersAction) -> None:
    concurrency = bench.add_parser(
        "concurrency",
        help="ingest through an LLM reader with one call in flight against several",
        description="Ingest a data set's documents through an LLM reader whose guide model "
        "answers after a fixed latency (a scripted model standing in for an API), once per "
        "concurrency level, and report the seconds and the speed-up. Writes OUT (JSON) "
        "and OUT.md.",
    )
    add_dataset(concurrency)
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
        "--paths", type=count(1), default=3, help="sampled paths per window (default 3)"
    )
    add_out(concurrency, default="concurrency_bench.json")
    set_handler(concurrency, _concurrency)


def _add_memory(bench: argparse._SubParsersAction) -> None:
    memory = bench.add_parser(
        "memory",
        help="the offline memory reader against LlamaIndex's SentenceSplitter",
        description="Chunk length, coverage, reading time and (with the offline SmolLM2 "
        "evaluator) MoM chunk clarity of the extractive reader and of SentenceSplitter "
        "chunks; reading time against input size, on one line and on many.",
    )
    add_dataset(memory, limit=10)
    memory.add_argument(
        "--target-words", type=count(1), default=100, help="reader granularity (default 100)"
    )
    memory.add_argument("--paths", type=count(1), default=1, help="sampled granularities")
    memory.add_argument(
        "--splitter-chunk-size", type=count(1), default=128, help="baseline chunk tokens"
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
    add_out(memory, ".md and .png")
    set_handler(memory, _memory)


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
        type=count(1),
        default=2048,
        help="sections fit this many tokens, as in sft-data (default %(default)s)",
    )
    reader.add_argument(
        "--max-sections", type=count(1), default=40, help="sections drawn (default %(default)s)"
    )
    reader.add_argument(
        "--max-new-tokens", type=count(1), default=None, help="answer limit of model readers"
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
        type=count(0),
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
    _add_budgets(reader, "retrieval word budgets")
    reader.add_argument(
        "--memory-cache",
        default=None,
        metavar="DIR",
        help="keep the model readers' memories of the --retrieval documents here (JSON per "
        "document); a stopped run given the same DIR reads only what is missing",
    )
    reader.add_argument("--seed", type=count(0), default=0)
    add_out(reader, ".md and .png", required=True)
    add_progress(reader)
    set_handler(reader, _reader)


def register(bench: argparse._SubParsersAction) -> None:
    """Add the retrieval and memory benchmarks to the ``mom-micro bench`` sub-commands."""
    _add_retrieval(bench)
    _add_server(bench)
    _add_concurrency(bench)
    _add_memory(bench)
    _add_reader(bench)
