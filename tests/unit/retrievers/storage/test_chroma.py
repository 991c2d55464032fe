"""Connecting to Chroma: a server of another major version is refused by name, index
names are checked before Chroma sees them, and indexes are found by their catalogs."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mom_micro.retrievers import ChromaServerUnsupported, InvalidIndexName
from mom_micro.retrievers.storage.chroma import (
    check_index_name,
    collection_name,
    connect_chroma_server,
    ephemeral_client,
    index_names,
)


class OldChroma(BaseHTTPRequestHandler):
    """Answers like chromadb 0.4: no /api/v2, version on /api/v1/version."""

    def do_GET(self):  # noqa: N802 - the http.server hook's name
        if self.path == "/api/v1/version":
            body, status = b'"0.4.24"', 200
        else:
            body, status = b'{"detail": "Not Found"}', 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_server_of_another_major_version_is_refused_by_name():
    server = HTTPServer(("127.0.0.1", 0), OldChroma)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with pytest.raises(ChromaServerUnsupported, match=f"127.0.0.1:{port} runs chromadb 0.4.24"):
            connect_chroma_server("127.0.0.1", port, timeout=2.0)
    finally:
        server.shutdown()


@pytest.mark.parametrize("name", ["", "a b", "-x", "x-", "ab..cd", "x" * 64, "é"])
def test_names_chroma_would_refuse_are_refused_first(name):
    with pytest.raises(InvalidIndexName, match="is not allowed"):
        check_index_name(name)


def test_indexes_are_listed_by_their_catalogs():
    client = ephemeral_client()
    for name in ("alpha", "beta-2"):
        client.get_or_create_collection(collection_name(name, "catalog"))
    client.get_or_create_collection("someone-elses")
    assert {"alpha", "beta-2"} <= set(index_names(client))
    assert "someone-elses" not in index_names(client)
