"""``MoMNodeParser``: MoM memory reading as a LlamaIndex node parser.

A thin adapter: the reading and the node building are
:class:`~mom_micro.retrievers.nodes.MemoryNodeBuilder`'s; this class gives them
LlamaIndex's ``NodeParser`` interface, so the memory layers come out of an
``IngestionPipeline`` like any splitter's nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.node_parser.interface import NodeParser
from llama_index.core.schema import BaseNode, Document

from mom_micro.memory import DocumentMemory, MemoryExtractor
from mom_micro.retrievers.nodes import (
    BuiltNodes,
    MemoryNodeBuilder,
    RejectedDocument,
    default_reader,
)

__all__ = ["MoMNodeParser"]


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

    Node layout and relationships: :func:`mom_micro.retrievers.nodes.memory_to_nodes`.
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
    keep_markup: bool = Field(
        default=False,
        description="Let the reader read HTML tags as words (False: a tag is read as the "
        "white space it renders as, and a chunk is the span of the page with its tags "
        "blanked out, at the original's offsets).",
    )
    reader_signature: str = Field(
        default="",
        description="repr of the reader, so that IngestionPipeline's cache tells parsers "
        "with different readers apart (set automatically).",
    )
    _last: BuiltNodes = PrivateAttr(default_factory=BuiltNodes)

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
        keep_markup: bool = False,
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
            keep_markup=keep_markup,
            callback_manager=callback_manager or CallbackManager([]),
        )

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this component under."""
        return "MoMNodeParser"

    # -- results of the last call -------------------------------------------------------
    @property
    def rejected(self) -> list[RejectedDocument]:
        """Documents the reader refused during the last parse (``doc_id`` and reason)."""
        return list(self._last.rejected)

    @property
    def memories(self) -> dict[str, DocumentMemory]:
        """The memories read during the last parse, by document id."""
        return dict(self._last.memories)

    # -- parsing ------------------------------------------------------------------------
    def _builder(self) -> MemoryNodeBuilder:
        builder = MemoryNodeBuilder(
            reader=self.reader,
            embed_core_title=self.embed_core_title,
            embed_chunk_title=self.embed_chunk_title,
            include_document_metadata=self.include_document_metadata,
            max_workers=self.max_workers,
            keep_markup=self.keep_markup,
        )
        self.reader = builder.get_reader()
        return builder

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        self._last = self._builder().build(nodes, show_progress)
        return list(self._last.nodes)

    async def _aparse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        self._last = await self._builder().abuild(nodes, show_progress)
        return list(self._last.nodes)

    def _postprocess_parsed_nodes(
        self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]
    ) -> list[BaseNode]:
        # Spans, metadata and relationships are set in memory_to_nodes. The base class
        # would re-find spans by text search (wrong for core nodes whose sentence also
        # occurs in the source) and chain PREV/NEXT across layers.
        return nodes
