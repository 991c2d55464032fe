"""Memory test doubles: a multi-section text written for the tests (``data/``), and a
small deterministic bag-of-words embedder for fast tests of the segmentation logic."""

import hashlib
import re
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
SECTIONS = [
    "History of the Water System",
    "Water Treatment",
    "Distribution Network",
    "Billing and Rates",
    "Emergencies and Boil-Water Notices",
]


def hashing_embedder(texts, dim: int = 256) -> np.ndarray:
    """Unit-norm bag of hashed lowercase words: similar vocabulary, similar vector."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


def document_of(prompt: str) -> str:
    """The (unescaped) document inside a MoM extraction prompt."""
    import html

    return html.unescape(prompt.split("<document>\n", 1)[1].rsplit("\n</document>", 1)[0])


def paragraph_memory(window: str) -> str:
    """A guide model's tagged answer for ``window``: one chunk per blank-line paragraph,
    anchored by its first and last five words, its first sentence as the core."""
    parts, items = [], []
    for paragraph in re.split(r"\n\s*\n", window.strip()):
        words = paragraph.split()
        if not words:
            continue
        items.append(" ".join(words[:4]))
        head, tail = " ".join(words[:5]), " ".join(words[-5:])
        core = paragraph.split(". ")[0].strip()
        parts.append(f"<scenario><chunk>{head}[MASK]{tail}</chunk>\n{core}</scenario>")
    return "<outline>\n" + "\n".join(items) + "\n</outline>\n" + "\n".join(parts)


class ScriptedAsyncGuide:
    """An async guide model: after ``delay`` seconds (a network round trip) it answers
    :func:`paragraph_memory` of the window it was given. Records its calls and the most
    calls that were in flight at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, prompt: str, temperature: float) -> str:
        import asyncio

        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return paragraph_memory(document_of(prompt))
        finally:
            self.in_flight -= 1
