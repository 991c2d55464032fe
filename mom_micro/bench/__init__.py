"""The benchmarks behind ``mom-micro bench ...``: retrieval, server, scale, preference,
personalize, featurize, style and memory.

Each reads plain formats (:mod:`.data` for question answering, the preference-file parsers for
preference pairs), measures every method in one process, and writes the figures as JSON,
a Markdown table and a PNG (:mod:`.outputs`).

Example:
    >>> from mom_micro.bench import load_dataset, run_benchmark   # doctest: +SKIP
    >>> result = run_benchmark(load_dataset("covidqa.json", limit_docs=5))   # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".data": ["BenchDataset", "Question", "load_dataset"],
    ".memory": ["run_memory_bench", "write_memory_outputs"],
    ".metrics": ["answer_hit", "answer_recall", "cut_to_budget", "normalize_answer"],
    ".concurrency": ["LatencyGuide", "run_concurrency_bench", "write_concurrency_outputs"],
    ".featurize": ["run_featurize_bench", "write_featurize_outputs"],
    ".outputs": ["write_outputs"],
    ".personalize": [
        "PersonalizeBenchConfig",
        "run_personalize_benchmark",
        "write_personalize_outputs",
    ],
    ".preference": [
        "PreferenceBenchConfig",
        "run_preference_benchmark",
        "write_preference_outputs",
    ],
    ".scale": ["run_scale_bench", "write_scale_outputs"],
    ".server": ["run_server_bench", "write_server_outputs"],
    ".style": ["StyleBenchConfig", "run_style_benchmark", "write_style_outputs"],
    ".retrieval": [
        "SYSTEMS",
        "evaluate_systems",
        "run_benchmark",
        "sweep_layer_weights",
        "write_retrieval_outputs",
    ],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .concurrency import LatencyGuide, run_concurrency_bench, write_concurrency_outputs
    from .data import BenchDataset, Question, load_dataset
    from .featurize import run_featurize_bench, write_featurize_outputs
    from .memory import run_memory_bench, write_memory_outputs
    from .metrics import answer_hit, answer_recall, cut_to_budget, normalize_answer
    from .outputs import write_outputs
    from .personalize import (
        PersonalizeBenchConfig,
        run_personalize_benchmark,
        write_personalize_outputs,
    )
    from .preference import (
        PreferenceBenchConfig,
        run_preference_benchmark,
        write_preference_outputs,
    )
    from .retrieval import (
        SYSTEMS,
        evaluate_systems,
        run_benchmark,
        sweep_layer_weights,
        write_retrieval_outputs,
    )
    from .scale import run_scale_bench, write_scale_outputs
    from .server import run_server_bench, write_server_outputs
    from .style import StyleBenchConfig, run_style_benchmark, write_style_outputs
