"""Layer A: workloads. Architecture fields, parameter counts and FLOPs of ML models."""

from .workloads import CNNWorkload, TransformerWorkload, transformer_parameter_count

__all__ = ["CNNWorkload", "TransformerWorkload", "transformer_parameter_count"]
