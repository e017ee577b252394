"""``mlsysim walls``: the 22 walls, their equations and the solvers that resolve them."""

from __future__ import annotations

from typing import Optional

import typer

from ..escaping import terminal
from .contract import Output, dumps


def walls_command(
        name: Optional[str] = typer.Argument(None, help="A wall's number, key or name (7, "
                                                        "tail_latency): show it alone."),
        output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown")) -> None:
    """The 22 walls: the constraint each states, its equation and the solver that resolves it."""
    from ..walls import run_example, wall, walls

    chosen = walls() if name is None else (wall(name),)  # an unknown name: the contract's error line
    if output is Output.json:
        typer.echo(dumps([item.model_dump() for item in chosen]))
        return
    if output is Output.markdown:
        typer.echo("| # | wall | domain | equation | solver |\n|---:|---|---|---|---|")
        for item in chosen:
            typer.echo(f"| {item.number} | {item.name} | {item.domain} | `{item.equation}` | "
                       f"{item.solver or 'not yet'} |")
        return
    for item in chosen:
        solver = item.solver or "no solver yet"
        typer.echo(f"{item.number:>2}. {item.name} ({item.domain}) -> {solver}")
        if name is not None or len(chosen) == 1:
            typer.echo(f"    {item.constraint}\n    {item.equation}")
            if item.example is not None:
                worked = run_example(item)
                inputs = terminal(", ".join(f"{key}={value}" for key, value in worked.inputs))
                typer.echo(f"    Worked example: {item.solver}({inputs})")
                for field, value, _ in worked.outputs:
                    typer.echo(f"      {field}: {terminal(value)}")
    if name is None:
        resolved = sum(1 for item in chosen if item.solver)
        typer.echo(f"{resolved} of {len(chosen)} walls have a solver; `mlsysim walls NAME` shows one "
                   "with its equation")
