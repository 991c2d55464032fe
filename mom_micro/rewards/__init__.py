"""MiCRo core: preference pairs in, a personalized reward out (torch only).

Example:
    >>> from mom_micro.rewards import (MixtureRewardModel, PreferenceFeaturizer,
    ...                                read_preferences, train_stage1, train_stage2)
    >>> pairs, report = read_preferences("prefs.jsonl")                      # doctest: +SKIP
    >>> model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=10)  # doctest: +SKIP
    >>> train_stage1(model, pairs)                         # stage 1       # doctest: +SKIP
    >>> train_stage2(model, pairs_with_contexts)           # stage 2       # doctest: +SKIP
    >>> model.score("prompt", ["answer A", "answer B"], context="concise")  # doctest: +SKIP
    >>> model, report = train_reward_model(pairs, PreferenceFeaturizer.minilm())  # doctest: +SKIP
    >>> model.profiles = model.profile_store("profiles.json")               # doctest: +SKIP
    >>> model.record_feedback("ana", "prompt", "answer A", "answer B")      # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {
    ".backbone_tuning": ["BackboneTuningConfig", "BackboneTuningReport", "tune_backbone"],
    ".baselines": ["OraclePerContext", "train_mixture", "train_single_bt", "train_static_mixture"],
    ".config": ["MixtureConfig", "RecipeConfig", "Stage1Config", "Stage2Config"],
    ".data": ["PreferencePair", "ReadReport"],
    ".encoders": ["LastTokenEncoder", "SentenceTransformerEncoder", "TextEncoder"],
    ".errors": [
        "CheckpointMismatchError",
        "FeatureError",
        "InvalidPairError",
        "NoUsablePairsError",
        "PreferenceDataError",
        "RewardsError",
    ],
    ".evaluation": ["AccuracyReport", "evaluate", "pairwise_accuracy"],
    ".feature_cache": ["CachedEncoder", "FeatureCache"],
    ".featurizer": ["PairFeatures", "PreferenceFeaturizer"],
    ".hedge": ["head_losses", "hedge_targets"],
    ".mixture_loss": ["MixtureBradleyTerryLoss"],
    ".model": ["SCORE_BOUND", "MixtureRewardModel", "bounded_scores"],
    ".online": ["fit_user_weights"],
    ".profiles": ["UserProfile", "UserProfileStore"],
    ".preference_files": [
        "pairs_from_records",
        "read_csv",
        "read_dsp_domains",
        "read_hh",
        "read_jsonl",
        "read_llmbar",
        "read_preference_files",
        "read_preferences",
    ],
    ".recipe": ["RecipeReport", "train_reward_model"],
    ".splits": ["budget_rows", "split_by_prompt", "subsample"],
    ".style": ["STYLE_FEATURES", "style_features"],
    ".trainer": [
        "MIN_TRAINING_PAIRS",
        "Stage1Trainer",
        "Stage2Trainer",
        "TrainResult",
        "train_stage1",
        "train_stage2",
    ],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .backbone_tuning import BackboneTuningConfig, BackboneTuningReport, tune_backbone
    from .baselines import OraclePerContext, train_mixture, train_single_bt, train_static_mixture
    from .config import MixtureConfig, RecipeConfig, Stage1Config, Stage2Config
    from .data import PreferencePair, ReadReport
    from .encoders import LastTokenEncoder, SentenceTransformerEncoder, TextEncoder
    from .errors import (
        CheckpointMismatchError,
        FeatureError,
        InvalidPairError,
        NoUsablePairsError,
        PreferenceDataError,
        RewardsError,
    )
    from .evaluation import AccuracyReport, evaluate, pairwise_accuracy
    from .feature_cache import CachedEncoder, FeatureCache
    from .featurizer import PairFeatures, PreferenceFeaturizer
    from .hedge import head_losses, hedge_targets
    from .mixture_loss import MixtureBradleyTerryLoss
    from .model import SCORE_BOUND, MixtureRewardModel, bounded_scores
    from .online import fit_user_weights
    from .preference_files import (
        pairs_from_records,
        read_csv,
        read_dsp_domains,
        read_hh,
        read_jsonl,
        read_llmbar,
        read_preference_files,
        read_preferences,
    )
    from .profiles import UserProfile, UserProfileStore
    from .recipe import RecipeReport, train_reward_model
    from .splits import budget_rows, split_by_prompt, subsample
    from .style import STYLE_FEATURES, style_features
    from .trainer import (
        MIN_TRAINING_PAIRS,
        Stage1Trainer,
        Stage2Trainer,
        TrainResult,
        train_stage1,
        train_stage2,
    )
