"""Which BM25 statistics a question scoped to its document should get on Milvus
(docs/benchmarks.md, "BM25 from Milvus"): the same data set, the same reader and the same
embeddings, in two retrievers asked every question, interleaved, at document scope:

- ``chroma_client``: a Chroma folder, BM25 computed on the client with the statistics of
  the question's document (the index's behaviour before Milvus);
- ``milvus_corpus``: a Milvus Lite file, BM25 from Milvus's own function, with the
  statistics of the whole collection.

Run from the repository root:
    python docs/benchmarks/milvus_bm25.py ../shared/data/qa/covidqa.json --limit-docs 25 --out /tmp/bm25.json
"""

import argparse
import json
import tempfile
from pathlib import Path

from llama_index.core import Document

from mom_micro.bench import load_dataset
from mom_micro.bench.retrieval import DEFAULT_BUDGETS, evaluate_systems, mom_retrieve
from mom_micro.bench.server import SharedEmbeddings
from mom_micro.files import atomic_write_text
from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.embed_model import default_embed_model
from mom_micro.retrievers.word_search import StoreLexical

parser = argparse.ArgumentParser()
parser.add_argument("dataset")
parser.add_argument("--limit-docs", type=int, default=None)
parser.add_argument("--out", required=True)
args = parser.parse_args()

dataset = load_dataset(args.dataset, args.limit_docs)
documents = [Document(text=t, id_=d) for d, t in dataset.documents.items()]
embed = SharedEmbeddings(default_embed_model())  # the second index reuses the vectors
folder = Path(tempfile.mkdtemp(prefix="mom-bm25-"))
top_k = 30  # enough chunks for 800 words (bench retrieval sizes it the same way)

chroma = MemoryIndex.create(folder / "chroma", embed_model=embed)
chroma.add_documents(documents, show_progress=True)
milvus = MemoryIndex.create(milvus_uri=str(folder / "milvus.db"), embed_model=embed)
milvus.add_documents(documents, show_progress=True)
assert isinstance(milvus.lexical, StoreLexical)
retrievers = {
    "chroma_client": mom_retrieve(chroma.as_retriever(similarity_top_k=top_k)),
    "milvus_corpus": mom_retrieve(milvus.as_retriever(similarity_top_k=top_k)),
}
figures = evaluate_systems(retrievers, dataset, DEFAULT_BUDGETS, "document", embed)
result = {"dataset": dataset.name, "docs": len(documents), "scope": "document", **figures}
atomic_write_text(Path(args.out), json.dumps(result, indent=2))
for name, row in figures.items():
    print(name, " ".join(f"{k}={v}" for k, v in row.items()))
milvus.close()
