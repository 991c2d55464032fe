"""``MoMRetriever``: three-layer memory retrieval as a LangChain retriever."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from mom_micro.retrievers import LayerWeights, MemoryIndex, ThreeLayerRetriever

__all__ = ["MoMRetriever", "to_llama_documents"]


def to_llama_documents(documents: Sequence[Document]) -> list[Any]:
    """LangChain ``Document`` s as LlamaIndex ones; the id is ``doc.id``, else
    ``metadata["source"]``, else a new UUID."""
    from llama_index.core import Document as LlamaDocument

    out = []
    for doc in documents:
        doc_id = doc.id or doc.metadata.get("source") or str(uuid.uuid4())
        out.append(
            LlamaDocument(text=doc.page_content, id_=str(doc_id), metadata=dict(doc.metadata))
        )
    return out


class MoMRetriever(BaseRetriever):
    """Retrieve atomic memory chunks by MoM's three-layer search (outline, core, chunk).

    Wraps a :class:`~mom_micro.retrievers.MemoryIndex` (embedded Chroma, a Chroma server,
    or any LlamaIndex vector store). Each ``Document`` is an exact span of its source;
    its metadata carries ``doc_id``, ``title``, ``unit``, ``start_index``/``end_index``
    and the per-layer scores ``score_chunk``, ``score_sentence`` (its best sentence probe,
    or None), ``score_core``, ``score_outline``, ``score_lexical`` (BM25),
    ``score_neighbours`` (passage evidence), ``score_fused``.

    Setup:
        .. code-block:: python

            from mom_micro.plugins.langchain import MoMRetriever

            retriever = MoMRetriever.from_documents(docs, persist_dir="./mom_index", k=4)
            retriever = MoMRetriever.from_persist_dir("./mom_index")   # reopen later

    Example:
        .. code-block:: python

            retriever.invoke("How was the dataset collected?")
            retriever.invoke("How was the dataset collected?", k=2)
            await retriever.ainvoke("...")
            chain = {"context": retriever, "question": RunnablePassthrough()} | prompt | llm

    Key params:
        index: the :class:`MemoryIndex` to search.
        k: number of chunks returned (also a keyword of ``invoke``); LangChain's name
            for it, as in ``BM25Retriever.k``: it is ``similarity_top_k`` of the
            :class:`~mom_micro.retrievers.ThreeLayerRetriever` underneath.
        doc_ids: restrict the search to these documents.
        weights: :class:`~mom_micro.retrievers.LayerWeights` of the layer fusion.
        max_words: a word budget for the whole context (also a keyword of ``invoke``):
            the ranked chunks, the last one cut at the budget; None returns ``k`` chunks.
        assemble: with ``max_words``, passages of relevant neighbours and the best
            sentences of a chunk that does not fit (:mod:`mom_micro.retrievers.assembly`;
            off by default). ``assembly=``, its former name, still works (deprecated).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: MemoryIndex = Field(description="The memory index searched.")
    k: int = Field(default=4, ge=1, description="Number of chunks returned.")
    doc_ids: list[str] | None = Field(default=None, description="Search only these documents.")
    weights: LayerWeights = Field(
        default_factory=LayerWeights, description="Weights of the three-layer fusion."
    )
    max_words: int | None = Field(
        default=None, ge=1, description="Word budget of the context (None: k chunks)."
    )
    assemble: bool = Field(
        default=False, description="Within max_words: passages and best sentences."
    )

    @model_validator(mode="before")
    @classmethod
    def _former_names(cls, values: Any) -> Any:
        """``assembly=`` is the former name of ``assemble=``."""
        if isinstance(values, dict) and "assembly" in values:
            warnings.warn(
                "MoMRetriever(assembly=...) is now assemble=...", DeprecationWarning, stacklevel=4
            )
            values = {**values}
            values.setdefault("assemble", values.pop("assembly"))
        return values

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        persist_dir: str | Path | None = None,
        k: int = 4,
        **index_kwargs: Any,
    ) -> MoMRetriever:
        """Build a :class:`MemoryIndex` of LangChain ``documents`` and a retriever over it."""
        index = MemoryIndex.from_documents(
            to_llama_documents(documents), persist_dir, **index_kwargs
        )
        return cls(index=index, k=k)

    @classmethod
    def from_persist_dir(
        cls, persist_dir: str | Path | None, k: int = 4, **load_kwargs: Any
    ) -> MoMRetriever:
        """Reopen a persisted index (no re-embedding) and retrieve from it: a folder, or
        None and the index's address in ``load_kwargs`` (``index_name`` with
        ``chroma_host``/``chroma_port`` or ``milvus_uri``, as for
        :meth:`~mom_micro.retrievers.MemoryIndex.load`)."""
        return cls(index=MemoryIndex.load(persist_dir, **load_kwargs), k=k)

    def _retriever(
        self, k: int | None, doc_ids: list[str] | None, max_words: int | None = None
    ) -> ThreeLayerRetriever:
        return self.index.as_retriever(
            similarity_top_k=k or self.k,
            weights=self.weights,
            doc_ids=doc_ids if doc_ids is not None else self.doc_ids,
            max_words=max_words or self.max_words,
            assemble=self.assemble,
        )

    @staticmethod
    def _to_documents(results: list[Any]) -> list[Document]:
        docs = []
        for result in results:
            node = result.node
            metadata = {key: value for key, value in node.metadata.items()}
            metadata.update(
                score=result.score,
                node_id=node.node_id,
                start_index=node.start_char_idx,
                end_index=node.end_char_idx,
            )
            docs.append(
                Document(page_content=node.get_content(), metadata=metadata, id=node.node_id)
            )
        return docs

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        doc_ids: list[str] | None = None,
        max_words: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        return self._to_documents(self._retriever(k, doc_ids, max_words).retrieve(query))

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        doc_ids: list[str] | None = None,
        max_words: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        retriever = self._retriever(k, doc_ids, max_words)
        return self._to_documents(await retriever.aretrieve(query))
