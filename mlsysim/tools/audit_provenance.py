"""Audit the Zoo's provenance: ``python -m mlsysim.tools.audit_provenance --scope all --strict``.

Runs every gate of ``mlsysim.lineage.gates.GATES`` that has something to check:
``--scan PATH`` adds gate 6 over documents, ``--appendix DIR`` gate 7 over committed
appendix tables; ``--lock-derived`` records the derived numbers' inputs for gate 5
(after a person checked them). Prints one sorted line per finding
(``path: [gate] problem — fix``), then a summary naming the gates that ran. Exit
codes: 0 clean (or findings without --strict), 1 errors under --strict, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..lineage.gates import in_order

if TYPE_CHECKING:
    from ..lineage.audit import AuditReport


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of must be a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from ..zoo.registry import NAMESPACES

    parser = argparse.ArgumentParser(
        prog="python -m mlsysim.tools.audit_provenance",
        description="Check that every Zoo number has valid, fresh provenance: every lineage "
                    "gate that has something to check, in order.")
    parser.add_argument("--scope", default="all",
                        help=f"'all' or comma-separated namespaces: {', '.join(NAMESPACES)}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any gate fails")
    parser.add_argument("--as-of", type=_date, default=None,
                        help="date to measure verification age from (default: today)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="audit a Zoo data folder other than the one shipped in the package")
    parser.add_argument("--scan", type=Path, action="append", default=[], metavar="PATH",
                        help="a .qmd/.md/.tex/.ipynb file or folder whose Zoo paths gate 6 checks "
                             "(repeatable)")
    parser.add_argument("--appendix", type=Path, default=None, metavar="DIR",
                        help="a folder of committed appendix tables (`mlsysim appendix build` "
                             "output) that gate 7 compares with the registry")
    parser.add_argument("--tables", type=Path, default=None, metavar="FILE",
                        help="the table declaration those tables were built from "
                             "(default: the shipped one)")
    parser.add_argument("--lock-derived", action="store_true",
                        help="record every derived number with its inputs as confirmed (gate 5), "
                             "after checking them; then audit")
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..zoo.registry import NAMESPACES, Zoo
    from ..lineage.audit import audit_zoo

    parser = build_parser()
    args = parser.parse_args(argv)
    scope = None
    if args.scope != "all":
        scope = [part.strip() for part in args.scope.split(",") if part.strip()]
        unknown = [name for name in scope if name not in NAMESPACES]
        if unknown:
            parser.error(f"--scope: unknown namespace(s) {', '.join(unknown)}; "
                         f"use 'all' or some of {', '.join(NAMESPACES)}")
    if args.data_dir is not None and not (args.data_dir / "namespaces.yaml").is_file():
        parser.error(f"--data-dir: {args.data_dir} holds no namespaces.yaml; "
                     "point it at a Zoo data folder")
    problem = appendix_problem(args.appendix, args.tables)
    if problem:
        parser.error(problem)
    zoo = Zoo(args.data_dir)
    if args.lock_derived:
        from ..errors import ZooError
        from ..lineage.audit import lock_derived

        try:
            file, count = lock_derived(zoo)
        except ZooError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"Recorded {count} derived numbers and their inputs in {file}")
    report = audit_zoo(zoo, as_of=args.as_of, scope=scope, documents=args.scan,
                       appendix=args.appendix, appendix_tables=args.tables)
    for finding in report.findings:
        print(finding.line())
    if report.due_warning():
        print(f"warning: {report.due_warning()}")
    print(summary(report, scanned=bool(args.scan), appendix=args.appendix))
    return 1 if report.errors and args.strict else 0


def summary(report: "AuditReport", *, scanned: bool = False, appendix: Path | None = None) -> str:
    """The audit's last line: OK or FAILED, what was checked, and the gates that ran."""
    errors, warnings = len(report.errors), len(report.warnings)
    where = f"{report.numbers} numbers in {report.entries} entries, as of {report.as_of.isoformat()}"
    also = [part for part, given in (("the documents scanned", scanned),
                                     (f"the appendix tables in {appendix}", appendix is not None))
            if given]
    checked = where + "".join(f" and {part}" for part in also)
    if errors:
        failed = in_order(finding.gate for finding in report.errors)
        return (f"FAILED: {errors} error(s) (gates: {', '.join(failed)}), {warnings} warning(s) "
                f"in {checked}")
    return f"OK: {checked} pass {report.passed()}; {warnings} warning(s)"


def appendix_problem(appendix: Path | None, tables: Path | None, *,
                     appendix_option: str = "--appendix", tables_option: str = "--tables") -> str | None:
    """Why gate 7 cannot run on ``appendix`` and ``tables`` (one line with the fix), or None."""
    if appendix is not None and not appendix.is_dir():
        what = "is a file, not a folder" if appendix.exists() else "does not exist"
        return (f"{appendix_option} {appendix} {what}; give the folder of committed appendix "
                f"tables (write it with `mlsysim appendix build --out {appendix}`)")
    if tables is not None and not tables.is_file():
        return (f"{tables_option} {tables} does not exist; give the table declaration the "
                "appendix was built from, or leave it out to use the shipped one")
    return None


if __name__ == "__main__":
    sys.exit(main())
