"""Thin adapters to the frameworks' own base classes: :mod:`.langchain` and
:mod:`.llama_index`, and what the MiCRo adapters of both share (:mod:`.ranking`).

Example:
    >>> from mom_micro.plugins import Ranking
    >>> Ranking.model_fields["candidates"].description
    'The candidates, best first.'
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".ranking": [
        "MiCRoRankingError",
        "MiCRoRankingFields",
        "Ranking",
        "ScoredCandidate",
        "load_micro_model",
        "rank_texts",
        "record_choice",
    ]
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .ranking import (
        MiCRoRankingError,
        MiCRoRankingFields,
        Ranking,
        ScoredCandidate,
        load_micro_model,
        rank_texts,
        record_choice,
    )
