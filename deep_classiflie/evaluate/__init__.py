"""Evaluate stage: pure metrics, confidence buckets, temporal and calibration analysis, reports, model card.

The core (``metrics``, ``buckets``, ``temporal``, ``calibration``, ``report``, ``realised``,
``compare``) takes plain arrays; ``run`` and ``card`` are the edges that talk to models and the store.
"""

from deep_classiflie.evaluate.buckets import BucketStats, BucketTable
from deep_classiflie.evaluate.report import EvaluationResult, Predictions, evaluate_arrays

__all__ = ["BucketStats", "BucketTable", "EvaluationResult", "Predictions", "evaluate_arrays"]
