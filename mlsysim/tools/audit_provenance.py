"""Audit the Zoo's provenance: ``python -m mlsysim.tools.audit_provenance --scope all --strict``.

``--scan PATH`` adds gate 6 over documents; ``--lock-derived`` records the derived
numbers' inputs for gate 5 (after a person checked them). Prints one sorted line
per finding (``path: [gate] problem — fix``), then a summary. Exit codes: 0 clean
(or findings without --strict), 1 errors under --strict, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of must be a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from ..zoo.registry import NAMESPACES

    parser = argparse.ArgumentParser(
        prog="python -m mlsysim.tools.audit_provenance",
        description="Check that every Zoo number has valid, fresh provenance (lineage gates 1-6).")
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
    report = audit_zoo(zoo, as_of=args.as_of, scope=scope, documents=args.scan)
    for finding in report.findings:
        print(finding.line())
    errors, warnings = len(report.errors), len(report.warnings)
    where = f"{report.numbers} numbers in {report.entries} entries, as of {report.as_of.isoformat()}"
    if errors:
        print(f"FAILED: {errors} error(s), {warnings} warning(s) in {where}")
    else:
        scanned = " and the documents scanned" if args.scan else ""
        print(f"OK: {where}{scanned} pass lineage gates 1-6, consistency and plausibility; "
              f"{warnings} warning(s)")
    return 1 if errors and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
