"""The retrieval commands of ``mom-micro``: ``bench retrieval``, ``ingest``, ``query``.

``mom_micro.cli`` only wires these in; the logic is here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_retrieval_commands"]


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _cmd_bench_retrieval(args: argparse.Namespace) -> int:
    from .bench import run_retrieval_bench

    budgets = [int(b) for b in _csv(args.budgets)]
    run_retrieval_bench(args.dataset, args.out, systems=_csv(args.systems), budgets=budgets,
                        scope=args.scope, limit_docs=args.limit_docs)
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from llama_index.core import Document

    from mom_micro.memory import read_document

    from .index import MemoryIndex

    docs = [Document(text=read_document(path), id_=Path(path).name) for path in args.files]
    index_dir = Path(args.index)
    index = MemoryIndex.open(index_dir, chroma_host=args.chroma_host, chroma_port=args.chroma_port)
    report = index.add_documents(docs, show_progress=args.progress)
    print(f"{index_dir}: {report}; {len(index)} documents in the index")
    return 1 if report.rejected and not (report.added or report.updated or report.unchanged) else 0


def _cmd_query(args: argparse.Namespace) -> int:
    from .index import MemoryIndex

    index = MemoryIndex.load(args.index)
    retriever = index.as_retriever(similarity_top_k=args.k, doc_ids=args.doc_id or None)
    for rank, hit in enumerate(retriever.retrieve(args.question), 1):
        meta = hit.node.metadata
        sentence = meta["score_sentence"]
        print(f"[{rank}] {meta['doc_id']} / {meta['title']}  score {hit.score:.3f} "
              f"(chunk {meta['score_chunk']:.3f}, "
              f"sentence {'-' if sentence is None else f'{sentence:.3f}'}, "
              f"core {meta['score_core']:.3f}, "
              f"outline {meta['score_outline']:.3f}, lexical {meta['score_lexical']:.3f}, "
              f"neighbours {meta['score_neighbours']:.3f})")
        print("    " + " ".join(hit.node.get_content().split())[: args.width])
    return 0


def add_retrieval_commands(sub: argparse._SubParsersAction,
                           bench: argparse._SubParsersAction) -> None:
    """Add ``ingest`` and ``query`` to ``sub`` and ``retrieval`` to the ``bench`` group."""
    from .bench import DEFAULT_BUDGETS, SYSTEMS

    retrieval = bench.add_parser(
        "retrieval", help="compare MoM three-layer retrieval with LlamaIndex chunkers",
        description="Index each dataset with every system (same embedding), ask its "
        "questions, and report hit@B / recall@B at word budgets B, ingest time and query "
        "latency. Writes OUT (JSON), OUT.md (table) and OUT.png (plot).")
    retrieval.add_argument("--dataset", action="append", required=True, metavar="FILE",
                           help="SQuAD JSON, or JSONL of {input, instructions, outputs} "
                           "(repeatable)")
    retrieval.add_argument("--limit-docs", type=int, default=None, metavar="N",
                           help="use only the first N documents of each dataset")
    retrieval.add_argument("--systems", default=",".join(SYSTEMS),
                           help=f"comma-separated, from {','.join(SYSTEMS)} (default: all)")
    retrieval.add_argument("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)),
                           help="comma-separated word budgets (default %(default)s)")
    retrieval.add_argument("--scope", choices=("corpus", "document"), default="corpus",
                           help="corpus: search all documents; document: only the "
                           "question's own (default %(default)s)")
    retrieval.add_argument("--out", default="retrieval_bench.json", metavar="FILE.json",
                           help="figures JSON; .md and .png are written beside it")
    retrieval.set_defaults(func=_cmd_bench_retrieval)

    ingest = sub.add_parser(
        "ingest", help="read text files into a persistent MoM memory index",
        description="Read UTF-8 text files into memories and store their three layers "
        "(embedded Chroma under INDEX, or a Chroma server).")
    ingest.add_argument("files", nargs="+", help="UTF-8 text files (the file name is the id)")
    ingest.add_argument("--index", required=True, help="index folder (new, or an index)")
    ingest.add_argument("--chroma-host", default=None, help="use a Chroma server at this host")
    ingest.add_argument("--chroma-port", type=int, default=None, help="... and this port")
    ingest.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars (they go to stderr)")
    ingest.set_defaults(func=_cmd_ingest)

    query = sub.add_parser("query", help="ask a MoM memory index a question",
                           description="Three-layer retrieval over an index made by ingest.")
    query.add_argument("question")
    query.add_argument("--index", required=True, help="index folder made by ingest")
    query.add_argument("-k", type=int, default=4, help="chunks to show (default 4)")
    query.add_argument("--doc-id", action="append", default=None,
                       help="search only this document (repeatable)")
    query.add_argument("--width", type=int, default=300, help="characters shown per chunk")
    query.set_defaults(func=_cmd_query)
