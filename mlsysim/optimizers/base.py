"""What the optimizers' results share: a SolverResult whose tables (fronts, candidates) are
shown as counts in text, markdown and HTML, and in full in ``to_dict``."""

from __future__ import annotations

from ..formatting import quantity
from ..solvers.base import SolverResult


class OptimizerResult(SolverResult):
    """A search's answer: the best configuration, its front and what was ruled out."""

    solver = "Optimizer"

    def _display_rows(self) -> list[tuple[str, str]]:
        rows = []
        for key, value in self.values.items():
            if value is None or hasattr(value, "to_dict"):
                continue
            if isinstance(value, tuple) and value and isinstance(value[0], dict):
                rows.append((key, f"{len(value)} rows (to_dict() lists them)"))
            elif isinstance(value, dict):
                rows.append((key, ", ".join(f"{k} {quantity(v)}" for k, v in value.items()
                                            if not k.endswith("_path")) or "none"))
            else:
                rows.append((key, quantity(value)))
        return rows
