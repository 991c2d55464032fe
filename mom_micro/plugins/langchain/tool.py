"""``memory_retriever_tool``: MoM memory retrieval as a tool of a LangChain agent."""

from __future__ import annotations

from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool
from langchain_core.tools.retriever import RetrieverInput

from mom_micro.plugins.citations import (
    MEMORY_TOOL_DESCRIPTION,
    CitedChunk,
    format_cited_chunks,
)

__all__ = ["memory_retriever_tool"]


def _cited(documents: list[Document]) -> str:
    return format_cited_chunks(
        [
            CitedChunk.from_metadata(
                doc.page_content,
                doc.metadata,
                doc.metadata.get("start_index"),
                doc.metadata.get("end_index"),
            )
            for doc in documents
        ]
    )


def memory_retriever_tool(
    retriever: BaseRetriever,
    name: str = "memory",
    description: str = MEMORY_TOOL_DESCRIPTION,
) -> StructuredTool:
    """A tool that searches ``retriever`` and shows each chunk with its outline title and
    source span, so the agent can cite them.

    The tool takes ``{"query": str}``; its content is
    :func:`~mom_micro.plugins.citations.format_cited_chunks` of the documents (``[1] title
    (doc_id, characters start-end)`` above each chunk's text) and its artifact the
    documents themselves (``ToolMessage.artifact``: every layer score in their metadata).
    Built for :class:`~mom_micro.plugins.langchain.MoMRetriever`; any retriever whose
    documents carry ``title``, ``doc_id`` (or ``source``) and ``start_index`` /
    ``end_index`` works. Sync and async (``ainvoke``) both search.

    Example:
        .. code-block:: python

            from langchain.agents import create_agent
            from mom_micro.plugins.langchain import MoMRetriever, memory_retriever_tool

            retriever = MoMRetriever.from_persist_dir("./mom_index", k=3)
            agent = create_agent("openai:gpt-4o-mini", [memory_retriever_tool(retriever)])
            agent.invoke({"messages": [{"role": "user", "content": "How do dogs behave?"}]})
    """

    def search(query: str, callbacks: Callbacks = None) -> tuple[str, list[Document]]:
        documents = retriever.invoke(query, config={"callbacks": callbacks})
        return _cited(documents), documents

    async def asearch(query: str, callbacks: Callbacks = None) -> tuple[str, list[Document]]:
        documents = await retriever.ainvoke(query, config={"callbacks": callbacks})
        return _cited(documents), documents

    return StructuredTool(
        name=name,
        description=description,
        func=search,
        coroutine=asearch,
        args_schema=RetrieverInput,
        response_format="content_and_artifact",
    )
