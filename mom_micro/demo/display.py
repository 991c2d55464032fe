"""How the demo prints: numbered step headings and one-line snippets of long texts.

Example:
    >>> snippet("A long   answer " * 20, width=30)
    'A long answer A long ...'
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

__all__ = ["heading", "snippet"]


def heading(out: Callable[[str], None], number: int, text: str) -> None:
    """Print step ``number``'s heading through ``out``."""
    out(f"\n== {number}. {text} ==")


def snippet(text: str, width: int = 150) -> str:
    """``text`` on one line, shortened to ``width`` characters at a word boundary."""
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" ...")
