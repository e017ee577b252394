"""Validation against reality: published measurements, the predictions for them, the error."""

from .measurements import Measurement, load_measurements
from .report import ValidationReport, validate

__all__ = ["Measurement", "ValidationReport", "load_measurements", "validate"]
