"""``mom-micro ingest`` and ``mom-micro query``: a persistent memory index on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def _ingest(args: argparse.Namespace) -> int:
    from llama_index.core import Document

    from mom_micro.memory import read_document
    from mom_micro.retrievers import MemoryIndex

    from .memory import index_reader

    docs = [Document(text=read_document(path), id_=Path(path).name) for path in args.files]
    index_dir = Path(args.index)
    index = MemoryIndex.open(
        index_dir,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        reader=index_reader(args.reader),
    )
    report = index.add_documents(docs, show_progress=args.progress)
    print(f"{index_dir}: {report}; {len(index)} documents in the index")
    return 1 if report.rejected and not (report.added or report.updated or report.unchanged) else 0


def _query(args: argparse.Namespace) -> int:
    from mom_micro.retrievers import MemoryIndex

    index = MemoryIndex.load(args.index)
    retriever = index.as_retriever(similarity_top_k=args.k, doc_ids=args.doc_id or None)
    for rank, hit in enumerate(retriever.retrieve(args.question), 1):
        meta = hit.node.metadata
        sentence = meta["score_sentence"]
        print(
            f"[{rank}] {meta['doc_id']} / {meta['title']}  score {hit.score:.3f} "
            f"(chunk {meta['score_chunk']:.3f}, "
            f"sentence {'-' if sentence is None else f'{sentence:.3f}'}, "
            f"core {meta['score_core']:.3f}, "
            f"outline {meta['score_outline']:.3f}, lexical {meta['score_lexical']:.3f}, "
            f"neighbours {meta['score_neighbours']:.3f})"
        )
        print("    " + " ".join(hit.node.get_content().split())[: args.width])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ingest`` and ``query`` to the ``mom-micro`` sub-commands ``sub``."""
    ingest = sub.add_parser(
        "ingest",
        help="read text files into a persistent MoM memory index",
        description="Read UTF-8 text files into memories and store their three layers "
        "(embedded Chroma under INDEX, or a Chroma server).",
    )
    ingest.add_argument("files", nargs="+", help="UTF-8 text files (the file name is the id)")
    ingest.add_argument("--index", required=True, help="index folder (new, or an index)")
    ingest.add_argument("--chroma-host", default=None, help="use a Chroma server at this host")
    ingest.add_argument("--chroma-port", type=int, default=None, help="... and this port")
    ingest.add_argument(
        "--reader",
        default=None,
        help="memory reader: extractive (default), a reader folder made by train-reader, "
        "or a guide model (smollm2, a model folder, module:Class)",
    )
    ingest.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bars (they go to stderr)",
    )
    ingest.set_defaults(func=_ingest)

    query = sub.add_parser(
        "query",
        help="ask a MoM memory index a question",
        description="Three-layer retrieval over an index made by ingest.",
    )
    query.add_argument("question")
    query.add_argument("--index", required=True, help="index folder made by ingest")
    query.add_argument("-k", type=int, default=4, help="chunks to show (default 4)")
    query.add_argument(
        "--doc-id", action="append", default=None, help="search only this document (repeatable)"
    )
    query.add_argument("--width", type=int, default=300, help="characters shown per chunk")
    query.set_defaults(func=_query)
