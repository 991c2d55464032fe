"""MiCRo core: preference pairs in, a personalized reward out (torch only).

Example:
    >>> from mom_micro.rewards import (MixtureRewardModel, PreferenceFeaturizer,
    ...                                read_preferences)
    >>> pairs, report = read_preferences("prefs.jsonl")                      # doctest: +SKIP
    >>> model = MixtureRewardModel.create(PreferenceFeaturizer.minilm(), n_heads=10)  # doctest: +SKIP
    >>> model.fit(pairs)                                   # stage 1       # doctest: +SKIP
    >>> model.fit_routing(pairs_with_contexts)             # stage 2       # doctest: +SKIP
    >>> model.score("prompt", ["answer A", "answer B"], context="concise")  # doctest: +SKIP
"""

from .baselines import OraclePerContext, train_mixture, train_single_bt, train_static_mixture
from .config import MixtureConfig, Stage1Config, Stage2Config
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
from .model import MixtureRewardModel
from .profiles import UserProfile, UserProfileStore
from .readers import (
    pairs_from_records,
    read_csv,
    read_dsp_domains,
    read_hh,
    read_jsonl,
    read_llmbar,
    read_preferences,
)
from .routing import train_stage2
from .training import TrainResult, train_stage1

__all__ = [
    "AccuracyReport",
    "CachedEncoder",
    "CheckpointMismatchError",
    "FeatureCache",
    "FeatureError",
    "InvalidPairError",
    "LastTokenEncoder",
    "MixtureBradleyTerryLoss",
    "MixtureConfig",
    "MixtureRewardModel",
    "NoUsablePairsError",
    "OraclePerContext",
    "PairFeatures",
    "PreferenceDataError",
    "PreferenceFeaturizer",
    "PreferencePair",
    "ReadReport",
    "RewardsError",
    "SentenceTransformerEncoder",
    "Stage1Config",
    "Stage2Config",
    "TextEncoder",
    "TrainResult",
    "UserProfile",
    "UserProfileStore",
    "evaluate",
    "head_losses",
    "hedge_targets",
    "pairs_from_records",
    "pairwise_accuracy",
    "read_csv",
    "read_dsp_domains",
    "read_hh",
    "read_jsonl",
    "read_llmbar",
    "read_preferences",
    "train_mixture",
    "train_single_bt",
    "train_stage1",
    "train_stage2",
    "train_static_mixture",
]
