"""The ``mom-micro`` command line.

Every command has ``--help``. Errors print as one line on stderr with exit status 2,
not a traceback (set ``MOM_MICRO_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


def _cmd_memory(args: argparse.Namespace) -> int:
    from .memory import ExtractiveExtractor, read_document
    from .utils import atomic_write_text

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


def _cmd_sft_data(args: argparse.Namespace) -> int:
    from .generation import LocalCausalLM
    from .memory import ChainOfMemoryBuilder, ExtractiveExtractor

    folder = Path(args.folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    paths = sorted(folder.glob(args.pattern))
    if not paths:
        raise ValueError(f"no file in {folder} matches {args.pattern!r}")
    guide = LocalCausalLM.from_pretrained(args.guide) if args.guide else LocalCausalLM()
    guide.max_new_tokens = args.max_new_tokens
    builder = ChainOfMemoryBuilder(guide=guide, reader=ExtractiveExtractor(n_paths=args.paths))
    report = builder.build(paths, args.out)
    print(f"{report.written} records written to {report.out}")
    for path, reason in report.skipped.items():
        print(f"skipped {path}: {reason}")
    return 0


def _cmd_bench_memory(args: argparse.Namespace) -> int:
    from .memory_bench import markdown_table, run_memory_bench, write_outputs

    result = run_memory_bench(
        args.dataset, limit_docs=args.limit_docs, target_words=args.target_words,
        n_paths=args.paths, splitter_chunk_size=args.splitter_chunk_size, score=not args.no_score,
    )
    print(markdown_table(result))
    if args.out:
        for path in write_outputs(result, args.out):
            print(f"wrote {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(args.workdir, documents=args.docs, n_answers=args.answers,
             max_new_tokens=args.max_new_tokens)
    return 0


def _command_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-command group ``name`` (e.g. ``bench``), created on first use, so that
    several features can each add their own commands to it."""
    if name not in sub.choices:
        group = sub.add_parser(name, help=help, description=help)
        group._mom_subparsers = group.add_subparsers(  # type: ignore[attr-defined]
            dest=f"{name}_command", required=True, metavar="COMMAND")
    return sub.choices[name]._mom_subparsers  # type: ignore[attr-defined]


def _add_retrieval_commands(sub: argparse._SubParsersAction) -> None:
    """``bench retrieval``, ``ingest`` and ``query`` (logic in mom_micro.retrievers.cli)."""
    from .retrievers.cli import add_retrieval_commands

    add_retrieval_commands(sub, _command_group(sub, "bench", "compare methods on your own data"))


def _add_reward_commands(sub: argparse._SubParsersAction) -> None:
    """``reward train``, ``reward rank`` and ``bench preference`` (logic in
    mom_micro.rewards.commands)."""
    from .rewards.commands import add_reward_commands

    add_reward_commands(sub, _command_group(sub, "bench", "compare methods on your own data"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mom-micro`` (one sub-command per capability)."""
    parser = argparse.ArgumentParser(
        prog="mom-micro",
        description="Memory-based retrieval (MoM) and personalized ranking (MiCRo), offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="the offline tour: memories of the project's docs, three-layer retrieval, "
        "MiCRo ranking for two users",
        description="Read the project's documentation into memories and index them in "
        "Chroma, answer questions with three-layer retrieval, train a small MiCRo model on "
        "the shipped synthetic answer-style sample, and rank SmolLM2's answers for two "
        "users. Offline; a few minutes on two CPU cores.",
    )
    demo.add_argument("--workdir", default="mom-micro-demo",
                      help="folder for the index, the model and the plot (default %(default)s)")
    demo.add_argument("--docs", nargs="+", default=None, metavar="FILE",
                      help="text files to read (default: README.md and docs/*.md of the checkout)")
    demo.add_argument("--answers", type=int, default=4,
                      help="candidate answers SmolLM2 writes (0: skip generation; default 4)")
    demo.add_argument("--max-new-tokens", type=int, default=80,
                      help="length limit of each answer in tokens (default 80)")
    demo.set_defaults(func=_cmd_demo)

    memory = sub.add_parser(
        "memory",
        help="read text files into document memories and print them as outline trees",
        description="Read UTF-8 text files with the offline extractive reader and print "
        "each memory (outline titles, core contents, chunk sizes).",
    )
    memory.add_argument("files", nargs="+", help="UTF-8 text files")
    memory.add_argument("--target-words", type=int, default=None,
                        help="preferred chunk length in words (default: the reader's)")
    memory.add_argument("--paths", type=int, default=1,
                        help="number of sampled granularities to choose from (default 1)")
    memory.add_argument("--json-out", default=None,
                        help="write the memory as JSON to this file (a folder for several files)")
    memory.set_defaults(func=_cmd_memory)

    sft = sub.add_parser(
        "sft-data",
        help="build chain-of-memory fine-tuning data (JSONL for TRL's SFTTrainer)",
        description="Read each document into a memory, ask a guide LM for the reasoning "
        "that leads to it, and write one chat record per document.",
    )
    sft.add_argument("folder", help="folder of UTF-8 text documents")
    sft.add_argument("--out", required=True, help="JSONL file to write (atomically)")
    sft.add_argument("--pattern", default="*.txt", help="file pattern inside the folder")
    sft.add_argument("--guide", default=None,
                     help="Hugging Face causal LM (local path) for the reasoning; default: offline SmolLM2")
    sft.add_argument("--paths", type=int, default=3, help="sampled granularities per memory")
    sft.add_argument("--max-new-tokens", type=int, default=384, help="length limit of each reasoning")
    sft.set_defaults(func=_cmd_sft_data)

    bench_memory = _command_group(sub, "bench", "compare methods on your own data").add_parser(
        "memory",
        help="the offline memory reader against LlamaIndex's SentenceSplitter",
        description="Chunk length, coverage, reading time and (with the offline SmolLM2 "
        "evaluator) MoM chunk clarity of the extractive reader and of SentenceSplitter chunks.",
    )
    bench_memory.add_argument("--dataset", required=True, help="SQuAD JSON or JSONL of {input, ...}")
    bench_memory.add_argument("--limit-docs", type=int, default=10, help="first N documents (default 10)")
    bench_memory.add_argument("--target-words", type=int, default=100, help="reader granularity")
    bench_memory.add_argument("--paths", type=int, default=1, help="sampled granularities")
    bench_memory.add_argument("--splitter-chunk-size", type=int, default=128, help="baseline chunk tokens")
    bench_memory.add_argument("--no-score", action="store_true", help="skip the LM scores")
    bench_memory.add_argument("--out", default=None, help="JSON file (a .md and a .png go beside it)")
    bench_memory.set_defaults(func=_cmd_bench_memory)
    _add_retrieval_commands(sub)
    _add_reward_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mom-micro`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ValueError, OSError, RuntimeError) as exc:
        if os.environ.get("MOM_MICRO_DEBUG"):
            raise
        print(f"mom-micro {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
