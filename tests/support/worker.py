"""A writer or reader of a memory index in a process of its own, for the tests of
concurrent and interrupted writes: ``python -m tests.support.worker WHERE ACTION ...``.

It uses the test doubles (scripted reader, hashed embedding), so a process starts and
writes in seconds. WHERE is ``--index DIR``, ``--host H --port P --name N`` or
``--milvus URI --name N``. Actions:

- ``ingest PREFIX COUNT [--version V]``: documents ``PREFIX-0`` .. ``PREFIX-<COUNT-1>``;
- ``delete DOC_ID...``;
- ``sequence``: :data:`SEQUENCE`, the run the kill tests interrupt;
- ``watch SECONDS``: query and check the index again and again; exit 1 if a committed
  document ever misses a vector or a query fails.

It prints ``opened`` once the index is open and ``done`` when it finishes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from llama_index.core import Document

from mom_micro.retrievers import MemoryIndex
from tests.support.retrieval import HashEmbedding, ParagraphReader

WORDS = (
    "river harbor bridge lantern orchard meadow granite copper falcon willow ember "
    "tundra canyon glacier prairie marble cobalt saffron juniper basalt cedar "
    "thunder velvet quartz hollow summit delta lagoon"
).split()


def document(doc_id: str, version: int = 1, paragraphs: int = 6) -> Document:
    """A deterministic synthetic document: titled paragraphs of seeded words; another
    ``version`` changes every paragraph's last sentence."""
    rng = random.Random(doc_id)
    blocks = []
    for p in range(paragraphs):
        title = " ".join(rng.sample(WORDS, 2)).title()
        sentences = [" ".join(rng.sample(WORDS, 8)).capitalize() + "." for _ in range(3)]
        sentences.append(f"Version {version} notes {rng.choice(WORDS)} {p}.")
        blocks.append(title + "\n" + " ".join(sentences))
    return Document(text="\n\n".join(blocks), id_=doc_id)


#: The kill tests' run: add 12 documents, change 6 of them, delete 2.
SEQUENCE = (
    ("ingest", [document(f"doc-{i}") for i in range(12)]),
    ("ingest", [document(f"doc-{i}", version=2 if i % 2 == 0 else 1) for i in range(12)]),
    ("delete", ["doc-3", "doc-7"]),
)
QUERIES = ("river harbor bridge", "granite copper falcon", "version 2 notes", "cedar summit")


def open_index(args: argparse.Namespace) -> MemoryIndex:
    """The index at the worker's WHERE (created when missing)."""
    options = dict(reader=ParagraphReader(), embed_model=HashEmbedding())
    if args.milvus:
        return MemoryIndex.open(milvus_uri=args.milvus, index_name=args.name, **options)
    if args.host:
        return MemoryIndex.open(
            chroma_host=args.host, chroma_port=args.port, index_name=args.name, **options
        )
    return MemoryIndex.open(args.index, **options)


def run_sequence(index: MemoryIndex) -> None:
    """Run :data:`SEQUENCE` (deleting a document that is already gone is skipped)."""
    for action, items in SEQUENCE:
        if action == "ingest":
            index.add_documents(items)
        else:
            for doc_id in items:
                if index.document(doc_id) is not None:
                    index.delete(doc_id)


def watch(index: MemoryIndex, seconds: float) -> int:
    """Query and check until ``seconds`` pass; 1 on the first damage seen."""
    deadline = time.monotonic() + seconds
    retriever = index.as_retriever(similarity_top_k=3)
    rounds = 0
    while time.monotonic() < deadline:
        for question in QUERIES:
            for hit in retriever.retrieve(question):
                if index.document(hit.node.metadata["doc_id"]) is None:
                    print(f"a hit of an uncommitted document: {hit.node.node_id}")
                    return 1
        report = index.check()
        if not report.ok:
            print(f"damaged while watching: {report}")
            return 1
        rounds += 1
    print(f"watched {rounds} rounds")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The worker's command line (module docstring)."""
    parser = argparse.ArgumentParser(prog="worker")
    parser.add_argument("--index")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--milvus")
    parser.add_argument("--name", default="default")
    parser.add_argument("action", choices=("ingest", "delete", "sequence", "watch"))
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args(argv)
    index = open_index(args)
    print("opened", flush=True)
    code = 0
    if args.action == "ingest":
        prefix, count = args.rest[0], int(args.rest[1])
        report = index.add_documents(
            [document(f"{prefix}-{i}", args.version) for i in range(count)]
        )
        print(report)
    elif args.action == "delete":
        for doc_id in args.rest:
            index.delete(doc_id)
    elif args.action == "sequence":
        run_sequence(index)
    else:
        code = watch(index, float(args.rest[0]))
    print("done", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
