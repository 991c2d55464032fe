"""``mom-micro memory`` and ``mom-micro sft-data``: reading documents into memories."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


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


def _sft_data(args: argparse.Namespace) -> int:
    from mom_micro.generation import LocalCausalLM
    from mom_micro.memory import ChainOfMemoryBuilder, ExtractiveExtractor

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


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``memory`` and ``sft-data`` to the ``mom-micro`` sub-commands ``sub``."""
    memory = sub.add_parser(
        "memory",
        help="read text files into document memories and print them as outline trees",
        description="Read UTF-8 text files with the offline extractive reader and print "
        "each memory (outline titles, core contents, chunk sizes).",
    )
    memory.add_argument("files", nargs="+", help="UTF-8 text files")
    memory.add_argument(
        "--target-words",
        type=int,
        default=None,
        help="preferred chunk length in words (default: the reader's)",
    )
    memory.add_argument(
        "--paths",
        type=int,
        default=1,
        help="number of sampled granularities to choose from (default 1)",
    )
    memory.add_argument(
        "--json-out",
        default=None,
        help="write the memory as JSON to this file (a folder for several files)",
    )
    memory.set_defaults(func=_memory)

    sft = sub.add_parser(
        "sft-data",
        help="build chain-of-memory fine-tuning data (JSONL for TRL's SFTTrainer)",
        description="Read each document into a memory, ask a guide LM for the reasoning "
        "that leads to it, and write one chat record per document.",
    )
    sft.add_argument("folder", help="folder of UTF-8 text documents")
    sft.add_argument("--out", required=True, help="JSONL file to write (atomically)")
    sft.add_argument("--pattern", default="*.txt", help="file pattern inside the folder")
    sft.add_argument(
        "--guide",
        default=None,
        help="Hugging Face causal LM (local path) for the reasoning; default: offline SmolLM2",
    )
    sft.add_argument("--paths", type=int, default=3, help="sampled granularities per memory")
    sft.add_argument(
        "--max-new-tokens", type=int, default=384, help="length limit of each reasoning"
    )
    sft.set_defaults(func=_sft_data)
