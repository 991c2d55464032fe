"""The trained reader's and the extractive reader's titles and cores swapped over the
cached memories of COVID-QA's first 25 papers, hit@B of mom (docs/benchmarks.md, the
trained reader). Run after ``mom-micro bench reader ... --memory-cache mcache``.

Run from the repository root: python docs/benchmarks/reader_swap.py
"""

import dataclasses
import json
import pathlib

from mom_micro.bench import load_dataset, run_benchmark
from mom_micro.memory import DocumentMemory
from mom_micro.retrievers import default_reader

cached = [json.loads(p.read_text()) for p in pathlib.Path("mcache/memreader").glob("*.json")]
trained = {c["doc_id"]: DocumentMemory.from_dict(c["memory"]) for c in cached}
extractive = default_reader()


def overlap(a, b):
    return max(0, min(a.end, b.end) - max(a.start, b.start))


class Swapped:
    """One reader's spans, each with the title and core of the other's unit it overlaps most."""

    def __init__(self, spans_from_trained):
        self.spans_from_trained = spans_from_trained

    def config(self):
        return {"swapped": self.spans_from_trained}

    def extract(self, text, doc_id=None):
        mine, other = trained[doc_id], extractive.extract(text, doc_id)
        if not self.spans_from_trained:
            mine, other = other, mine
        units = [
            dataclasses.replace(u, title=b.title, core=b.core)
            for u in mine.units
            for b in [max(other.units, key=lambda x: overlap(u, x))]
        ]
        return dataclasses.replace(mine, units=units)


data = load_dataset("../shared/data/qa/covidqa.json", limit_docs=25)
for spans_from_trained in (True, False):
    result = run_benchmark(data, systems=("mom",), reader=Swapped(spans_from_trained))
    figures = result["systems"]["mom"]
    print(spans_from_trained, [round(figures[f"hit@{b}"], 3) for b in (100, 200, 400, 800)])
