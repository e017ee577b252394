"""``mlsysim zoo`` and ``mlsysim show``: the Zoo's entries and numbers with their provenance."""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

import typer

from .. import escaping
from ..formatting import bounded, stated_quantity, stated_range
from .contract import AS_OF_HELP, Output, as_of_date, dumps, fail, shown

def _number_rows(zoo, record, as_of, policy):
    from ..lineage.status import status_of

    for field, value in record.numbers():
        path = f"{record.path}.{field}" if field else record.path
        provenance = record.provenance_for(field or "value")
        yield path, value, provenance, status_of(provenance, path, as_of=as_of, policy=policy)


def zoo(namespace: Optional[str] = typer.Argument(None, help="Namespace or group, e.g. Hardware or Hardware.Cloud."),
        output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """List Zoo entries with how many of their numbers are verified."""
    from ..errors import MlsysimError
    from ..lineage.policy import FreshnessPolicy
    from ..zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), as_of_date(as_of, output)
    if namespace is not None:
        _check_name(namespace, "NAMESPACE", output)
    try:
        groups = list(registry.groups())
        if namespace:
            registry.resolve(namespace)  # an unknown name fails here, with close matches
            groups = [g for g in groups if g.path == namespace or g.path.startswith(namespace + ".")]
            if not groups:
                fail(f"{shown(namespace)} is not a namespace or group; list them with "
                      "`mlsysim zoo`", output)
    except MlsysimError as exc:
        fail(_cut_echo(str(exc), namespace), output)
    from ..lineage.copies import copy_host_of, load_copy_hosts

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
        fail(f"{what} {shown(name)} is too long for a Zoo name or path (at most "
              f"{MAX_NAME_LENGTH} characters); list the names with `mlsysim zoo`", output)


def _cut_echo(message: str, *inputs: Any) -> str:
    """``message`` with each input it quotes in full cut to a readable length."""
    for value in inputs:
        if isinstance(value, str) and value:
            message = message.replace(repr(value), shown(value))
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


def show(name: str = typer.Argument(..., help="Short name (H100) or path (Hardware.Cloud.H100.memory.bandwidth)."),
         output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
         as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """Show one entry or one number with its provenance."""
    from ..errors import MlsysimError
    from ..lineage.policy import FreshnessPolicy
    from ..zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), as_of_date(as_of, output)
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
            fail(f"{path} is a namespace; use `mlsysim zoo {path}` to list it", output)
        record = registry.namespace(parts[0])[parts[1]].records().get(parts[2])
        if record is None:
            registry.resolve(path)  # raises with close matches
        field = ".".join(parts[3:])
        rows = [row for row in _number_rows(registry, record, today, policy)
                if not field or row[0] == path or row[0].startswith(path + ".")]
        if field and not rows:
            registry.number(path)  # raises: not a number / does not resolve
    except MlsysimError as exc:
        fail(_cut_echo(str(exc), name, head), output)
    bound = getattr(record, "bound", None)  # a scalar its source states only as a bound
    # A range (one source statement, two ends) is shown as one; an alias says what it names.
    whole_range = getattr(record, "range", None) is not None and field in ("", "range")
    alias = name if (path.endswith((".range.low", ".range.high"))
                     and ".range." not in name) else None
    if output is Output.json:
        extra = {}
        if whole_range:
            extra["range"] = {"low": stated_quantity(rows[0][1]), "high": stated_quantity(rows[1][1]),
                              "text": stated_range(rows[0][1], rows[1][1])}
        if getattr(record, "aliases", None):
            extra["aliases"] = {f"{record.path.rpartition('.')[0]}.{a}": f"{record.path}.{f}"
                                for a, f in record.alias_targets().items()}
        if alias:
            extra["alias_of"] = path
        typer.echo(dumps({"path": path, "name": record.name, **extra, "numbers": [
            {"path": p, "value": stated_quantity(v), "status": str(s),
             **({"bound": bound} if bound else {}),
             "provenance": prov.model_dump(mode="json") if prov else None}
            for p, v, prov, s in rows]}, indent=2))
        return
    typer.echo(f"{escaping.terminal(record.name)}  ({record.path})")
    if record.description:
        typer.echo(escaping.terminal(record.description))
    if alias:
        typer.echo(f"  {escaping.terminal(alias)} is an alias of {path}: the "
                   f"{path.rpartition('.')[2]} end of the range {record.as_sourced()}")
    if whole_range:
        (_, low, provenance, status), (_, high, _, _) = rows
        source = escaping.terminal(provenance.short()) if provenance else "no provenance"
        typer.echo(f"  range: {stated_range(low, high)}  [{status}]  {source}")
        for line in _source_lines(provenance) if provenance else ():
            typer.echo(f"      {escaping.terminal(line)}")
        for alias_name, target in record.alias_targets().items():
            typer.echo(f"  alias {record.path.rpartition('.')[0]}.{alias_name} -> {target}")
        return
    for p, value, provenance, status in rows:
        source = escaping.terminal(provenance.short()) if provenance else "no provenance"
        written = bounded(stated_quantity(value), bound)
        typer.echo(f"  {p.removeprefix(record.path + '.')}: {written}  [{status}]  {source}")
        if provenance and (field or len(rows) == 1):  # one number asked for: where it is from
            for line in _source_lines(provenance):
                typer.echo(f"      {escaping.terminal(line)}")


def _source_lines(provenance: Any) -> list[str]:
    """Where one number comes from, for ``mlsysim show PATH``: the primary link, then the
    copy that was read (with the date), where in the source, and the source's own words."""
    lines = [f"source: {provenance.url}"] if provenance.url else []
    evidence = getattr(provenance, "evidence_url", None)
    if evidence:
        retrieved = getattr(provenance, "retrieved", None)
        lines.append(f"read in: {evidence}" + (f" (retrieved {retrieved.isoformat()})" if retrieved else ""))
    if getattr(provenance, "locator", None):
        lines.append(f"where: {provenance.locator}")
    if getattr(provenance, "quote", None):
        lines.append(f"quote: \u201c{provenance.quote}\u201d")
    return lines

