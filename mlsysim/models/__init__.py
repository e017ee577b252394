"""Layer A: workloads. Architecture fields, parameter counts and FLOPs of ML models."""

from .workloads import (CNNWorkload, RecommendationWorkload, TransformerWorkload, VisionWorkload,
                        transformer_parameter_count)

__all__ = ["CNNWorkload", "RecommendationWorkload", "TransformerWorkload", "VisionWorkload",
           "transformer_parameter_count"]
