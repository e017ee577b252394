"""The solver base class and the result container they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
        return [(key, _fmt(value)) for key, value in self.values.items()
                if not hasattr(value, "to_dict")]

    def _repr_markdown_(self) -> str:
        from ..display import result_markdown

        return result_markdown(self.solver, self._display_rows(), self.constraint_trace)

    def _repr_html_(self) -> str:
        from ..display import result_html

        return result_html(self.solver, self._display_rows(), self.constraint_trace)

    def __str__(self) -> str:
        lines = [f"{self.solver}:"]
        lines += [f"  {key}: {_fmt(value)}" for key, value in self.values.items()
                  if not hasattr(value, "to_dict")]
        lines += [f"  - {line}" for line in self.constraint_trace]
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    import pint

    if isinstance(value, pint.Quantity):
        unit = f"{value.units:~}"
        if unit in _COMPACTED and value.magnitude:
            value = value.to_compact()
        elif unit in _LADDERS and value.magnitude:
            value = _climb(value, _LADDERS[unit])
        return f"{_number(float(value.magnitude))} {value.units:~}".rstrip()
    if isinstance(value, float):
        return _number(value)
    return str(value)


#: Units shown with an SI prefix picked to fit (12.3 ms, 5.68 TB); others stay as chosen
#: by the solver (MWh, tCO2e, hours).
_COMPACTED = {"s", "B", "B / s", "W", "J", "FLOP", "FLOP / s"}


#: Units whose small values read better one step down (a microcontroller's year is
#: 0.56 kWh, not 0.0005563 MWh): the largest unit giving a magnitude of at least 1 is used.
_LADDERS = {"MWh": ("MWh", "kWh", "Wh"), "tCO2e": ("tCO2e", "kgCO2e", "gCO2e")}


def _climb(value: Any, ladder: tuple[str, ...]) -> Any:
    for unit in ladder:
        converted = value.to(unit)
        if abs(converted.magnitude) >= 1:
            return converted
    return converted


def _number(x: float) -> str:
    """4 significant figures, thousands separated, never exponent notation below 1e12."""
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if abs(x) >= 1e12 or (x and abs(x) < 1e-4):
        return f"{x:.4g}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"
