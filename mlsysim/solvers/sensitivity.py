"""The sensitivity wall: which input moves a solver's answer most.

One-at-a-time sensitivity: every numeric input of a registered solver is moved down and up by
the same share while the others stay put, and the output's two values make one bar of a
tornado chart, longest first.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import pint
from pydantic import Field

from ..engine.checks import is_number
from ..errors import InputError, MlsysimError, shown
from ..formatting import number, quantity
from .base import ForwardModel, SolverResult


class SensitivityResult(SolverResult):
    """A tornado table: each input's low and high value of one output, by swing."""

    solver = "SensitivityModel"

    target: str = Field(description="The solver and output studied, as Solver.output.")
    baseline: float = Field(description="The output at the inputs as given, in ``unit``.")
    unit: str = Field(description="Unit of the output values ('' for a plain number).")
    perturbation: float = Field(description="Share x each input is moved by: to (1 - x) and "
                                            "(1 + x) times its value.")
    tornado: tuple[dict[str, Any], ...] = Field(
        description="One row per numeric input, largest swing first: input, low_input, "
                    "high_input (its values, in its unit), low and high (the output at them; "
                    "None where the solver refused the value), swing = |high - low|.")
    most_sensitive: str = Field(description="The input with the largest swing.")

    def _display_rows(self) -> list[tuple[str, str]]:
        # The tornado rows are the trace's lines, written with units; not repeated as a tuple.
        return [row for row in super()._display_rows() if row[0] != "tornado"]


class SensitivityModel(ForwardModel):
    """Tornado table of one output of any registered solver over its numeric inputs."""

    name = "SensitivityModel"

    def solve(self, solver: Any, output: str, inputs: dict[str, Any],
              perturbation: float = 0.1) -> SensitivityResult:
        """Move each numeric input v of ``solver`` (the ones in ``inputs`` and the numeric
        defaults of its ``solve``) to v(1 - x) and v(1 + x), the others fixed, and read
        ``output`` y; whole-number inputs are rounded (and stay >= 1)::

            swing(v) = |y(v (1 + x)) - y(v (1 - x))|      rows sorted by swing, largest first

        Strings that read as quantities ("30 s") are perturbed too; names, precisions and
        flags are not. A perturbed value the solver refuses leaves that side None, and the
        swing is then measured from the baseline.

        Args:
            solver: A registered solver's name ("ServingModel") or a solver instance.
            output: A numeric field of the solver's result ("itl", "goodput").
            inputs: Keyword arguments of the solver's ``solve`` (the baseline).
            perturbation: Share x in (0, 1) each input is moved by (0.1 = +/-10%).

        Returns:
            SensitivityResult: the baseline, the tornado rows by swing, the most sensitive
            input and the trace.

        Raises:
            InputError: an unknown solver or output, an output that is not a number, inputs
                that are not a mapping, a perturbation outside (0, 1).
        """
        from ..solvers import registry

        if isinstance(solver, str):
            model = registry.get(solver).create()
        elif isinstance(solver, ForwardModel):
            model = solver
        else:
            raise InputError(f"solver must be a registered solver's name or a solver instance, "
                             f"got {shown(solver)}; `mlsysim solvers` lists them",
                             name="solver", value=solver)
        if isinstance(model, SensitivityModel):
            raise InputError("SensitivityModel cannot study itself; name another solver",
                             name="solver", value=solver)
        if not isinstance(inputs, dict):
            raise InputError(f"inputs must be a mapping of {model.name}.solve's keyword "
                             f"arguments, got {shown(inputs)}", name="inputs", value=inputs)
        if not is_number(perturbation) or not 0 < perturbation < 1:
            raise InputError(f"perturbation must be a share in (0, 1), got "
                             f"{shown(perturbation)}; e.g. perturbation=0.1 moves each input "
                             "by +/-10%", name="perturbation", value=perturbation)
        x = float(perturbation)
        base = model.solve(**inputs)
        fields = type(base).model_fields
        if output not in fields or output == "constraint_trace":
            raise InputError(f"{model.name} has no output {shown(output)}; its outputs: "
                             f"{', '.join(name for name in fields if name != 'constraint_trace')}",
                             name="output", value=output)
        baseline, unit = _read(getattr(base, output), output, model.name, None)

        parameters = list(inspect.signature(model.solve).parameters.values())
        candidates = dict(inputs)
        for parameter in parameters:
            if parameter.name not in candidates and _numeric(parameter.default):
                candidates[parameter.name] = parameter.default
        rows, skipped, unmoved, refused = [], [], [], []
        for name, value in candidates.items():
            pair = _perturbed(value, x)
            if pair is None:
                skipped.append(name)
                continue
            if pair[0] == pair[1]:
                unmoved.append(name)
                continue
            outs = []
            for moved in pair:
                try:
                    result = model.solve(**{**inputs, name: moved})
                    outs.append(_read(getattr(result, output), output, model.name, unit)[0])
                except MlsysimError as exc:
                    outs.append(None)
                    refused.append(f"{name} = {_show(moved)}: {str(exc).split(';')[0]}")
            low, high = outs
            defined = [out for out in outs if out is not None]
            swing = (abs(high - low) if len(defined) == 2 else
                     abs(defined[0] - baseline) if defined else 0.0)
            rows.append({"input": name, "low_input": _plain(pair[0]),
                         "high_input": _plain(pair[1]), "low": low, "high": high,
                         "swing": swing})
        if not rows:
            raise InputError(f"{model.name}: no input is numeric and moved by "
                             f"+/-{number(100 * x)}%, so nothing can be perturbed; pass numbers "
                             "or quantities in inputs, or a larger perturbation",
                             name="inputs", value=sorted(inputs))
        rows.sort(key=lambda row: row["swing"], reverse=True)
        trace = [f"{model.name}.{output} = {_out(baseline, unit)} at the inputs given; "
                 f"each numeric input moved by +/-{number(100 * x)}%, one at a time"]
        for row in rows:
            trace.append(f"{row['input']}: {_show(row['low_input'])} -> "
                         f"{_out(row['low'], unit)}, {_show(row['high_input'])} -> "
                         f"{_out(row['high'], unit)}; swing {_out(row['swing'], unit)}")
        if skipped:
            trace.append(f"Not perturbed (not numeric): {', '.join(skipped)}")
        if unmoved:
            trace.append(f"Not perturbed (a whole number that +/-{number(100 * x)}% does not "
                         f"move): {', '.join(unmoved)}")
        for line in refused:
            trace.append(f"Refused by {model.name}: {line}")
        return SensitivityResult(target=f"{model.name}.{output}", baseline=baseline, unit=unit,
                                 perturbation=x, tornado=tuple(rows),
                                 most_sensitive=rows[0]["input"],
                                 constraint_trace=tuple(trace))


def _numeric(value: Any) -> bool:
    return (is_number(value) and math.isfinite(value)) or isinstance(value, pint.Quantity)


def _perturbed(value: Any, x: float) -> tuple[Any, Any] | None:
    """(low, high) of a numeric input, or None for one that is not numeric."""
    if isinstance(value, str):
        from ..units import UnitParseError, parse_quantity

        try:
            value = parse_quantity(value)
        except (UnitParseError, pint.errors.PintError, ValueError):
            return None
    if isinstance(value, pint.Quantity):
        return value * (1 - x), value * (1 + x)
    if not _numeric(value):
        return None
    if isinstance(value, int):
        return max(1, round(value * (1 - x))), max(1, round(value * (1 + x)))
    return value * (1 - x), value * (1 + x)


def _read(value: Any, output: str, solver: str, unit: str | None) -> tuple[float, str]:
    """(magnitude, unit) of an output; InputError when it is not a number."""
    if isinstance(value, pint.Quantity):
        unit = unit if unit is not None else f"{value.units:~}"
        return float(value.m_as(unit)), unit
    if is_number(value):
        return float(value), ""
    raise InputError(f"{solver}.{output} is {shown(value)}, not a number; choose a numeric "
                     "output", name="output", value=output)


def _plain(value: Any) -> Any:
    """An input value for the JSON-safe table: a number, or '<number> <unit>'."""
    if isinstance(value, pint.Quantity):
        return f"{number(float(value.magnitude))} {value.units:~}"
    return value


def _show(value: Any) -> str:
    return value if isinstance(value, str) else number(value)


def _out(value: float | None, unit: str) -> str:
    """An output value for the trace, with its unit; 'refused' for a value the solver refused."""
    from ..units import Quantity

    if value is None:
        return "refused"
    return quantity(Quantity(value, unit)) if unit else number(value)
