"""PNG figures for the benchmarks and the demo (matplotlib, the ``plot`` extra).

matplotlib is optional: ``pip install 'mom-micro[plot]'`` (``make setup`` does). Without
it, writing a figure raises :class:`PlottingUnavailable` naming the extra; everything
else works.

Example:
    >>> plt = pyplot()                                    # doctest: +SKIP
    >>> fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4])  # doctest: +SKIP
    >>> atomic_write_figure("out.png", fig)               # doctest: +SKIP
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mom_micro.errors import MomMicroError

from .files import atomic_write_bytes

__all__ = ["PlottingUnavailable", "atomic_write_figure", "pyplot"]


class PlottingUnavailable(MomMicroError, RuntimeError):
    """matplotlib is not installed; the message says how to add it."""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (no display needed)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise PlottingUnavailable("plots need matplotlib: pip install 'mom-micro[plot]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def atomic_write_figure(path: str | Path, figure: Any, dpi: int = 110) -> Path:
    """Save a matplotlib ``figure`` as PNG at ``path`` atomically, then close it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(figure)
    return atomic_write_bytes(path, buffer.getvalue())
