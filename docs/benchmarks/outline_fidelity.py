"""How well the offline reader's titles follow documents' own outlines: the share of
the headings found (mom_micro.structure.find_headings) that appear in the title of the
unit holding them, and the share of titles that repeat a content word (docs/benchmarks.md,
memory). The reader is the index's (mom_micro.retrievers.nodes.default_reader).

Run from the repository root, on a QA set or on text files:
    python docs/benchmarks/outline_fidelity.py ../shared/data/qa/leval_scientific_qa.jsonl
    python docs/benchmarks/outline_fidelity.py /usr/share/doc/python3.11/html/_sources/library/*.rst.txt --limit 40
"""

import argparse
import json
import time
from pathlib import Path

from mom_micro.bench import load_dataset
from mom_micro.bench.memory import outline_fidelity
from mom_micro.retrievers.nodes import default_reader

parser = argparse.ArgumentParser()
parser.add_argument("paths", nargs="+")
parser.add_argument("--limit", type=int, default=None, help="the first N documents")
args = parser.parse_args()
if len(args.paths) == 1 and args.paths[0].endswith((".json", ".jsonl")):
    texts = list(load_dataset(args.paths[0]).documents.values())
else:
    texts = [Path(p).read_text(encoding="utf-8") for p in sorted(args.paths)]
texts = [t for t in texts if t.strip()][: args.limit]
reader = default_reader()
started = time.perf_counter()
memories = [reader.extract(text, doc_id=f"doc-{i}") for i, text in enumerate(texts)]
figures = {"documents": len(texts), **outline_fidelity(memories)}
figures["read_s"] = round(time.perf_counter() - started, 1)
print(json.dumps(figures))
