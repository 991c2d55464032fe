"""``MoMNodeParser``: LlamaIndex documents -> the three MoM memory layers as nodes.

A memory reader (any :class:`~mom_micro.memory.MemoryExtractor`; the offline
``ExtractiveExtractor`` by default) reads each document into a
:class:`~mom_micro.memory.DocumentMemory` ``{O, C, A}``; the parser turns it into

- one **outline** node per document (the numbered outline titles),
- one **core** node per memory unit (that unit's core content),
- one **chunk** node per memory unit, whose text is the exact source span
  ``source[start:end]`` while the text it is *embedded* with is ``title + "\\n" + chunk``
  (as in the public MoM code).

Relationships: SOURCE -> the document on every node; outline --CHILD--> cores;
core --PARENT--> outline and --CHILD--> its chunk; chunk --PARENT--> its core;
PREV/NEXT only between consecutive chunks of one document (LlamaIndex's automatic
linking would chain nodes across layers, so it is switched off).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.node_parser.interface import NodeParser
from llama_index.core.schema import (
    BaseNode,
    Document,
    MetadataMode,
    NodeRelationship,
    TextNode,
)
from llama_index.core.utils import get_tqdm_iterable

from mom_micro.memory import DocumentMemory, InvalidDocumentError, MemoryExtractor

__all__ = [
    "RETRIEVAL_TARGET_WORDS",
    "LAYER_CHUNK",
    "LAYER_CORE",
    "LAYER_OUTLINE",
    "LAYERS",
    "MoMNodeParser",
    "RejectedDocument",
    "default_reader",
    "memory_to_nodes",
    "node_id_for",
]

logger = logging.getLogger(__name__)

LAYER_OUTLINE = "outline"
LAYER_CORE = "core"
LAYER_CHUNK = "chunk"
#: The three layers, broadest first.
LAYERS = (LAYER_OUTLINE, LAYER_CORE, LAYER_CHUNK)

#: Metadata keys the parser writes; only ``title`` is shown to the embedding model.
_OWN_KEYS = ("layer", "doc_id", "unit", "title", "n_units")


@dataclass(frozen=True)
class RejectedDocument:
    """A document the memory reader refused; the rest of its batch was still parsed."""

    doc_id: str
    reason: str


#: Chunk granularity of the default reader for retrieval. Measured on COVID-QA papers
#: 26-35 (59 questions, corpus scope, MiniLM): target_words=60 gave chunk-only hit@400
#: .746 and hit@100 .525, against .678 / .356 at the reader's own default of 100 words
#: (fixed128 on the same papers: .729 / .458). Smaller spans match questions better.
RETRIEVAL_TARGET_WORDS = 60


def default_reader(**kwargs: Any) -> MemoryExtractor:
    """The offline reader: :class:`mom_micro.memory.ExtractiveExtractor` (no LLM), at the
    retrieval granularity :data:`RETRIEVAL_TARGET_WORDS` unless ``target_words`` is given."""
    kwargs.setdefault("target_words", RETRIEVAL_TARGET_WORDS)
    try:
        from mom_micro.memory import ExtractiveExtractor  # type: ignore[attr-defined]
    except ImportError as exc:  # pragma: no cover - depends on the memory core's progress
        raise RuntimeError(
            "mom_micro.memory.ExtractiveExtractor is not available in this install; "
            "pass reader=<a MemoryExtractor> to MoMNodeParser"
        ) from exc
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
        node_id_for(doc_id, LAYER_OUTLINE), outline_text, LAYER_OUTLINE, doc_id, -1,
        memory.outline[0] if memory.outline else "", {**extra, "n_units": n_units}, False,
    )
    cores: list[TextNode] = []
    chunks: list[TextNode] = []
    for i, unit in enumerate(memory.units):
        core = _layer_node(
            node_id_for(doc_id, LAYER_CORE, i), unit.core or unit.title, LAYER_CORE, doc_id, i,
            unit.title, extra, embed_core_title,
        )
        chunk = _layer_node(
            node_id_for(doc_id, LAYER_CHUNK, i), unit.text(memory.source), LAYER_CHUNK,
            doc_id, i, unit.title, extra, embed_chunk_title,
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


class MoMNodeParser(NodeParser):
    """Read documents into MoM memories and emit their outline, core and chunk nodes.

    Setup:
        .. code-block:: python

            from mom_micro.plugins.llama_index import MoMNodeParser

            parser = MoMNodeParser.from_defaults()            # offline extractive reader
            parser = MoMNodeParser.from_defaults(reader=my_llm_extractor)

    Example:
        .. code-block:: python

            from llama_index.core import Document
            from llama_index.core.ingestion import IngestionPipeline
            from llama_index.core.storage.docstore import SimpleDocumentStore

            pipeline = IngestionPipeline(transformations=[MoMNodeParser.from_defaults()],
                                         docstore=SimpleDocumentStore())
            nodes = pipeline.run(documents=[Document(text=paper, id_="paper-1")])
            # re-running with the unchanged document returns no nodes

    Key params:
        reader: the :class:`~mom_micro.memory.MemoryExtractor` (extractive by default;
            an LLM extractor, or one sampling N paths, plugs in the same way).
        embed_core_title: embed a core-content node as ``title + "\\n" + core``.
        include_document_metadata: copy the document's own metadata onto every node.

    A document the reader rejects (empty, binary, ...) is skipped with a warning and
    listed in :attr:`rejected`; the rest of the batch is parsed.
    """

    reader: Any = Field(
        default=None,
        description="The MemoryExtractor that reads a document into a DocumentMemory "
        "(None: the offline ExtractiveExtractor, created on first use).",
        exclude=True,
    )
    embed_core_title: bool = Field(
        default=True,
        description="Embed each core-content node as 'title\\ncore' (True) or the core alone.",
    )
    embed_chunk_title: bool = Field(
        default=True,
        description="Embed each chunk node as 'title\\nchunk' (True, as MoM does) or the "
        "chunk alone. The node's text is the exact source span either way.",
    )
    include_document_metadata: bool = Field(
        default=True,
        description="Copy the source document's metadata onto every node it yields.",
    )
    max_workers: int = Field(
        default=1, ge=1, description="Documents read concurrently by the async path."
    )
    reader_signature: str = Field(
        default="",
        description="repr of the reader, so that IngestionPipeline's cache tells parsers "
        "with different readers apart (set automatically).",
    )
    _rejected: list[RejectedDocument] = PrivateAttr(default_factory=list)
    _memories: dict[str, DocumentMemory] = PrivateAttr(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        data.setdefault("include_prev_next_rel", False)
        reader = data.get("reader")
        data.setdefault("reader_signature", "default" if reader is None else repr(reader))
        super().__init__(**data)

    @classmethod
    def from_defaults(
        cls,
        reader: MemoryExtractor | None = None,
        embed_core_title: bool = True,
        embed_chunk_title: bool = True,
        include_document_metadata: bool = True,
        max_workers: int = 1,
        callback_manager: CallbackManager | None = None,
        **reader_kwargs: Any,
    ) -> MoMNodeParser:
        """Build a parser; ``reader_kwargs`` (e.g. ``target_words``, ``n_paths``) configure
        the default extractive reader when no ``reader`` is given."""
        if reader is None and reader_kwargs:
            reader = default_reader(**reader_kwargs)
        elif reader_kwargs:
            raise TypeError(f"reader options {sorted(reader_kwargs)} given with a reader")
        return cls(
            reader=reader,
            embed_core_title=embed_core_title,
            embed_chunk_title=embed_chunk_title,
            include_document_metadata=include_document_metadata,
            max_workers=max_workers,
            callback_manager=callback_manager or CallbackManager([]),
        )

    @classmethod
    def class_name(cls) -> str:
        return "MoMNodeParser"

    # -- results of the last call -------------------------------------------------------
    @property
    def rejected(self) -> list[RejectedDocument]:
        """Documents the reader refused during the last parse (``doc_id`` and reason)."""
        return list(self._rejected)

    @property
    def memories(self) -> dict[str, DocumentMemory]:
        """The memories read during the last parse, by document id."""
        return dict(self._memories)

    # -- parsing ------------------------------------------------------------------------
    def _get_reader(self) -> MemoryExtractor:
        if self.reader is None:
            self.reader = default_reader()
        return self.reader

    def _read(self, node: BaseNode) -> DocumentMemory | RejectedDocument:
        doc_id = node.ref_doc_id if not isinstance(node, Document) else node.id_
        doc_id = doc_id or node.node_id
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        try:
            memory = self._get_reader().extract(text, doc_id=doc_id)
        except (InvalidDocumentError, ValueError) as exc:
            logger.warning("document %r rejected by the memory reader: %s", doc_id, exc)
            return RejectedDocument(doc_id, str(exc))
        if memory.doc_id != doc_id:  # a reader that names documents itself
            memory = DocumentMemory.from_dict({**memory.to_dict(), "doc_id": doc_id})
        return memory

    def _nodes_for(self, node: BaseNode, memory: DocumentMemory) -> list[BaseNode]:
        self._memories[memory.doc_id] = memory
        extra = dict(node.metadata) if self.include_document_metadata else {}
        return list(memory_to_nodes(memory, node, extra, self.embed_core_title,
                                    self.embed_chunk_title))

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        self._rejected, self._memories = [], {}
        out: list[BaseNode] = []
        for node in get_tqdm_iterable(nodes, show_progress, "Reading memories"):
            result = self._read(node)
            if isinstance(result, RejectedDocument):
                self._rejected.append(result)
                continue
            out.extend(self._nodes_for(node, result))
        return out

    async def _aparse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        self._rejected, self._memories = [], {}
        self._get_reader()
        gate = asyncio.Semaphore(self.max_workers)

        async def read(node: BaseNode) -> DocumentMemory | RejectedDocument:
            async with gate:
                return await asyncio.to_thread(self._read, node)

        results = await asyncio.gather(*(read(node) for node in nodes))
        out: list[BaseNode] = []
        for node, result in zip(get_tqdm_iterable(nodes, show_progress, "Memories"), results):
            if isinstance(result, RejectedDocument):
                self._rejected.append(result)
            else:
                out.extend(self._nodes_for(node, result))
        return out

    def _postprocess_parsed_nodes(
        self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]
    ) -> list[BaseNode]:
        # Spans, metadata and relationships are set in memory_to_nodes. The base class
        # would re-find spans by text search (wrong for core nodes whose sentence also
        # occurs in the source) and chain PREV/NEXT across layers.
        return nodes
