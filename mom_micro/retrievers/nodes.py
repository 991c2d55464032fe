"""Documents -> memories -> the three MoM layers as LlamaIndex nodes.

A memory reader (any :class:`~mom_micro.memory.MemoryExtractor`; the offline
``ExtractiveExtractor`` by default) reads each document into a
:class:`~mom_micro.memory.DocumentMemory` ``{O, C, A}``; :func:`memory_to_nodes` turns it
into

- one **outline** node per document (the numbered outline titles),
- one **core** node per memory unit (that unit's core content),
- one **chunk** node per memory unit, whose text is the exact source span
  ``source[start:end]`` while the text it is *embedded* with is ``title + "\\n" + chunk``
  (as in the public MoM code). The source the reader reads is the document with its
  HTML tags blanked out (:func:`~mom_micro.text.blank_markup`, same offsets) unless
  ``keep_markup``.

Relationships: SOURCE -> the document on every node; outline --CHILD--> cores;
core --PARENT--> outline and --CHILD--> its chunk; chunk --PARENT--> its core;
PREV/NEXT only between consecutive chunks of one document (LlamaIndex's automatic
linking would chain nodes across layers, so it is not used).

:class:`MemoryNodeBuilder` runs the reader over a batch of documents (concurrently for
the async path: the reader's ``aextract_many`` when it has one, else threads) and keeps
the memories and the rejected documents; the LlamaIndex node parser (:class:`~mom_micro.plugins.llama_index.MoMNodeParser`) and the
:class:`~mom_micro.retrievers.MemoryIndex` both use it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.schema import BaseNode, Document, MetadataMode, NodeRelationship, TextNode
from llama_index.core.utils import get_tqdm_iterable

from mom_micro.memory import (
    DocumentMemory,
    ExtractiveExtractor,
    InvalidDocumentError,
    MemoryExtractor,
)
from mom_micro.text import blank_markup

__all__ = [
    "INDEX_LAYERS",
    "LAYERS",
    "LAYER_CHUNK",
    "LAYER_CORE",
    "LAYER_OUTLINE",
    "LAYER_SENTENCE",
    "RETRIEVAL_TARGET_WORDS",
    "BuiltNodes",
    "MemoryNodeBuilder",
    "RejectedDocument",
    "default_reader",
    "lexical_text",
    "memory_to_nodes",
    "node_id_for",
    "parse_node_id",
    "split_versioned_id",
    "versioned_id",
]

logger = logging.getLogger(__name__)

LAYER_OUTLINE = "outline"
LAYER_CORE = "core"
LAYER_CHUNK = "chunk"
#: The three layers, broadest first.
LAYERS = (LAYER_OUTLINE, LAYER_CORE, LAYER_CHUNK)
#: The vector layer of the chunks' sentence probes (:mod:`mom_micro.retrievers.probes`).
LAYER_SENTENCE = "sentence"
#: The vector layers of a :class:`~mom_micro.retrievers.MemoryIndex`: the memory's three
#: layers plus the chunks' sentence probes.
INDEX_LAYERS = (*LAYERS, LAYER_SENTENCE)

#: Metadata keys the parser writes; only ``title`` is shown to the embedding model.
_OWN_KEYS = ("layer", "doc_id", "unit", "title", "n_units")


@dataclass(frozen=True)
class RejectedDocument:
    """A document the memory reader refused; the rest of its batch was still read."""

    doc_id: str
    reason: str


#: Chunk granularity of the default reader for retrieval: smaller spans than the
#: reader's own default (100 words) match questions better (docs/benchmarks.md).
RETRIEVAL_TARGET_WORDS = 60


def default_reader(**kwargs: Any) -> MemoryExtractor:
    """The offline reader: :class:`mom_micro.memory.ExtractiveExtractor` (no LLM), at the
    retrieval granularity :data:`RETRIEVAL_TARGET_WORDS` unless ``target_words`` is given."""
    kwargs.setdefault("target_words", RETRIEVAL_TARGET_WORDS)
    return ExtractiveExtractor(**kwargs)


def node_id_for(doc_id: str, layer: str, unit: int | None = None) -> str:
    """The deterministic node id of a layer node: re-reading a document reuses its ids.

    Example:
        >>> node_id_for("paper-1", "chunk", 3)
        'paper-1#chunk-3'
        >>> node_id_for("paper-1", "outline")
        'paper-1#outline'
    """
    if layer == LAYER_OUTLINE:
        return f"{doc_id}#{LAYER_OUTLINE}"
    if unit is None:
        raise ValueError(f"layer {layer!r} needs a unit index")
    return f"{doc_id}#{layer}-{unit}"


def lexical_text(node: BaseNode) -> str:
    """What BM25 counts the words of in a chunk: its title and text, as it is embedded.

    Example:
        >>> print(lexical_text(TextNode(text="Masks work.", metadata={"title": "Masks"},
        ...                             excluded_embed_metadata_keys=[])))
        title: Masks
        <BLANKLINE>
        Masks work.
    """
    return node.get_content(metadata_mode=MetadataMode.EMBED)


def versioned_id(node_id: str, op: str) -> str:
    """The id a node's vector is stored under for the document version ``op``
    (:mod:`mom_micro.retrievers.storage.catalog`): a write never overwrites the version readers
    see.

    Example:
        >>> versioned_id("paper-1#chunk-3", "a1b2c3")
        'paper-1#chunk-3@a1b2c3'
    """
    return f"{node_id}@{op}"


def split_versioned_id(vector_id: str) -> tuple[str, str]:
    """``(node_id, op)`` of a stored vector id; an id without a version (an index written
    before versions) has the op ``""``.

    Example:
        >>> split_versioned_id("a@b.txt#chunk-3@a1b2c3")
        ('a@b.txt#chunk-3', 'a1b2c3')
        >>> split_versioned_id("paper-1#chunk-3")
        ('paper-1#chunk-3', '')
    """
    node_id, sep, op = vector_id.rpartition("@")
    if not sep or "#" in op:
        return vector_id, ""
    return node_id, op


_NODE_ID = re.compile(
    r"(?s)(?P<doc>.+)#(?:(?P<outline>outline)|(?P<layer>core|chunk)-(?P<unit>\d+)"
    r"(?P<probe>~s\d+)?)"
)


def parse_node_id(node_id: str) -> tuple[str, str, int] | None:
    """``(doc_id, layer, unit)`` of a layer node's or sentence probe's id (the outline's
    unit is -1), or None for an id that is not one of the index's.

    Example:
        >>> parse_node_id("report#2.txt#chunk-3~s1")
        ('report#2.txt', 'sentence', 3)
        >>> parse_node_id("paper#outline"), parse_node_id("paper#core-0")
        (('paper', 'outline', -1), ('paper', 'core', 0))
    """
    match = _NODE_ID.fullmatch(node_id)
    if match is None:
        return None
    if match["outline"]:
        return match["doc"], LAYER_OUTLINE, -1
    if match["probe"]:
        if match["layer"] != LAYER_CHUNK:
            return None
        return match["doc"], LAYER_SENTENCE, int(match["unit"])
    return match["doc"], match["layer"], int(match["unit"])


def _layer_node(
    node_id: str,
    text: str,
    layer: str,
    doc_id: str,
    unit: int,
    title: str,
    extra_metadata: dict[str, Any],
    embed_title: bool,
) -> TextNode:
    metadata = {**extra_metadata, "layer": layer, "doc_id": doc_id, "unit": unit, "title": title}
    hidden = [key for key in metadata if not (embed_title and key == "title")]
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=hidden,
        excluded_llm_metadata_keys=[key for key in metadata if key != "title"],
        # embedded as "title\ntext"; with no visible metadata the template yields "\ntext",
        # so the layers without a title use a bare template.
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}" if embed_title else "{content}",
    )


def memory_to_nodes(
    memory: DocumentMemory,
    source: BaseNode | None = None,
    extra_metadata: dict[str, Any] | None = None,
    embed_core_title: bool = True,
    embed_chunk_title: bool = True,
) -> list[TextNode]:
    """The three layers of one memory as nodes: outline, then cores, then chunks.

    Example:
        >>> from mom_micro.memory import DocumentMemory, MemoryUnit
        >>> text = "Cats purr. Cats nap.\\n\\nDogs bark loudly."
        >>> memory = DocumentMemory("pets", [MemoryUnit("Cats", "Cats purr and nap.", 0, 20),
        ...                                  MemoryUnit("Dogs", "Dogs bark.", 22, 39)], text)
        >>> nodes = memory_to_nodes(memory)
        >>> [n.metadata["layer"] for n in nodes]
        ['outline', 'core', 'core', 'chunk', 'chunk']
        >>> nodes[-1].text, nodes[-1].get_content(metadata_mode=MetadataMode.EMBED)
        ('Dogs bark loudly.', 'Dogs\\nDogs bark loudly.')
    """
    extra = {k: v for k, v in (extra_metadata or {}).items() if k not in _OWN_KEYS}
    doc_id = memory.doc_id
    n_units = len(memory.units)
    outline_text = "\n".join(f"{i + 1}. {title}" for i, title in enumerate(memory.outline))
    outline = _layer_node(
        node_id_for(doc_id, LAYER_OUTLINE),
        outline_text,
        LAYER_OUTLINE,
        doc_id,
        -1,
        memory.outline[0] if memory.outline else "",
        {**extra, "n_units": n_units},
        False,
    )
    cores: list[TextNode] = []
    chunks: list[TextNode] = []
    for i, unit in enumerate(memory.units):
        core = _layer_node(
            node_id_for(doc_id, LAYER_CORE, i),
            unit.core or unit.title,
            LAYER_CORE,
            doc_id,
            i,
            unit.title,
            extra,
            embed_core_title,
        )
        chunk = _layer_node(
            node_id_for(doc_id, LAYER_CHUNK, i),
            unit.text(memory.source),
            LAYER_CHUNK,
            doc_id,
            i,
            unit.title,
            extra,
            embed_chunk_title,
        )
        chunk.start_char_idx, chunk.end_char_idx = unit.start, unit.end
        core.relationships[NodeRelationship.PARENT] = outline.as_related_node_info()
        core.relationships[NodeRelationship.CHILD] = [chunk.as_related_node_info()]
        chunk.relationships[NodeRelationship.PARENT] = core.as_related_node_info()
        cores.append(core)
        chunks.append(chunk)
    outline.relationships[NodeRelationship.CHILD] = [c.as_related_node_info() for c in cores]
    for previous, following in zip(chunks, chunks[1:]):
        previous.relationships[NodeRelationship.NEXT] = following.as_related_node_info()
        following.relationships[NodeRelationship.PREVIOUS] = previous.as_related_node_info()
    nodes = [outline, *cores, *chunks]
    if source is not None:
        info = source.as_related_node_info()
        for node in nodes:
            node.relationships[NodeRelationship.SOURCE] = info
    return nodes


@dataclass
class BuiltNodes:
    """What :class:`MemoryNodeBuilder` made of a batch: the layer nodes (in document
    order), the memories read (by document id) and the documents the reader refused."""

    nodes: list[TextNode] = field(default_factory=list)
    memories: dict[str, DocumentMemory] = field(default_factory=dict)
    rejected: list[RejectedDocument] = field(default_factory=list)


def _id_and_text(node: BaseNode, markup: bool) -> tuple[str, str]:
    """The document id of ``node`` and the text the reader reads (its tags blanked out
    unless ``markup``)."""
    doc_id = node.id_ if isinstance(node, Document) else node.ref_doc_id
    text = node.get_content(metadata_mode=MetadataMode.NONE)
    return doc_id or node.node_id, text if markup else blank_markup(text)


def _outcome(
    doc_id: str, result: DocumentMemory | BaseException
) -> DocumentMemory | RejectedDocument:
    """A read memory under its document's id, or the refusal of a document the reader
    rejected (:class:`InvalidDocumentError`, ``ValueError``); other errors propagate."""
    if isinstance(result, (InvalidDocumentError, ValueError)):
        logger.warning("document %r rejected by the memory reader: %s", doc_id, result)
        return RejectedDocument(doc_id, str(result))
    if isinstance(result, BaseException):
        raise result
    if result.doc_id != doc_id:  # a reader that names documents itself
        result = DocumentMemory.from_dict({**result.to_dict(), "doc_id": doc_id})
    return result


@dataclass
class MemoryNodeBuilder:
    """Read documents with a memory reader and build their layer nodes.

    Example:
        >>> from llama_index.core import Document
        >>> builder = MemoryNodeBuilder(reader=default_reader())          # doctest: +SKIP
        >>> built = builder.build([Document(text=paper, id_="paper-1")])   # doctest: +SKIP
        >>> built.memories["paper-1"].outline, len(built.nodes)           # doctest: +SKIP

    Args:
        reader: the memory reader (None: :func:`default_reader`, created on first use).
        embed_core_title: embed each core-content node as ``title + "\\n" + core``.
        embed_chunk_title: embed each chunk node as ``title + "\\n" + chunk``.
        include_document_metadata: copy the document's metadata onto its nodes.
        max_workers: documents read at once by :meth:`abuild` (threads), for a reader
            without its own ``aextract_many``.
        keep_markup: let the reader read HTML tags as words (False, the default: they
            are read as the white space they render as, :func:`~mom_micro.text.blank_markup`;
            the memory's source is then the page with its tags blanked, whose offsets are
            the original's).
    """

    reader: MemoryExtractor | None = None
    embed_core_title: bool = True
    embed_chunk_title: bool = True
    include_document_metadata: bool = True
    max_workers: int = 1
    keep_markup: bool = False

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {self.max_workers}")

    def get_reader(self) -> MemoryExtractor:
        """The reader (the default one is created on first use)."""
        if self.reader is None:
            self.reader = default_reader()
        return self.reader

    def read(self, node: BaseNode) -> DocumentMemory | RejectedDocument:
        """The memory of one document (or source node), or why the reader refused it."""
        doc_id, text = _id_and_text(node, self.keep_markup)
        try:
            return _outcome(doc_id, self.get_reader().extract(text, doc_id=doc_id))
        except (InvalidDocumentError, ValueError) as exc:
            return _outcome(doc_id, exc)

    def _collect(
        self, sources: Sequence[BaseNode], results: Sequence[DocumentMemory | RejectedDocument]
    ) -> BuiltNodes:
        built = BuiltNodes()
        for source, result in zip(sources, results, strict=True):
            if isinstance(result, RejectedDocument):
                built.rejected.append(result)
                continue
            built.memories[result.doc_id] = result
            extra = dict(source.metadata) if self.include_document_metadata else {}
            built.nodes.extend(
                memory_to_nodes(
                    result, source, extra, self.embed_core_title, self.embed_chunk_title
                )
            )
        return built

    def build(self, sources: Sequence[BaseNode], show_progress: bool = False) -> BuiltNodes:
        """Read every document of ``sources`` in turn and build its nodes."""
        reading = get_tqdm_iterable(sources, show_progress, "Reading memories")
        return self._collect(sources, [self.read(node) for node in reading])

    async def abuild(self, sources: Sequence[BaseNode], show_progress: bool = False) -> BuiltNodes:
        """:meth:`build` with several documents read at once: by the reader's own
        ``aextract_many`` when it has one (an LLM reader runs its model calls
        concurrently), else up to ``max_workers`` documents in threads."""
        reader = self.get_reader()
        batch = getattr(reader, "aextract_many", None)
        if callable(batch):
            read = [_id_and_text(node, self.keep_markup) for node in sources]
            ids, texts = zip(*read) if read else ((), ())
            results = await batch(
                list(texts), list(ids), return_exceptions=True, show_progress=show_progress
            )
            return self._collect(sources, [_outcome(d, r) for d, r in zip(ids, results)])
        gate = asyncio.Semaphore(self.max_workers)

        async def read_one(node: BaseNode) -> DocumentMemory | RejectedDocument:
            async with gate:
                return await asyncio.to_thread(self.read, node)

        outcomes = await asyncio.gather(*(read_one(node) for node in sources))
        return self._collect(sources, list(outcomes))
