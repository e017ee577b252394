"""The solver base class and the result container they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..formatting import quantity


class ForwardModel:
    """A solver: given a configuration, predict what it costs. Subclasses define ``solve``."""

    name: str = "ForwardModel"

    def solve(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} does not implement solve()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass(frozen=True)
class SolverResult:
    """Named results (Quantities, floats, booleans) with the reasoning behind them.

    Fields are read as attributes (``result.ttft``); ``to_dict`` gives plain
    numbers in SI units for JSON.
    """

    solver: str
    values: dict[str, Any]
    constraint_trace: tuple[str, ...] = field(default=())

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        raise AttributeError(f"{object.__getattribute__(self, 'solver')} result has no {name!r}; "
                             f"it has {', '.join(values)}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.values))

    def to_dict(self) -> dict[str, Any]:
        from ..units import to_jsonable

        out = {key: to_jsonable(value) for key, value in self.values.items()}
        out["constraint_trace"] = list(self.constraint_trace)
        return out

    def _display_rows(self) -> list[tuple[str, str]]:
        return [(key, quantity(value)) for key, value in self.values.items()
                if not hasattr(value, "to_dict")]

    def _repr_markdown_(self) -> str:
        from ..display import result_markdown

        return result_markdown(self.solver, self._display_rows(), self.constraint_trace)

    def _repr_html_(self) -> str:
        from ..display import result_html

        return result_html(self.solver, self._display_rows(), self.constraint_trace)

    def __str__(self) -> str:
        lines = [f"{self.solver}:"]
        lines += [f"  {key}: {quantity(value)}" for key, value in self.values.items()
                  if not hasattr(value, "to_dict")]
        lines += [f"  - {line}" for line in self.constraint_trace]
        return "\n".join(lines)
