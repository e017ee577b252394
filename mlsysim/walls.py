"""The 22 walls: the constraints the textbook organises ML systems around, as data.

Each wall has a number, a name, one of six domains (node, data, algorithm, fleet,
operations, analysis), the constraint in one sentence, the equation that states it, and
the solver that resolves it (a name in :mod:`mlsysim.solvers.registry`, ``"Engine"`` for
:meth:`mlsysim.Engine.solve`, or None where no solver does yet). The list lives in
``mlsysim/walls.yaml``; ``mlsysim walls`` prints it and the site has a page of it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import MlsysimError, UnknownNameError

WALLS_FILE = Path(__file__).with_name("walls.yaml")

#: The six domains, in the order the taxonomy lists them.
DOMAINS = ("node", "data", "algorithm", "fleet", "operations", "analysis")

#: The solver name that stands for Engine.solve (it is not in the solver registry).
ENGINE = "Engine"


class WallsError(MlsysimError, ValueError):
    """``walls.yaml`` does not describe 22 well-formed walls."""


class WallExample(BaseModel):
    """A worked example of a wall: the solver's ``solve`` keyword arguments and the result
    fields to show. A string naming a Zoo entry ("Models.Language.Llama3_8B") is passed as
    the name (solvers resolve names); a string starting with a digit ("20 ms") becomes a
    quantity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: dict[str, Any] = Field(description="Keyword arguments of the solver's solve().")
    show: tuple[str, ...] = Field(min_length=1, description="Result fields the example shows.")


class Wall(BaseModel):
    """One wall: what limits a system, the equation, and the solver that resolves it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1, description="Its place in the taxonomy, 1 to 22.")
    key: str = Field(pattern=r"^[a-z][a-z_]*$", description="Short identifier (memory, tail_latency).")
    name: str = Field(min_length=1, description="Its name as the book prints it.")
    domain: Literal[DOMAINS] = Field(description="One of the six domains.")
    constraint: str = Field(min_length=1, description="What limits the system, in one sentence.")
    equation: str = Field(min_length=1, description="The first-order equation that states it.")
    solver: str | None = Field(description="The solver that resolves it; None where none does yet.")
    example: WallExample | None = Field(
        default=None, description="A worked example, computed wherever it is shown (site, CLI).")

    @model_validator(mode="after")
    def _example_needs_a_solver(self) -> "Wall":
        if self.example is not None and self.solver is None:
            raise ValueError(f"wall {self.number} has an example but no solver to run it")
        return self


class Walls(BaseModel):
    """The whole taxonomy, numbered 1 to 22 without gaps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    walls: tuple[Wall, ...]

    @model_validator(mode="after")
    def _numbered_and_unique(self) -> "Walls":
        numbers = [wall.number for wall in self.walls]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"walls must be numbered 1, 2, ... in order, got {numbers}")
        keys = [wall.key for wall in self.walls]
        if len(set(keys)) != len(keys):
            raise ValueError("wall keys must be unique")
        return self


@functools.lru_cache(maxsize=1)
def walls() -> tuple[Wall, ...]:
    """The walls, in order, each checked; a solver name must be registered (or Engine)."""
    from .solvers import registry
    from .zoo.yaml_io import read_yaml

    try:
        taxonomy = Walls.model_validate(read_yaml(WALLS_FILE))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise WallsError(f"{WALLS_FILE.name}: {where}: {first['msg']}") from None
    known = set(registry.names()) | {ENGINE}
    for wall in taxonomy.walls:
        if wall.solver is not None and wall.solver not in known:
            raise WallsError(f"{WALLS_FILE.name}: wall {wall.number} ({wall.name}) names solver "
                             f"{wall.solver!r}, which is not registered; use one of "
                             f"{', '.join(sorted(known))} or null")
    return taxonomy.walls


def wall(name: str) -> Wall:
    """A wall by number ("7"), key ("tail_latency") or name ("Tail latency wall")."""
    wanted = name.strip().lower().replace(" ", "_").removesuffix("_wall")
    for item in walls():
        if wanted in (str(item.number), item.key, item.name.lower().replace(" ", "_").removesuffix("_wall")):
            return item
    raise UnknownNameError(f"{name[:60]!r} is not a wall; give a number 1-22 or a key such as "
                           f"{', '.join(w.key for w in walls()[:4])} (list them with `mlsysim walls`)",
                           name=name[:60])


def binding_line(key: str, why: str = "") -> str:
    """The trace line naming the wall that binds a result, by its number and name:
    ``Binding wall: 2. Memory wall (why)``. ``key`` is a wall's key (memory, batching)."""
    from .solvers.base import BINDING_PREFIX

    item = wall(key)
    return f"{BINDING_PREFIX}{item.number}. {item.name}" + (f" ({why})" if why else "")


@dataclass(frozen=True)
class WorkedExample:
    """A wall's example, computed: what went in, what came out, why, and the Zoo it read."""

    wall: Wall
    inputs: tuple[tuple[str, str], ...]    # (parameter, value as shown)
    outputs: tuple[tuple[str, str, str], ...]  # (field, value as shown, field description)
    trace: tuple[str, ...]
    zoo_paths: tuple[str, ...]             # Zoo entries and numbers named by inputs or trace


def run_example(item: Wall) -> WorkedExample:
    """Run ``item``'s example with its solver; a WallsError names the wall when it fails."""
    from .formatting import quantity
    from .units import parse_quantity

    if item.example is None or item.solver is None:
        raise WallsError(f"wall {item.number} ({item.name}) has no worked example; add an "
                         f"`example:` to it in {WALLS_FILE.name}")
    arguments = {name: _argument(value, parse_quantity) for name, value in item.example.inputs.items()}
    try:
        result, fields = _solve(item.solver, arguments)
    except MlsysimError as exc:
        raise WallsError(f"{WALLS_FILE.name}: wall {item.number} ({item.name}): its example "
                         f"failed in {item.solver}: {exc}") from None
    except TypeError as exc:
        raise WallsError(f"{WALLS_FILE.name}: wall {item.number} ({item.name}): its example "
                         f"does not match {item.solver}.solve(): {exc}") from None
    outputs = []
    for name in item.example.show:
        if name not in fields:
            raise WallsError(f"{WALLS_FILE.name}: wall {item.number} ({item.name}): `show` names "
                             f"{name!r}, which {item.solver}'s result does not have; choose from "
                             f"{', '.join(sorted(fields))}")
        outputs.append((name, quantity(getattr(result, name)), fields[name]))
    trace = tuple(getattr(result, "constraint_trace", ()) or ())
    named = [value for value in item.example.inputs.values() if isinstance(value, str)]
    from .lineage.references import references_in  # the one finder of Zoo paths in text

    paths = [ref.text for line in (*named, *trace) for ref in references_in("example", line)]
    return WorkedExample(
        wall=item, inputs=tuple((name, _shown_input(value)) for name, value in item.example.inputs.items()),
        outputs=tuple(outputs), trace=trace, zoo_paths=tuple(dict.fromkeys(paths)))


def _argument(value: Any, parse_quantity) -> Any:
    if isinstance(value, str) and value[:1].isdigit():
        return parse_quantity(value)
    if isinstance(value, dict):
        return {key: _argument(inner, parse_quantity) for key, inner in value.items()}
    return value


def _shown_input(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}={_shown_input(inner)}" for key, inner in value.items())
    return str(value)


def _solve(solver: str, arguments: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The result of ``solver`` on ``arguments`` and its fields' descriptions."""
    if solver == ENGINE:
        from .engine.engine import Engine
        from .engine.profile import FIELDS

        return Engine.solve(**arguments), FIELDS
    from .solvers import registry

    record = registry.get(solver)
    result = record.create().solve(**arguments)
    return result, record.result.field_descriptions()
