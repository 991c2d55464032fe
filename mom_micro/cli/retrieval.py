"""``mom-micro ingest | query | delete | repair | indexes``: a memory index on the command line.

An index is a folder (``--index DIR``, embedded Chroma), a name on a Chroma server
(``--chroma-host H --chroma-port P [--index-name NAME]``) or a name in Milvus
(``--milvus-uri URI [--index-name NAME]``: a Milvus Lite file ``*.db`` or a server). Each
command closes its index when it is done (a Milvus Lite file is then free for the next
process). A file's document id is its
file name (``--id`` chooses another for one file); a file of the same name from another
folder is refused rather than replacing the stored one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .options import (
    add_index_location,
    add_progress,
    add_server_location,
    count,
    describe_location,
    index_location,
    positive_float,
    server_location,
)

__all__ = ["register"]


def _load(args: argparse.Namespace) -> Any:
    from mom_micro.retrievers import MemoryIndex

    options = index_location(args)
    return MemoryIndex.load(options.pop("persist_dir", None), **options)


class _Files:
    """The files to ingest as documents, each read when the ingest reaches it (so that
    one group's texts are in memory at a time); those that cannot be read (empty,
    binary, missing) go to ``unreadable`` and the rest goes in."""

    def __init__(self, paths: list[str], doc_id: str | None) -> None:
        self.paths, self.doc_id = paths, doc_id
        self.unreadable: list[Any] = []

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[Any]:
        from llama_index.core import Document

        from mom_micro.memory import read_document
        from mom_micro.retrievers import RejectedDocument

        for path in self.paths:
            doc_id = self.doc_id or Path(path).name
            try:
                text = read_document(path)
            except (ValueError, OSError) as exc:
                self.unreadable.append(RejectedDocument(doc_id, str(exc)))
                continue
            source = str(Path(path).resolve())
            yield Document(text=text, id_=doc_id, metadata={"file_path": source})


def _ingest(args: argparse.Namespace) -> int:
    from mom_micro.retrievers import MemoryIndex

    from .memory import index_reader

    if args.id is not None and len(args.files) != 1:
        raise ValueError("--id names one document: give exactly one file with it")
    options = index_location(args)
    if args.keep_markup:
        options["keep_markup"] = True
    with MemoryIndex.open(
        options.pop("persist_dir", None), reader=index_reader(args.reader), **options
    ) as index:
        return _ingest_into(index, _Files(args.files, args.id), args)


def _ingest_into(index: Any, files: _Files, args: argparse.Namespace) -> int:
    ray = None
    if args.ray:
        from mom_micro.retrievers.ray_ingest import RayIngest

        ray = RayIngest(workers=args.ray_workers, cpus_per_worker=args.ray_cpus)
    report = index.add_documents(
        files,
        show_progress=args.progress,
        rebuild=args.rebuild,
        group_size=args.group_size,
        ray=ray,
    )
    report.rejected = files.unreadable + report.rejected
    print(
        f"{describe_location(index_location(args))}: {report}; {len(index)} documents in the index"
    )
    return 1 if report.rejected else 0


def _query(args: argparse.Namespace) -> int:
    with _load(args) as index:
        return _query_index(index, args)


def _query_index(index: Any, args: argparse.Namespace) -> int:
    if args.doc_id:
        unknown = [d for d in args.doc_id if index.document(d) is None]
        if unknown:
            raise ValueError(
                f"no document {unknown[0]!r} in the index ({len(index)} "
                "documents; `mom-micro query --help`)"
            )
    retriever = index.as_retriever(
        similarity_top_k=args.similarity_top_k,
        doc_ids=args.doc_id or None,
        max_words=args.max_words,
        assemble=args.assemble,
    )
    hits = retriever.retrieve(args.question)
    if not hits:
        print(f"no chunk found ({len(index)} documents in the index)")
    for rank, hit in enumerate(hits, 1):
        meta = hit.node.metadata
        sentence = meta["score_sentence"]
        if "units" in meta:  # a passage of a budgeted context
            trimmed = ", best sentences" if meta["trimmed"] else ""
            units = meta["units"]
            span = f"chunk {units[0]}" if len(units) == 1 else f"chunks {units[0]}-{units[-1]}"
            print(f"[{rank}] {meta['doc_id']}: {span}, {meta['words']} words{trimmed}")
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


def _delete(args: argparse.Namespace) -> int:
    with _load(args) as index:
        for doc_id in args.doc_ids:
            index.delete(doc_id)
            print(f"deleted {doc_id}")
        print(f"{describe_location(index_location(args))}: {len(index)} documents in the index")
    return 0


def _repair(args: argparse.Namespace) -> int:
    from mom_micro.retrievers import MemoryIndex

    options = index_location(args)
    with MemoryIndex.load(options.pop("persist_dir", None), check=False, **options) as index:
        return _repair_index(index, args)


def _repair_index(index: Any, args: argparse.Namespace) -> int:
    report = index.repair(drop=args.drop)
    print(f"{describe_location(index_location(args))}: {report}")
    if report.dropped:
        print("dropped (ingest them again): " + ", ".join(sorted(report.dropped)))
    now = index.check()
    print(f"now: {now}")
    if report.kept:
        vectors = sum(report.kept.values())
        print(
            f"not repaired: {', '.join(sorted(report.kept))}; `mom-micro repair --drop` with "
            f"the same location deletes {vectors} vectors of {len(report.kept)} document(s) "
            "so that they can be ingested again",
            file=sys.stderr,
        )
        return 2
    return 0 if now.ok else 2


def _indexes(args: argparse.Namespace) -> int:
    from mom_micro.retrievers import MemoryIndex, connect_chroma_server, index_names
    from mom_micro.retrievers.storage import index_location as location_of

    server = server_location(args)
    if server is None:
        raise ValueError("give --chroma-host and --chroma-port, or --milvus-uri")
    if "milvus_uri" in server:
        location = location_of(milvus_uri=server["milvus_uri"])
        names = location.index_names()
        location.close()
    else:
        names = index_names(connect_chroma_server(server["chroma_host"], server["chroma_port"]))
    if not names:
        print(f"no memory index in {describe_location({**server, 'index_name': ''})}")
    for name in names:
        with MemoryIndex.load(**server, index_name=name, check=False) as index:
            print(f"{name}\t{len(index)} documents")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ingest``, ``query``, ``delete``, ``repair`` and ``indexes`` to the
    ``mom-micro`` sub-commands ``sub``."""
    ingest = sub.add_parser(
        "ingest",
        help="read text files into a MoM memory index (a folder or a Chroma server)",
        description="Read UTF-8 text files into memories and store their layers. A file's "
        "id is its name; unchanged files are skipped; an unreadable file is reported and "
        "the rest goes in (exit status 1 when any file was rejected).",
    )
    ingest.add_argument("files", nargs="+", help="UTF-8 text files (the file name is the id)")
    add_index_location(ingest)
    ingest.add_argument("--id", default=None, help="the document id of the one file given")
    ingest.add_argument(
        "--rebuild", action="store_true", help="read and embed every file again, changed or not"
    )
    ingest.add_argument(
        "--reader",
        default=None,
        help="memory reader: extractive (default), a reader folder made by train-reader, "
        "or a guide model (smollm2, a model folder, module:Class)",
    )
    ingest.add_argument(
        "--keep-markup",
        action="store_true",
        help="read HTML tags as words (a new index only; by default tags read as white "
        "space, and an index keeps the choice it was created with)",
    )
    ingest.add_argument(
        "--group-size",
        type=count(1),
        default=16,
        help="documents read, embedded and stored together (default 16; with --ray, "
        "cut smaller where needed so that each worker gets at least 4 groups)",
    )
    ingest.add_argument(
        "--ray",
        action="store_true",
        help="read and embed on Ray workers (the cluster at RAY_ADDRESS, else a local "
        "one), storing here through the index's one journaled writer",
    )
    ingest.add_argument(
        "--ray-workers", type=count(1), default=2, help="Ray workers (with --ray; default 2)"
    )
    ingest.add_argument(
        "--ray-cpus",
        type=positive_float,
        default=1.0,
        help="CPUs per Ray worker (with --ray; default 1)",
    )
    add_progress(ingest)
    ingest.set_defaults(func=_ingest)

    query = sub.add_parser(
        "query",
        help="ask a MoM memory index a question",
        description="Three-layer retrieval over an index made by ingest.",
    )
    query.add_argument("question")
    add_index_location(query)
    query.add_argument(
        "-k",
        "--similarity-top-k",
        dest="similarity_top_k",
        type=count(1),
        default=4,
        help="chunks to show (default 4)",
    )
    query.add_argument(
        "--doc-id", action="append", default=None, help="search only this document (repeatable)"
    )
    query.add_argument("--width", type=count(1), default=300, help="characters shown per chunk")
    query.add_argument(
        "--max-words",
        type=count(1),
        default=None,
        metavar="N",
        help="a context of at most N words: the ranked chunks, the last one cut at N "
        "(-k is then unused)",
    )
    query.add_argument(
        "--assemble",
        action="store_true",
        help="with --max-words: passages of neighbouring chunks that both match, and the "
        "best sentences of a chunk that does not fit",
    )
    query.set_defaults(func=_query)

    delete = sub.add_parser(
        "delete",
        help="remove documents from a MoM memory index",
        description="Remove documents (every layer) by id.",
    )
    delete.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="document ids")
    add_index_location(delete)
    delete.set_defaults(func=_delete)

    repair = sub.add_parser(
        "repair",
        help="finish interrupted writes, rebuild lost records; --drop what cannot be repaired",
        description="Recover interrupted writes, rebuild the records of documents whose "
        "vectors are there from those vectors, and delete superseded versions. Nothing "
        "else is deleted unless --drop is given: then documents that miss vectors or whose "
        "record is unreadable are dropped (ingest them again afterwards).",
    )
    repair.add_argument(
        "--drop",
        action="store_true",
        help="also drop the documents that cannot be repaired (it says how many vectors go)",
    )
    add_index_location(repair)
    repair.set_defaults(func=_repair)

    indexes = sub.add_parser(
        "indexes",
        help="list the memory indexes on a Chroma server or in Milvus",
        description="The names of the memory indexes on a Chroma server "
        "(--chroma-host/--chroma-port) or in Milvus (--milvus-uri).",
    )
    add_server_location(indexes)
    indexes.set_defaults(func=_indexes)
