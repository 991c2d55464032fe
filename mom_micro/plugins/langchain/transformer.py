"""``MoMDocumentTransformer``: LangChain documents -> MoM memory chunks (own vector store)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.documents import BaseDocumentTransformer, Document

from mom_micro.memory import InvalidDocumentError, MemoryExtractor
from mom_micro.retrievers.nodes import RejectedDocument, default_reader
from mom_micro.text import blank_markup

__all__ = ["MoMDocumentTransformer"]

logger = logging.getLogger(__name__)


class MoMDocumentTransformer(BaseDocumentTransformer):
    """Split documents into MoM atomic chunks, each an exact span of its source.

    For users who keep their own vector store: the chunks go in like any splitter's
    output. Each chunk's metadata adds ``doc_id``, ``unit``, ``title`` (its outline
    item), ``core`` (its core content) and ``start_index``/``end_index``. With
    ``prepend_title=True`` the page content becomes ``title + "\\n" + chunk`` (how MoM
    embeds chunks); ``include_layers`` can add the outline and core-content layers as
    documents of their own (metadata ``layer``).

    Setup:
        .. code-block:: python

            from mom_micro.plugins.langchain import MoMDocumentTransformer

            transformer = MoMDocumentTransformer()            # offline extractive reader

    Example:
        .. code-block:: python

            chunks = transformer.transform_documents(docs)
            vectorstore.add_documents(chunks)

    Key params:
        reader: any :class:`~mom_micro.memory.MemoryExtractor`.
        prepend_title: put the outline title in front of each chunk's text.
        include_layers: which layers to emit: ``("chunk",)`` (default), plus
            ``"core"`` and/or ``"outline"``.
        keep_markup: let the reader read HTML tags as words (False, the default: a tag
            is read as the white space it renders as, :func:`~mom_micro.text.blank_markup`,
            so a chunk is the span of the page with its tags blanked, at the original's
            ``start_index``/``end_index``).

    A document the reader rejects is skipped with a warning and listed in ``rejected``.
    """

    def __init__(
        self,
        reader: MemoryExtractor | None = None,
        prepend_title: bool = False,
        include_layers: Sequence[str] = ("chunk",),
        keep_markup: bool = False,
    ) -> None:
        unknown = set(include_layers) - {"outline", "core", "chunk"}
        if unknown:
            raise ValueError(f"unknown layer(s) {sorted(unknown)}; use outline, core, chunk")
        self.reader = reader
        self.prepend_title = prepend_title
        self.include_layers = tuple(include_layers)
        self.keep_markup = keep_markup
        self.rejected: list[RejectedDocument] = []

    def _reader(self) -> MemoryExtractor:
        if self.reader is None:
            self.reader = default_reader()
        return self.reader

    def transform_documents(self, documents: Sequence[Document], **kwargs: Any) -> list[Document]:
        """Read each document into a memory and return its layers as documents."""
        self.rejected = []
        out: list[Document] = []
        for position, doc in enumerate(documents):
            doc_id = str(doc.id or doc.metadata.get("source") or f"doc-{position}")
            try:
                text = doc.page_content if self.keep_markup else blank_markup(doc.page_content)
                memory = self._reader().extract(text, doc_id=doc_id)
            except (InvalidDocumentError, ValueError) as exc:
                logger.warning("document %r rejected by the memory reader: %s", doc_id, exc)
                self.rejected.append(RejectedDocument(doc_id, str(exc)))
                continue
            base = {**doc.metadata, "doc_id": doc_id}
            if "outline" in self.include_layers:
                out.append(
                    Document(
                        page_content="\n".join(memory.outline),
                        metadata={**base, "layer": "outline"},
                    )
                )
            for i, unit in enumerate(memory.units):
                if "core" in self.include_layers:
                    out.append(
                        Document(
                            page_content=unit.core,
                            metadata={**base, "layer": "core", "unit": i, "title": unit.title},
                        )
                    )
                if "chunk" in self.include_layers:
                    text = unit.text(memory.source)
                    if self.prepend_title:
                        text = f"{unit.title}\n{text}"
                    out.append(
                        Document(
                            page_content=text,
                            metadata={
                                **base,
                                "layer": "chunk",
                                "unit": i,
                                "title": unit.title,
                                "core": unit.core,
                                "start_index": unit.start,
                                "end_index": unit.end,
                            },
                        )
                    )
        return out
