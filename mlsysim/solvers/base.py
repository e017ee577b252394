"""What every solver shares: the ``ForwardModel`` interface and the ``SolverResult`` base model.

A solver's result is a frozen pydantic model with one typed, described field per output
(``ServingResult.ttft``, ``ReliabilityResult.goodput``) and the ``constraint_trace`` that
explains it. Field descriptions are written once and shown in the API reference, the
``mlsysim solvers`` listing and the JSON Schema (``ServingResult.model_json_schema()``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pint
from pydantic import BaseModel, ConfigDict, Field

from ..formatting import quantity

#: How the trace line naming the binding wall starts (``walls.binding_line``).
BINDING_PREFIX = "Binding wall: "

#: The annotation of a field holding a pint Quantity (any unit; the description names it).
Quantity = pint.Quantity


class ForwardModel:
    """A solver: given a configuration, predict what it costs. Subclasses define ``solve``,
    returning their own :class:`SolverResult` subclass."""

    name: str = "ForwardModel"

    def solve(self, *args: Any, **kwargs: Any) -> SolverResult:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} does not implement solve()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SolverResult(BaseModel):
    """Named results (Quantities, floats, booleans) with the reasoning behind them.

    Fields are read as attributes (``result.ttft``); ``to_dict`` gives plain numbers for JSON
    (a Quantity as ``{"value", "unit"}``); ``str()``, ``_repr_markdown_`` and ``_repr_html_``
    write each number with :func:`mlsysim.formatting.quantity`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True, extra="forbid")

    #: The solver that produced the result; titles its text, markdown and HTML forms.
    solver: ClassVar[str] = "Solver"

    constraint_trace: tuple[str, ...] = Field(
        default=(), description="Why: one line per step of the computation, each number "
                                "cited by its Zoo path where it came from the Zoo.")

    @classmethod
    def field_descriptions(cls) -> dict[str, str]:
        """Each field's description, the named results first and the trace last."""
        fields = {name: spec.description or "" for name, spec in cls.model_fields.items()
                  if name != "constraint_trace"}
        fields["constraint_trace"] = cls.model_fields["constraint_trace"].description or ""
        return fields

    @property
    def reason(self) -> str:
        """The trace's last step in words, before any closing "Binding wall: ..." line: what
        limited the result (shown by the CLI when a result is infeasible or misses an SLO)."""
        steps = [line for line in self.constraint_trace if not line.startswith(BINDING_PREFIX)]
        return steps[-1] if steps else ""

    @property
    def values(self) -> dict[str, Any]:
        """The named results, in declaration order (the trace left out)."""
        return {name: getattr(self, name) for name in type(self).model_fields
                if name != "constraint_trace"}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: Quantities as ``{"value", "unit"}``, nested results expanded, NaN as None."""
        from ..units import to_jsonable

        out = {key: to_jsonable(value) for key, value in self.values.items()}
        out["constraint_trace"] = list(self.constraint_trace)
        return out

    def _display_rows(self) -> list[tuple[str, str]]:
        return [(key, quantity(value)) for key, value in self.values.items()
                if value is not None and not hasattr(value, "to_dict")]

    def _repr_markdown_(self) -> str:
        from ..display import result_markdown

        return result_markdown(self.solver, self._display_rows(), self.constraint_trace)

    def _repr_html_(self) -> str:
        from ..display import result_html

        return result_html(self.solver, self._display_rows(), self.constraint_trace)

    def __str__(self) -> str:
        lines = [f"{self.solver}:"]
        lines += [f"  {key}: {text}" for key, text in self._display_rows()]
        lines += [f"  - {line}" for line in self.constraint_trace]
        return "\n".join(lines)
