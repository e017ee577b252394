"""Shared fixtures: a writable copy of the shipped Zoo, and a fixed audit date."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import mlsysim
from mlsysim.zoo.registry import DEFAULT_DATA_ROOT

#: Audits in tests measure age from this date so results do not drift with the calendar.
AS_OF = dt.date(2026, 11, 22)
PACKAGE_DIR = Path(mlsysim.__file__).parent


@pytest.fixture
def zoo_data(tmp_path: Path) -> Path:
    """A copy of the shipped Zoo data folder that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_ROOT, target)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the whole mlsysim package; returns the folder to put on PYTHONPATH."""
    root = tmp_path / "site"
    shutil.copytree(PACKAGE_DIR, root / "mlsysim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root
