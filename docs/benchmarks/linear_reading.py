"""Seconds of the extractive reader on 100 KB, 1 MB and 5 MB of COVID-QA text, and of the
parser on 4,000 chunks against 2,000 outline items (docs/benchmarks.md).

Run from the repository root: python docs/benchmarks/linear_reading.py
"""

import json
import time

from mom_micro.memory import ExtractiveExtractor, parse_memory_output

with open("../shared/data/qa/covidqa.json", encoding="utf-8") as f:
    papers = json.load(f)["data"]
corpus = "\n\n".join(p["paragraphs"][0]["context"] for p in papers)  # 2.4 MB, repeated
reader = ExtractiveExtractor(target_words=60)
for size in (100_000, 1_000_000, 5_000_000):
    text = (corpus * (size // len(corpus) + 1))[:size]
    started = time.perf_counter()
    memory = reader.extract(text)
    print(size, time.perf_counter() - started, len(memory.units))

# the parser: 4,000 chunks (anchored by their first and last five words) x 2,000 outline items
sentences = [
    s for p in papers for s in p["paragraphs"][0]["context"].split(". ") if len(s.split()) > 8
][:4000]
source = "\n\n".join(s + "." for s in sentences)
outline = "\n".join(" ".join(s.split()[:6]) for s in sentences[::2])
answer = f"<outline>{outline}</outline>" + "".join(
    f"<scenario><chunk>{' '.join(s.split()[:5])}[MASK]{' '.join((s + '.').split()[-5:])}</chunk>"
    f"{s}.</scenario>"
    for s in sentences
)
started = time.perf_counter()
parse_memory_output(answer, source)
print("parser", time.perf_counter() - started)
