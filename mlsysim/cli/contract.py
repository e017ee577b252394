"""The command line's contract, shared by every command.

Exit codes, for every command: 0 success, 1 bad input (an unknown option or name, a value
out of range, a bad plan file, a failed strict audit), 2 out of memory (``eval``, ``serve``),
3 a constraint, SLA or assert failed. An error is one line on stderr starting ``error:``;
with ``-o json`` (or ``--output json``) on the command line, stdout holds exactly one JSON
document instead, errors included (``{"error": ..., "exit_code": 1}``). JSON output is
standard JSON: a number that is not finite is written as null. :func:`run` maps what a
command raises to that contract; :class:`ContractGroup` makes ``app()`` do the same.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
from enum import Enum
from typing import Any

import typer
from typer.core import TyperGroup

from .. import escaping

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


class Output(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def run(command: Any, argv: Any = None, *, prog_name: str = "mlsysim", **extra: Any) -> int:
    """Run a click ``command`` without click's own error handling and map what it raises to
    the exit-code contract: one ``error:`` line on stderr, or one JSON document on stdout
    when ``-o json`` is on the command line."""
    from ..errors import MlsysimError

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
            message = message.replace(repr(raw), shown(raw))
            if shown(raw) not in message:
                message += f" (got {shown(raw)})"
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


def shown(value: Any) -> str:
    from ..errors import shown as echo

    return echo(value)


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


def fail(message: str, output: Output, code: int = 1) -> None:
    _print_error(message, output is Output.json, code)
    raise typer.Exit(code)


def as_of_date(text: str | None, output: Output) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of must be a date YYYY-MM-DD, got {shown(text)}; e.g. --as-of "
              f"{dt.date.today().isoformat()}", output)


AS_OF_HELP = "Date to judge freshness on, YYYY-MM-DD (default today)."


def finish(result: Any, output: Output, headline: str, code: int, reason: str) -> None:
    """Print a solver's ``result`` (JSON with ``exit_code``, markdown under a bold headline,
    or text) and exit with ``code``; a non-zero code also names ``reason`` on stderr as
    "infeasible: ..." (exit 2) or "constraint violated: ..." (exit 3)."""
    if output is Output.json:
        document = result.to_dict()
        document["exit_code"] = code
        typer.echo(dumps(document))
    elif output is Output.markdown:
        typer.echo(f"**{headline}**\n\n{result._repr_markdown_()}")
    else:
        typer.echo(f"{headline}\n{result}")
    if code:
        if output is not Output.json:
            typer.echo(("infeasible: " if code == EXIT_INFEASIBLE else "constraint violated: ")
                       + reason, err=True)
        raise typer.Exit(code)
