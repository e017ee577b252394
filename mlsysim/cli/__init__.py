"""The ``mlsysim`` command line.

Every command lives in one module of this package and is registered below, explicitly, in
the order ``mlsysim --help`` lists them: :mod:`.zoo` (``zoo``, ``show``), :mod:`.solvers`
(``eval``, ``serve``, ``solvers``, ``schema``, ``validate``), :mod:`.lineage` (``audit``,
``site build``) and :mod:`.appendix` (``appendix build|check|render``). Importing a command
module registers nothing; only this file puts commands on :data:`app`. All of them follow
one exit-code contract (:mod:`.contract`): 0 success, 1 bad input, 2 out of memory, 3 a
constraint, SLA or assert failed; with ``-o json`` stdout holds exactly one JSON document.
"""

from __future__ import annotations

import typer

from . import appendix, lineage, solvers, walls, zoo
from .contract import (EXIT_BAD_INPUT, EXIT_CONSTRAINT, EXIT_INFEASIBLE, EXIT_OK, ContractGroup,
                       Output, dumps, one_line, run)

app = typer.Typer(add_completion=False, no_args_is_help=True, cls=ContractGroup,
                  help="mlsysim: first-order ML systems simulator and its provenance-tracked Zoo.")

#: (name, function) of every top-level command, in the order they are registered.
COMMANDS = (
    ("zoo", zoo.zoo),
    ("show", zoo.show),
    ("eval", solvers.eval_command),
    ("serve", solvers.serve_command),
    ("solvers", solvers.solvers_command),
    ("schema", solvers.schema_command),
    ("validate", solvers.validate_command),
    ("walls", walls.walls_command),
    ("audit", lineage.audit),
)
for _name, _function in COMMANDS:
    app.command(_name)(_function)

site_app = typer.Typer(no_args_is_help=True, help="Build the Zoo website.")
site_app.command("build")(lineage.site_build)
app.add_typer(site_app, name="site")
appendix_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Textbook appendix tables (Quarto .qmd and LaTeX) rendered from "
                                "the Zoo.")
for _name, _function in (("build", appendix.build), ("check", appendix.check),
                         ("render", appendix.render)):
    appendix_app.command(_name)(_function)
app.add_typer(appendix_app, name="appendix",
              help="Build or check the textbook appendix tables (.qmd and .tex).")


def main(argv: list[str] | None = None) -> int:
    """Run the ``mlsysim`` command line on ``argv`` (default ``sys.argv[1:]``) and return its
    exit code (0 ok, 1 bad input, 2 out of memory, 3 a constraint or assert failed)."""
    return run(typer.main.get_command(app), argv, prog_name="mlsysim")


__all__ = ["COMMANDS", "appendix_app", "EXIT_BAD_INPUT", "EXIT_CONSTRAINT", "EXIT_INFEASIBLE", "EXIT_OK",
           "Output", "app", "dumps", "main", "one_line"]

from . import optimize  # noqa: E402

optimize_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Search a design space: parallelism, batching, placement, "
                                "synthesis.")
for _name, _function in optimize.COMMANDS:
    optimize_app.command(_name)(_function)
app.add_typer(optimize_app, name="optimize",
              help="Best configuration, Pareto front and what was ruled out: parallelism, "
                   "batching, placement, or synthesis (cheapest hardware meeting targets).")
