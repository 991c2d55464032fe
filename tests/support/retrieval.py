"""Retrieval test doubles: a scripted memory reader and a bag-of-words embedding.

Both are legitimate fakes (like a scripted LLM): the reader cuts a document at blank
lines and takes the first line as the title, so tests know every span exactly; the
embedding hashes words into a vector, so rankings follow word overlap and are
predictable without loading MiniLM. The integration tests use the real models.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from mom_micro.memory import DocumentMemory, MemoryUnit, validate_document

STOP = {"the", "a", "an", "of", "and", "is", "in", "to", "what", "how", "does", "do", "are"}


class ParagraphReader:
    """Scripted MemoryExtractor: one unit per blank-line paragraph, title = first line."""

    def __init__(self) -> None:
        self.calls = 0

    def extract(self, text: str, doc_id: str | None = None) -> DocumentMemory:
        validate_document(text, doc_id)
        self.calls += 1
        units = []
        for match in re.finditer(r"\S(?:.*?\S)?(?=[ \t]*\n\s*\n|\s*\Z)", text, flags=re.S):
            block = match.group(0)
            first, _, rest = block.partition("\n")
            title = first.strip() if rest.strip() else " ".join(block.split()[:4])
            core = (rest or block).split(". ")[0].strip()
            units.append(MemoryUnit(title=title, core=core, start=match.start(), end=match.end()))
        return DocumentMemory(doc_id or "doc", units, text, extractor="paragraph")


class HashEmbedding(BaseEmbedding):
    """Deterministic bag-of-words embedding (hashed, L2-normalised, 256-d)."""

    dim: int = 256

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            if word in STOP:
                continue
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            vec[h % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)


PETS = """Cats
Cats purr when content. Cats sleep sixteen hours a day and groom their fur.

Dogs
Dogs bark at strangers. Dogs were domesticated from wolves thousands of years ago.

Birds
Parrots can imitate human speech. Many birds migrate south in winter."""

SPACE = """Planets
Mars is the red planet with iron oxide dust. Jupiter is a gas giant with a great red spot.

Rockets
Rockets burn propellant to produce thrust. Orbital launches need about 7.8 km per second.

Telescopes
Telescopes collect light with mirrors or lenses. The Hubble telescope orbits Earth."""


def squad_file(folder: Path) -> Path:
    """A tiny SQuAD file of PETS and SPACE with two answerable questions and one without."""
    data = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": PETS,
                        "document_id": 1,
                        "qas": [
                            {
                                "question": "Which animal was domesticated from wolves?",
                                "id": 1,
                                "answers": [
                                    {
                                        "text": "Dogs were domesticated from wolves",
                                        "answer_start": 0,
                                    }
                                ],
                            },
                            {
                                "question": "unanswerable",
                                "id": 2,
                                "answers": [],
                                "is_impossible": True,
                            },
                        ],
                    }
                ]
            },
            {
                "paragraphs": [
                    {
                        "context": SPACE,
                        "document_id": 2,
                        "qas": [
                            {
                                "question": "What speed do orbital launches need?",
                                "id": 3,
                                "answers": [
                                    {"text": "about 7.8 km per second.", "answer_start": 0}
                                ],
                            }
                        ],
                    }
                ]
            },
        ]
    }
    path = folder / "tiny.json"
    path.write_text(json.dumps(data))
    return path


def write_legacy_index(folder: Path, documents, reader, embed, version: int = 2) -> None:
    """An index folder as mom-micro 0.1 wrote it (format 1 or 2): a ``docstore.json`` of
    the memory nodes and their documents' hashes beside embedded Chroma collections
    ``mom_<layer>`` whose vector ids are the plain node ids (format 1: no sentence layer).
    Written with the same LlamaIndex classes 0.1 used, to test the migration."""
    import chromadb
    from llama_index.core.schema import MetadataMode
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from mom_micro.retrievers.nodes import memory_to_nodes
    from mom_micro.retrievers.probes import sentence_probes

    folder.mkdir(parents=True)
    client = chromadb.PersistentClient(path=str(folder / "chroma"))
    layers = (
        ("outline", "core", "chunk", "sentence") if version >= 2 else ("outline", "core", "chunk")
    )
    stores = {
        layer: ChromaVectorStore(
            chroma_collection=client.get_or_create_collection(
                f"mom_{layer}", metadata={"hnsw:space": "cosine"}
            )
        )
        for layer in layers
    }
    docstore = SimpleDocumentStore()
    for doc in documents:
        nodes = memory_to_nodes(reader.extract(doc.text, doc_id=doc.id_), doc)
        probes = sentence_probes(nodes) if version >= 2 else []
        for node in [*nodes, *probes]:
            node.embedding = embed.get_text_embedding(node.get_content(MetadataMode.EMBED))
            stores[node.metadata["layer"]].add([node])
        docstore.add_documents([n.model_copy(update={"embedding": None}) for n in nodes])
        docstore.set_document_hash(doc.id_, doc.hash)
    (folder / "docstore.json").write_text(json.dumps(docstore.to_dict()))
    marker = {
        "format": "mom-micro-memory-index",
        "version": version,
        "store": {"kind": "chroma-embedded", "collection_prefix": "mom"},
        "embed_model": None,
    }
    (folder / "mom_index.json").write_text(json.dumps(marker))
