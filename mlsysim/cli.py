"""The ``mlsysim`` command line.

Commands here cover the Zoo (``zoo``, ``show``) and the provenance audit; ``cli_solvers``
adds ``eval``, ``serve``, ``schema`` and ``validate``, ``appendix.cli`` the appendix tables.

Exit codes, for every command: 0 success, 1 bad input (an unknown option or name, a value
out of range, a bad plan file, a failed strict audit), 2 out of memory (``eval``, ``serve``),
3 a constraint, SLA or assert failed. An error is one line on stderr starting ``error:``;
with ``-o json`` (or ``--output json``) on the command line, stdout holds exactly one JSON
document instead, errors included (``{"error": ..., "exit_code": 1}``). JSON output is
standard JSON: a number that is not finite is written as null. :func:`main` runs the
commands under this contract (the ``mlsysim`` script and ``python -m mlsysim`` call it); so
does ``app()``, through :class:`ContractGroup`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
from collections import Counter
from enum import Enum
from typing import Any, Optional

import typer

from . import escaping
from .formatting import stated_quantity
from typer.core import TyperGroup

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_INFEASIBLE = 2
EXIT_CONSTRAINT = 3

#: Set this environment variable to see the traceback of an internal error (a bug).
TRACEBACK_VARIABLE = "MLSYSIM_TRACEBACK"


class ContractGroup(TyperGroup):
    """The top-level command group: parses and runs every command under the exit-code
    contract (see the module doc), also when called as ``app()`` or by a test runner."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        # Messages name the command as users type it, however it was launched.
        sys.exit(run(self, args, prog_name="mlsysim", complete_var=complete_var, **extra))


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=ContractGroup,
                  help="mlsysim: first-order ML systems simulator and its provenance-tracked Zoo.")


class Output(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def main(argv: list[str] | None = None) -> int:
    """Run the ``mlsysim`` command line on ``argv`` (default ``sys.argv[1:]``) and return its
    exit code (0 ok, 1 bad input, 2 out of memory, 3 a constraint or assert failed)."""
    return run(typer.main.get_command(app), argv, prog_name="mlsysim")


def run(command: Any, argv: Any = None, *, prog_name: str = "mlsysim", **extra: Any) -> int:
    """Run a click ``command`` without click's own error handling and map what it raises to
    the exit-code contract: one ``error:`` line on stderr, or one JSON document on stdout
    when ``-o json`` is on the command line."""
    from .errors import MlsysimError

    errors = _click_errors()
    args = [str(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    try:
        result = command.main(args=args, prog_name=prog_name, standalone_mode=False, **extra)
    except errors.NoArgsIsHelpError as exc:  # a group run without its command: its help
        if exc.format_message().strip():  # (typer has printed it already)
            typer.echo(exc.format_message(), err=True)
        return EXIT_BAD_INPUT
    except errors.UsageError as exc:
        message = _usage_message(exc, args)
    except errors.ClickException as exc:
        message = exc.format_message()
    except (getattr(errors, "Abort", typer.Abort), typer.Abort):
        message = "aborted"
    except MlsysimError as exc:
        message = str(exc)
    except Exception as exc:  # a bug: say so in one line instead of a traceback
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        message = (f"internal error ({type(exc).__name__}: {exc}); this is a bug in mlsysim, "
                   f"please report it with the command line ({TRACEBACK_VARIABLE}=1 shows the "
                   "traceback)")
    else:
        return result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK
    _print_error(message, _json_requested(args), EXIT_BAD_INPUT)
    return EXIT_BAD_INPUT


def _click_errors() -> Any:
    """The exceptions module of the click typer runs on (recent typer vendors its own copy)."""
    try:
        from typer._click import exceptions
    except ImportError:  # older typer: the click package itself
        from click import exceptions
    return exceptions


def _json_requested(args: list[str]) -> bool:
    """Whether ``-o json`` / ``--output json`` (or ``--output=json``, ``-ojson``) is given."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        following = args[index + 1].lower() if index + 1 < len(args) else ""
        if (arg in ("-o", "--output") and following == "json") or \
                arg.lower() in ("--output=json", "-ojson", "-o=json"):
            return True
    return False


def _usage_message(exc: Any, args: list[str]) -> str:
    """A click usage error as one line naming the command, the option, the value and the fix."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "mlsysim"
    message = exc.format_message().replace("Value error, ", "").strip().rstrip(".")
    param = getattr(exc, "param", None)
    if isinstance(exc, _click_errors().BadParameter) and param is not None:
        raw = _raw_value(args, param)
        if raw is not None:
            message = message.replace(repr(raw), _shown(raw))
            if _shown(raw) not in message:
                message += f" (got {_shown(raw)})"
    return f"{path}: {message}; see `{path} --help`"


def _raw_value(args: list[str], param: Any) -> str | None:
    """The text given on the command line for option ``param`` (its last occurrence)."""
    found = None
    names = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
    if not names or not all(name.startswith("-") for name in names):
        return None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        for name in names:
            if arg == name and index + 1 < len(args):
                found = args[index + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                found = arg[len(name) + 1:]
            elif len(name) == 2 and arg.startswith(name) and len(arg) > 2 \
                    and not arg.startswith("--"):
                found = arg[2:]
    return found


def _shown(value: Any) -> str:
    from .errors import shown

    return shown(value)


#: Longest run of non-space characters an error line shows; longer runs (an echoed input)
#: are cut with their length named.
_TOKEN_LIMIT = 120
_LONG_TOKEN = re.compile(r"\S{%d,}" % (_TOKEN_LIMIT + 1))


def one_line(message: str) -> str:
    """``message`` as one terminal-safe line (escaping.terminal: no control characters), with
    any very long run of characters cut."""
    text = escaping.terminal(message)
    return _LONG_TOKEN.sub(lambda m: f"{m.group(0)[:_TOKEN_LIMIT - 1]}… "
                                     f"({len(m.group(0))} characters)", text)


def finite(value: Any) -> Any:
    """``value`` with every float that is not finite (NaN, infinity) replaced by None, through
    dicts, lists and tuples, so the result is standard JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def dumps(document: Any, **kwargs: Any) -> str:
    """Standard JSON (no NaN or Infinity: those become null)."""
    return json.dumps(finite(document), allow_nan=False, **kwargs)


def _print_error(message: str, as_json: bool, code: int) -> None:
    line = one_line(message)
    if as_json:
        typer.echo(dumps({"error": line, "exit_code": code}))
    else:
        typer.echo(f"error: {line}", err=True)


def _fail(message: str, output: Output, code: int = 1) -> None:
    _print_error(message, output is Output.json, code)
    raise typer.Exit(code)


def _as_of(text: str | None, output: Output) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of must be a date YYYY-MM-DD, got {_shown(text)}; e.g. --as-of "
              f"{dt.date.today().isoformat()}", output)


AS_OF_HELP = "Date to judge freshness on, YYYY-MM-DD (default today)."


def _number_rows(zoo, record, as_of, policy):
    from .lineage.status import status_of

    for field, value in record.numbers():
        path = f"{record.path}.{field}" if field else record.path
        provenance = record.provenance_for(field or "value")
        yield path, value, provenance, status_of(provenance, path, as_of=as_of, policy=policy)


@app.command()
def zoo(namespace: Optional[str] = typer.Argument(None, help="Namespace or group, e.g. Hardware or Hardware.Cloud."),
        output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """List Zoo entries with how many of their numbers are verified."""
    from .errors import MlsysimError
    from .lineage.policy import FreshnessPolicy
    from .zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), _as_of(as_of, output)
    if namespace is not None:
        _check_name(namespace, "NAMESPACE", output)
    try:
        groups = list(registry.groups())
        if namespace:
            registry.resolve(namespace)  # an unknown name fails here, with close matches
            groups = [g for g in groups if g.path == namespace or g.path.startswith(namespace + ".")]
            if not groups:
                _fail(f"{_shown(namespace)} is not a namespace or group; list them with "
                      "`mlsysim zoo`", output)
    except MlsysimError as exc:
        _fail(_cut_echo(str(exc), namespace), output)
    from .lineage.copies import copy_host_of, load_copy_hosts

    hosts = load_copy_hosts()
    rows = []
    for group in groups:
        for record in group.records().values():
            numbers = list(_number_rows(registry, record, today, policy))
            counts = Counter(str(row[3]) for row in numbers)
            primary = sum(1 for _path, _value, provenance, status in numbers
                          if str(status) == "Verified" and copy_host_of(provenance.url, hosts) is None)
            rows.append({"path": record.path, "name": record.name, "numbers": sum(counts.values()),
                         "verified": counts.get("Verified", 0), "verified_primary": primary,
                         "status": dict(sorted(counts.items()))})
    namespaces = _namespace_counts(rows)
    if output is Output.json:
        typer.echo(dumps({"entries": rows, "namespaces": namespaces}, indent=2))
        return
    if output is Output.markdown:
        typer.echo("| path | name | numbers | verified |\n|---|---|---|---|")
        for row in rows:
            typer.echo(f"| {row['path']} | {escaping.pandoc_inline(escaping.terminal(row['name']))} | "
                       f"{row['numbers']} | {row['verified']} |")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Zoo: {namespace or 'all namespaces'}", expand=True)
    table.add_column("path", overflow="fold", ratio=5)
    table.add_column("name", overflow="fold", ratio=3)
    table.add_column("numbers", justify="right", no_wrap=True)
    table.add_column("verified", justify="right", no_wrap=True)
    table.add_column("statuses", overflow="fold", ratio=3)
    for row in rows:
        statuses = ", ".join(f"{k} {v}" for k, v in row["status"].items())
        table.add_row(row["path"], escaping.rich_text(row["name"]), str(row["numbers"]),
                      str(row["verified"]), statuses)
    console.print(table)
    summary = Table(title="Per namespace")
    for column in ("namespace", "entries", "numbers", "verified", "verified share",
                   "evidence-backed verified", "verified with primary url"):
        summary.add_column(column, justify="left" if column == "namespace" else "right")
    for name, n in namespaces.items():
        summary.add_row(name, str(n["entries"]), str(n["numbers"]), str(n["verified"]),
                        _share(n["verified"], n["numbers"]),
                        f"{n['verified']}/{n['evidence_backed']} ({_share(n['verified'], n['evidence_backed'])})",
                        f"{n['verified_primary']}/{n['verified']} ({_share(n['verified_primary'], n['verified'])})")
    console.print(summary)
    total = sum(n["numbers"] for n in namespaces.values())
    verified = sum(n["verified"] for n in namespaces.values())
    backed = sum(n["evidence_backed"] for n in namespaces.values())
    primary = sum(n["verified_primary"] for n in namespaces.values())
    typer.echo(f"{len(rows)} entries, {total} numbers, {verified} verified ({_share(verified, total)} "
               f"of all; {_share(verified, backed)} of the {backed} that cite a datasheet, paper "
               f"or report); {primary} of the verified ({_share(primary, verified)}) cite a primary "
               "url, not a known copy host")


#: Longest name or path the Zoo commands look up; longer text is refused at once.
MAX_NAME_LENGTH = 200


def _check_name(name: str, what: str, output: Output) -> None:
    if len(name) > MAX_NAME_LENGTH:
        _fail(f"{what} {_shown(name)} is too long for a Zoo name or path (at most "
              f"{MAX_NAME_LENGTH} characters); list the names with `mlsysim zoo`", output)


def _cut_echo(message: str, *inputs: Any) -> str:
    """``message`` with each input it quotes in full cut to a readable length."""
    for value in inputs:
        if isinstance(value, str) and value:
            message = message.replace(repr(value), _shown(value))
    return message


#: Statuses of numbers that cite evidence (a datasheet, paper or report), checked or not.
EVIDENCE_STATUSES = ("Verified", "Stale", "Unverified")


def _namespace_counts(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Per namespace: counts, the verified share of all numbers, and the share of verified
    numbers whose url is a primary source (not on a known copy host)."""
    counts: dict[str, dict[str, Any]] = {}
    for row in rows:
        n = counts.setdefault(row["path"].split(".")[0],
                              {"entries": 0, "numbers": 0, "verified": 0, "evidence_backed": 0,
                               "verified_primary": 0})
        n["entries"] += 1
        n["numbers"] += row["numbers"]
        n["verified"] += row["verified"]
        n["evidence_backed"] += sum(row["status"].get(s, 0) for s in EVIDENCE_STATUSES)
        n["verified_primary"] += row.get("verified_primary", 0)
    for n in counts.values():
        n["verified_share"] = round(n["verified"] / n["numbers"], 4) if n["numbers"] else None
        n["primary_url_share"] = (round(n["verified_primary"] / n["verified"], 4)
                                  if n["verified"] else None)
    return counts


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


@app.command()
def show(name: str = typer.Argument(..., help="Short name (H100) or path (Hardware.Cloud.H100.memory.bandwidth)."),
         output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
         as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """Show one entry or one number with its provenance."""
    from .errors import MlsysimError
    from .lineage.policy import FreshnessPolicy
    from .zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), _as_of(as_of, output)
    _check_name(name, "NAME", output)
    head, _, rest = name.partition(".")
    try:
        if head in ("Hardware", "Models", "Systems", "Infrastructure", "Ops", "Scenarios",
                    "ReferenceStats", "Literature"):
            path = registry.canonical(name)
        else:
            path = registry.lookup(head) + (f".{rest}" if rest else "")
        parts = path.split(".")
        if len(parts) < 3:
            _fail(f"{path} is a namespace; use `mlsysim zoo {path}` to list it", output)
        record = registry.namespace(parts[0])[parts[1]].records().get(parts[2])
        if record is None:
            registry.resolve(path)  # raises with close matches
        field = ".".join(parts[3:])
        rows = [row for row in _number_rows(registry, record, today, policy)
                if not field or row[0] == path or row[0].startswith(path + ".")]
        if field and not rows:
            registry.number(path)  # raises: not a number / does not resolve
    except MlsysimError as exc:
        _fail(_cut_echo(str(exc), name, head), output)
    if output is Output.json:
        typer.echo(dumps({"path": path, "name": record.name, "numbers": [
            {"path": p, "value": stated_quantity(v), "status": str(s),
             "provenance": prov.model_dump(mode="json") if prov else None}
            for p, v, prov, s in rows]}, indent=2))
        return
    typer.echo(f"{escaping.terminal(record.name)}  ({record.path})")
    if record.description:
        typer.echo(escaping.terminal(record.description))
    for p, value, provenance, status in rows:
        source = escaping.terminal(provenance.short()) if provenance else "no provenance"
        typer.echo(f"  {p.removeprefix(record.path + '.')}: {stated_quantity(value)}  [{status}]  {source}")
        if provenance and provenance.url and field:
            typer.echo(f"      {escaping.terminal(provenance.url)}")


site_app = typer.Typer(no_args_is_help=True, help="Build the Zoo website.")
app.add_typer(site_app, name="site")


def _register_appendix() -> None:
    from .appendix.cli import appendix_app

    app.add_typer(appendix_app, name="appendix",
                  help="Build or check the textbook appendix tables (.qmd and .tex).")


_register_appendix()


@site_app.command("build")
def site_build(out: str = typer.Option("build/site", "--out", help="Folder to write the site to."),
               strict: bool = typer.Option(True, "--strict/--no-strict",
                                           help="Stop on any lineage error (default)."),
               as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
               scan: list[str] = typer.Option(
                   [], "--scan", help="A .qmd/.md/.tex/.ipynb file or folder whose Zoo paths gate 6 "
                   "checks (repeatable; adds to [tool.mlsysim.site] scan)."),
               appendix: Optional[str] = typer.Option(
                   None, "--appendix", help="Folder of committed appendix tables gate 7 checks "
                   "(default: [tool.mlsysim.site] appendix, if set)."),
               tables: Optional[str] = typer.Option(
                   None, "--tables", help="Table declaration of those tables (default: "
                   "[tool.mlsysim.site] appendix_tables, else the shipped one)."),
               data_dir: Optional[str] = typer.Option(
                   None, "--data-dir", help="A Zoo data folder of your own (default: "
                   "[tool.mlsysim.site] data_dir, else the Zoo shipped with mlsysim)."),
               config: bool = typer.Option(True, "--config/--no-config",
                                           help="Read [tool.mlsysim.site] from the nearest "
                                           "pyproject.toml (default).")) -> None:
    """Run lineage gates 1-7, render the Zoo and build the site with MkDocs Material.

    A project's [tool.mlsysim.site] may add its own MkDocs configuration (mkdocs),
    hand-written pages (pages), template overrides (templates) and Zoo (data_dir).
    """
    from pathlib import Path

    from rich.console import Console

    from .appendix.tables import DECLARATION_FILE
    from .errors import MlsysimError
    from .site.build import OutFolderError, SiteBuildError, build_site
    from .site.config import SiteConfig, find_config, load_config

    console = Console(stderr=True)
    date = _as_of(as_of, Output.text)
    try:
        settings = load_config(find_config()) if config else SiteConfig()
    except MlsysimError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    documents = [*settings.scan, *map(Path, scan)]
    committed = Path(appendix) if appendix else settings.appendix
    declaration = Path(tables) if tables else (settings.appendix_tables or DECLARATION_FILE)
    zoo_folder = Path(data_dir) if data_dir else settings.data_dir
    if settings.file and settings.model_dump(exclude={"file"}, exclude_defaults=True):
        typer.echo(f"Using [tool.mlsysim.site] from {settings.file}", err=True)
    try:
        zoo = None
        if zoo_folder is not None:
            from .zoo.registry import MANIFEST_FILE, Zoo

            if not (zoo_folder / MANIFEST_FILE).is_file():
                raise SiteBuildError(f"--data-dir {zoo_folder} holds no {MANIFEST_FILE}; give a "
                                     "Zoo data folder (laid out like mlsysim/zoo/data)")
            zoo = Zoo(zoo_folder)
        with console.status("Building the Zoo site") as status:
            summary = build_site(out, zoo=zoo, as_of=date, strict=strict,
                                 progress=lambda step: status.update(step), documents=documents,
                                 appendix=committed, appendix_tables=declaration,
                                 mkdocs_config=settings.mkdocs, pages=settings.pages,
                                 templates=settings.templates)
    except SiteBuildError as exc:
        for finding in exc.findings:
            typer.echo(finding.line())
        untouched = "" if isinstance(exc, OutFolderError) else f"; {out} was left as it was"
        typer.echo(f"error: {exc}{untouched}", err=True)
        raise typer.Exit(1)
    for finding in summary.findings:
        typer.echo(f"warning: {finding.line()}")
    typer.echo(summary.line())


@app.command()
def audit(strict: bool = typer.Option(False, "--strict", help="Exit 1 when any gate fails."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default today)."),
          scope: str = typer.Option("all", "--scope", help="'all' or comma-separated namespaces."),
          scan: list[str] = typer.Option([], "--scan", help="A .qmd/.md/.tex/.ipynb file or folder "
                                         "whose Zoo paths gate 6 checks (repeatable)."),
          lock_derived: bool = typer.Option(False, "--lock-derived",
                                            help="After you checked the derived numbers against "
                                            "their inputs: record them for gate 5, then audit.")) -> None:
    """Run the provenance audit (lineage gates 1-6; gate 6 only with --scan)."""
    from .tools.audit_provenance import main
    from .zoo.registry import NAMESPACES

    if as_of is not None:
        _as_of(as_of, Output.text)  # a bad date: one error line, exit 1
    if scope != "all":
        unknown = [part.strip() for part in scope.split(",")
                   if part.strip() and part.strip() not in NAMESPACES]
        if unknown or not scope.strip(","):
            named = ", ".join(map(_shown, unknown)) or _shown(scope)
            _fail(f"--scope: unknown namespace(s) {named}; use 'all' or some of "
                  f"{', '.join(NAMESPACES)}, comma-separated", Output.text)
    argv = ["--scope", scope] + (["--strict"] if strict else []) + (["--as-of", as_of] if as_of else [])
    argv += [arg for path in scan for arg in ("--scan", path)]
    argv += ["--lock-derived"] if lock_derived else []
    raise typer.Exit(main(argv))


def _register_solver_commands() -> None:
    from . import cli_solvers  # noqa: F401  (registers eval, serve, validate on app)


_register_solver_commands()


if __name__ == "__main__":  # python -m mlsysim.cli: run the package module's main,
    from mlsysim.cli import main as _package_main  # on whose app the solver commands registered

    sys.exit(_package_main())
