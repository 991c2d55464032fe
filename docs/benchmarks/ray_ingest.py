"""Ingest throughput on Ray against one process (docs/scaling.md, "Ingest on Ray"): the
same documents into a new folder index each time, in one process, then on a local Ray
with 1 worker of 1 CPU, then 2 workers of 1 CPU each; the seconds of ``add_documents``
(the embedding model's load included: in this process, or in each worker, with the
start of the local Ray), and whether the three indexes hold the same chunks.

Run from the repository root:
    python docs/benchmarks/ray_ingest.py ../shared/data/qa/leval_scientific_qa.jsonl --out ray.json
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from llama_index.core import Document

from mom_micro.bench import load_dataset
from mom_micro.files import atomic_write_text
from mom_micro.retrievers import MemoryIndex
from mom_micro.retrievers.ray_ingest import RayIngest

parser = argparse.ArgumentParser()
parser.add_argument("dataset")
parser.add_argument("--out", required=True)
args = parser.parse_args()

dataset = load_dataset(args.dataset)
documents = [Document(text=t, id_=d) for d, t in dataset.documents.items()]
words = sum(len(d.text.split()) for d in documents)
folder = Path(tempfile.mkdtemp(prefix="mom-ray-"))
runs = {
    "one process": None,
    "ray 1 worker x 1 CPU": RayIngest(workers=1, cpus_per_worker=1),
    "ray 2 workers x 1 CPU": RayIngest(workers=2, cpus_per_worker=1),
}
result: dict = {"dataset": dataset.name, "documents": len(documents), "words": words, "runs": {}}
contents = {}
for name, ray in runs.items():
    index = MemoryIndex.create(folder / name.replace(" ", "_"))
    began = time.perf_counter()
    report = index.add_documents(documents, ray=ray)
    seconds = time.perf_counter() - began
    contents[name] = sorted(n.node_id for n in index.chunk_nodes())
    result["runs"][name] = {"seconds": round(seconds, 1), "nodes": report.nodes, "probes": report.probes}
    print(name, result["runs"][name], flush=True)
one, single = result["runs"]["ray 1 worker x 1 CPU"], result["runs"]["one process"]
two = result["runs"]["ray 2 workers x 1 CPU"]
result["two_workers_vs_one"] = round(one["seconds"] / two["seconds"], 2)
result["two_workers_vs_one_process"] = round(two["seconds"] / single["seconds"], 2)
result["same_index"] = len({tuple(c) for c in contents.values()}) == 1
atomic_write_text(Path(args.out), json.dumps(result, indent=2))
print(json.dumps({k: v for k, v in result.items() if k != "runs"}))
