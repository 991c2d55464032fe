"""Folders written by earlier versions, rewritten on disk to the current format before
they are loaded.

Formats 1 and 2 kept the records in a LlamaIndex ``docstore.json`` beside the vectors
(embedded Chroma collections ``<prefix>_<layer>``, or a user's vector store). Format 3
keeps them in the index's catalog (:mod:`~mom_micro.retrievers.storage.catalog`). The
migration reads the docstore, commits one record per document (version ``""``: the
vectors stay where they are, unversioned), writes the header and the marker, and only
then removes ``docstore.json``; it runs under the folder's write lock, so an interrupted
migration runs again on the next open.

Example:
    .. code-block:: python

        marker = current_marker(ChromaFolder(folder), lambda: reader_description)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..nodes import INDEX_LAYERS, LAYER_CHUNK
from .catalog import DocumentRecord
from .errors import IndexDamaged, IndexNotFound
from .journal import Journal
from .location import (
    DEFAULT_NAME,
    MARKER,
    VERSION,
    ChromaLocation,
    IndexLocation,
    IndexParts,
    OwnVectorStore,
    chroma_parts,
    new_header,
    read_marker,
)

__all__ = ["LEGACY_DOCSTORE", "current_marker", "migrate_folder"]

logger = logging.getLogger(__name__)

LEGACY_DOCSTORE = "docstore.json"


def _legacy_docstore(location: IndexLocation) -> Any:
    from llama_index.core.storage.docstore import SimpleDocumentStore

    path = location.folder / LEGACY_DOCSTORE  # type: ignore[operator]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return SimpleDocumentStore.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamaged(
            f"{path} is unreadable ({exc}); remove the folder and ingest the documents again"
        ) from exc


def _legacy_parts(
    location: IndexLocation, store: Mapping[str, Any]
) -> tuple[IndexParts, dict[str, str] | None]:
    kind = store.get("kind")
    if kind == "chroma-server":
        raise IndexDamaged(
            f"{location.folder} is an index of mom-micro 0.1 whose records stayed in this "
            f"folder while its vectors went to the server {store.get('host')}:"
            f"{store.get('port')} in collections every such folder shared; it cannot be "
            "trusted: ingest the documents again into a named server index (mom-micro "
            "ingest --chroma-host ... --index-name NAME)"
        )
    if kind == "chroma-embedded" and isinstance(location, ChromaLocation):
        prefix = store.get("collection_prefix") or "mom"
        layers = {layer: f"{prefix}_{layer}" for layer in INDEX_LAYERS}
        return chroma_parts(location, DEFAULT_NAME, layers, create=True), layers
    if isinstance(location, OwnVectorStore):
        return location.parts(DEFAULT_NAME, create=True), None
    raise ValueError(
        f"{location.folder} was built on a user-supplied vector store ({kind}); "
        "pass the same vector_store= to MemoryIndex.load"
    )


def migrate_folder(
    location: IndexLocation,
    marker: Mapping[str, Any],
    reader: Mapping[str, Any],
    embed_model: str | None = None,
) -> None:
    """Rewrite the format-1/2 index at ``location`` (a folder) as format 3, in place.

    Args:
        location: the folder (``ChromaFolder``, or ``OwnVectorStore`` with the user's store).
        marker: its marker (:func:`~mom_micro.retrievers.storage.location.read_marker`).
        reader: the description of the reader to record (these formats stored none).
        embed_model: the embedding model's name to record.
    """
    docstore = _legacy_docstore(location)
    parts, layers = _legacy_parts(location, marker["store"])
    journal = Journal(parts.catalog, parts.stores, location)
    with journal.locked():
        counts = parts.stores.vector_counts()
        for doc_id, ref in (docstore.get_all_ref_doc_info() or {}).items():
            nodes = [docstore.get_node(i, raise_error=False) for i in ref.node_ids]
            nodes = [n for n in nodes if n is not None]
            vectors = dict.fromkeys(INDEX_LAYERS, 0)
            for node in nodes:
                vectors[node.metadata.get("layer", LAYER_CHUNK)] += 1
            if counts is not None:
                vectors["sentence"] = counts["sentence"].get((doc_id, ""), 0)
            chunks = [n for n in nodes if n.metadata.get("layer") == LAYER_CHUNK]
            record = DocumentRecord(doc_id, docstore.get_document_hash(doc_id) or "", "", vectors)
            parts.catalog.commit(record, chunks)
        parts.catalog.write_header(
            new_header(
                DEFAULT_NAME,
                layers,
                reader=dict(reader),
                embed_model=embed_model,
                migrated_from=marker["version"],
                # built before markup was blanked: its documents were read with their tags
                keep_markup=True,
            )
        )
        location.write_marker(DEFAULT_NAME)
        (location.folder / LEGACY_DOCSTORE).unlink()  # type: ignore[operator]
    logger.warning(
        "%s: migrated a format-%s index to format %s", location.folder, marker["version"], VERSION
    )


def current_marker(
    location: IndexLocation,
    reader: Callable[[], Mapping[str, Any]],
    embed_model: str | None = None,
) -> dict[str, Any]:
    """The marker of the index folder at ``location``, after migrating an index of an
    earlier format (``reader()`` describes the reader to record, see :func:`migrate_folder`).

    Raises:
        IndexNotFound: the folder does not exist or holds no memory index.
        IndexDamaged: the marker is unreadable or names an unknown format or store.
    """
    folder = location.folder
    if folder is None or not folder.exists():
        raise IndexNotFound(f"{folder} does not exist")
    if not (folder / MARKER).is_file():
        raise IndexNotFound(f"{folder} holds no memory index ({MARKER} missing)")
    marker = read_marker(folder)
    if marker["version"] < VERSION:
        migrate_folder(location, marker, reader(), embed_model or marker.get("embed_model"))
        marker = read_marker(folder)
    return marker
