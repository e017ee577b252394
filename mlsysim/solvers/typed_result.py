"""A typed, frozen result model for solvers: documented fields, a constraint trace, plain-SI
``to_dict`` and the one number formatter in ``__str__`` and notebooks.

The serving-capacity and tail-latency solvers return subclasses of :class:`TypedResult`;
each field carries a ``description`` (shown in the API docs and JSON Schema).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..formatting import quantity


class TypedResult(BaseModel):
    """Base of a solver's result: subclasses declare their fields with descriptions."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    #: Title shown by ``__str__`` and in notebooks (the solver's name).
    solver: ClassVar[str] = "Solver"

    constraint_trace: tuple[str, ...] = Field(
        default=(), description="Why: one line per step, walls named (\"KV-cache wall: ...\").")

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields
                if name != "constraint_trace"}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: Quantities as ``{"value", "unit"}`` in SI units, nested
        results expanded, the trace as a list."""
        from ..units import to_jsonable

        out = {name: to_jsonable(value) for name, value in self._values().items()}
        out["constraint_trace"] = list(self.constraint_trace)
        return out

    def _display_rows(self) -> list[tuple[str, str]]:
        return [(name, quantity(value)) for name, value in self._values().items()
                if value is not None and not hasattr(value, "to_dict")]

    def __str__(self) -> str:
        lines = [f"{self.solver}:"]
        lines += [f"  {name}: {text}" for name, text in self._display_rows()]
        lines += [f"  - {line}" for line in self.constraint_trace]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        from ..display import result_markdown

        return result_markdown(self.solver, self._display_rows(), self.constraint_trace)

    def _repr_html_(self) -> str:
        from ..display import result_html

        return result_html(self.solver, self._display_rows(), self.constraint_trace)
