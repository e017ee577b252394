"""The 22 walls: the constraints the textbook organises ML systems around, as data.

Each wall has a number, a name, one of six domains (node, data, algorithm, fleet,
operations, analysis), the constraint in one sentence, the equation that states it, and
the solver that resolves it (a name in :mod:`mlsysim.solvers.registry`, ``"Engine"`` for
:meth:`mlsysim.Engine.solve`, or None where no solver does yet). The list lives in
``mlsysim/walls.yaml``; ``mlsysim walls`` prints it and the site has a page of it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import MlsysimError, UnknownNameError

WALLS_FILE = Path(__file__).with_name("walls.yaml")

#: The six domains, in the order the taxonomy lists them.
DOMAINS = ("node", "data", "algorithm", "fleet", "operations", "analysis")

#: The solver name that stands for Engine.solve (it is not in the solver registry).
ENGINE = "Engine"


class WallsError(MlsysimError, ValueError):
    """``walls.yaml`` does not describe 22 well-formed walls."""


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
    example: dict | None = Field(default=None, description="A worked example: `inputs` (keyword "
                                 "arguments of the solver's solve, Zoo paths and quantities as "
                                 "strings) and `show` (result fields to display).")


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
