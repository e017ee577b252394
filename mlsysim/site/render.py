"""Render the Zoo site's Markdown (and its charts and JSON export) into a docs folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import posixpath
from collections import Counter
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pint.errors import DimensionalityError
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from .. import escaping
from ..errors import MlsysimError
from ..lineage.expiry import EXPIRY_HORIZON_DAYS, due_date, falling_due
from ..lineage.status import Status, status_of
from .changes import Snapshot, compare, snapshot
from .charts import has_roofline, roofline_context
from ..appendix.render import BINARY_COUNTERPART  # GiB stays GiB in a GB column, as in the appendix
from .citation import bibliography, bibtex_entry, csl_json
from .wall_pages import wall_pages
from ..formatting import join_range
from .pages import SECTION_TITLES, SiteModel, format_value, group_digits, relative, short_label, sort_key

ATTENTION = (Status.STALE, Status.UNVERIFIED, Status.ESTIMATE)


def yaml_string(text: object) -> Markup:
    """Text as one double-quoted YAML scalar (JSON is YAML), for a page's front matter."""
    return Markup(json.dumps(escaping.one_line(text), ensure_ascii=True))


def template_loader(overrides: Path | None = None) -> BaseLoader:
    """The shipped templates, behind a project's folder of overrides when given."""
    shipped = PackageLoader("mlsysim.templates", "")
    return ChoiceLoader([FileSystemLoader(overrides), shipped]) if overrides else shipped


def environment(overrides: Path | None = None) -> Environment:
    """Templates of Markdown pages: every ``{{ value }}`` is shown literally (escaped for
    Markdown and HTML) unless a filter says what it is: ``block`` (prose paragraphs),
    ``href`` (a link target), ``code`` (a Zoo path in a code span) or ``attr`` (a tooltip)."""
    env = Environment(loader=template_loader(overrides), autoescape=True,
                      finalize=escaping.markdown_inline, keep_trailing_newline=True,
                      undefined=StrictUndefined)
    env.filters.update(block=escaping.markdown_block, href=escaping.href, code=escaping.code,
                       attr=escaping.html_attribute, yaml=yaml_string, pre=escaping.html_pre,
                       path=escaping.breakable_code)
    return env


def svg_environment(overrides: Path | None = None) -> Environment:
    """Templates of SVG charts: XML-escaped values."""
    return Environment(loader=template_loader(overrides), autoescape=True,
                       keep_trailing_newline=True, undefined=StrictUndefined)


#: The Zoo's sources for reference managers, at the site's root.
BIBTEX_FILE = "sources.bib"
CSL_FILE = "sources.csl.json"


def render_docs(model: SiteModel, templates: Path | None = None,
                previous: Snapshot | None = None) -> dict[str, str]:
    """Every generated file under the docs folder: relative path -> text.

    ``templates`` is a folder of overrides laid out like the shipped ``templates/``
    (``site/entry.md.j2``, ...); ``previous`` is what a previous build exported, for the
    changes page."""
    env, svg = environment(templates), svg_environment(templates)
    files: dict[str, str] = {}
    files["index.md"] = env.get_template("site/home.md.j2").render(**_home(model))
    files["status.md"] = env.get_template("site/status.md.j2").render(**_status(model))
    for namespace in model.zoo.namespaces():
        page = f"zoo/{namespace.path}/index.md"
        files[page] = env.get_template("site/namespace.md.j2").render(**_namespace(model, namespace, page))
    for info in model.groups:
        group = info["group"]
        if info["layout"] == "table":
            files[info["page"]] = env.get_template("site/table_group.md.j2").render(**_table(model, info))
            continue
        csv_name = group.path.lower().replace(".", "-") + ".csv"
        csv_page = posixpath.join(posixpath.dirname(info["page"]), csv_name)
        files[csv_page] = group_csv(model, info)
        files[info["page"]] = env.get_template("site/group.md.j2").render(
            path=group.path, description=group.spec.description, csv=csv_name, csv_name=csv_name,
            meta=f"{group.path}: {len(info['entries'])} entries compared, every number with "
                 "its source and status.",
            **_index_rows(model, info, info["page"]))
        for entry in info["entries"]:
            context = _entry(model, entry)
            if group.spec.schema.endswith(":HardwareNode") and has_roofline(entry["record"]):
                chart = entry["page"][:-3] + "-roofline.svg"
                files[chart] = svg.get_template("site/roofline.svg.j2").render(
                    **roofline_context(entry["record"]))
                context["chart"] = relative(entry["page"], chart)
            files[entry["page"]] = env.get_template("site/entry.md.j2").render(**context)
    files["sources/index.md"] = env.get_template("site/sources_index.md.j2").render(
        sources=[_source_row(model, s, "sources/index.md") for s in _sorted_sources(model)],
        bib_href=relative("sources/index.md", BIBTEX_FILE), csl_href=relative("sources/index.md", CSL_FILE))
    for source in model.sources.values():
        files[source.page] = env.get_template("site/source.md.j2").render(**_source(model, source))
    files["zoo.json"] = export_json(model)
    files.update(wall_pages(model, env))
    files["changes.md"] = env.get_template("site/changes.md.j2").render(
        **_changes(model, previous, snapshot(json.loads(files["zoo.json"]))))
    cited = [(key, source.record) for key, source in sorted(model.sources.items())]
    files[BIBTEX_FILE] = bibliography(cited)
    files[CSL_FILE] = csl_json(cited)
    return files


def write_docs(files: dict[str, str], docs_dir: Path) -> None:
    """Write each file under ``docs_dir``; a name that would leave it raises UnsafeText."""
    root = docs_dir.resolve()
    for relative_path, text in sorted(files.items()):
        target = (docs_dir / relative_path).resolve()
        if Path(relative_path).is_absolute() or not target.is_relative_to(root):
            raise escaping.UnsafeText(f"refusing to write {relative_path!r}: it is outside the docs folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


# -- contexts ------------------------------------------------------------------
def _status_rows(model: SiteModel) -> list[dict[str, Any]]:
    return [{"name": s.value, "css": s.css_class, "meaning": s.meaning, "count": n}
            for s, n in model.status_counts()]


def _home(model: SiteModel) -> dict[str, Any]:
    namespaces = []
    for namespace in model.zoo.namespaces():
        numbers = [n for n in model.numbers if n.path.split(".")[0] == namespace.path]
        entries = [e for e in model.entries if e["record"].path.split(".")[0] == namespace.path]
        namespaces.append({"name": namespace.path, "href": f"zoo/{namespace.path}/index.md",
                           "entries": len(entries), "numbers": len(numbers),
                           "verified": sum(n.status is Status.VERIFIED for n in numbers)})
    return {"as_of": model.as_of.isoformat(), "total_entries": len(model.entries),
            "total_numbers": len(model.numbers), "namespaces": namespaces,
            "statuses": _status_rows(model), "license": data_license(),
            "zoo_json": "zoo.json", "bib": BIBTEX_FILE, "csl": CSL_FILE,
            "meta": f"The mlsysim Zoo: {len(model.numbers)} numbers of ML hardware, models and "
                    f"systems in {len(model.entries)} entries, each with its source, the date it "
                    f"was checked and its status, as of {model.as_of.isoformat()}."}


def data_license() -> dict[str, str]:
    """The licence the Zoo's records are distributed under: the package's own (its
    ``License-Expression``), since the records ship inside it."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        expression = metadata("mlsysim").get("License-Expression") or ""
    except PackageNotFoundError:
        expression = ""
    if not expression:
        raise MlsysimError("mlsysim's package metadata states no licence (License-Expression); "
                           "install it (pip install -e .) so the downloads can say theirs")
    return {"id": expression, "url": f"https://spdx.org/licenses/{expression}.html"}


def _due(model: SiteModel, record, path: str) -> tuple[dt.date | None, str]:
    """(the date a verification expires under the freshness policy, the rule), or None."""
    return due_date(record, path, model.policy)


def expiring(model: SiteModel) -> list:
    """The Verified numbers falling due within EXPIRY_HORIZON_DAYS (``lineage.expiry.Due``)."""
    return falling_due(((n.path, n.source.record) for n in model.numbers), as_of=model.as_of,
                       policy=model.policy)


def _status(model: SiteModel) -> dict[str, Any]:
    def line(n) -> dict[str, Any]:
        return {"path": n.path, "href": relative("status.md", n.link), "value": n.shown,
                "unit": n.unit, "ref": n.source.record.ref, "short": short_label(n.source.record.ref),
                "source_href": relative("status.md", n.source.page)}

    attention = [{"name": status.value, "anchor": status.value.lower(),
                  "count": sum(n.status is status for n in model.numbers)} for status in ATTENTION]
    needing = [{**line(n), "status": n.status.value,
                "css": n.status.css_class}
               for status in ATTENTION for n in model.numbers if n.status is status]
    horizon = model.as_of + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    rows = [{**line(model.by_path[d.path]), "verified": d.verified.isoformat(),
             "expires": d.due.isoformat()} for d in expiring(model)]
    kinds = ", ".join(f"{kind} {days} days" for kind, days in sorted(model.policy.kinds.items()))
    return {"as_of": model.as_of.isoformat(), "statuses": _status_rows(model), "attention": attention,
            "rows": needing,
            "horizon": EXPIRY_HORIZON_DAYS, "horizon_date": horizon.isoformat(), "expiring": rows,
            "policy_text": f"The freshness policy gives each kind of source a maximum age: {kinds}. "
                           "A verified number past its age becomes Stale and fails the build.",
            "meta": f"Status of the Zoo's {len(model.numbers)} numbers as of {model.as_of.isoformat()}: "
                    "counts per badge, numbers due for re-verification, unverified and estimated numbers."}


def _changes(model: SiteModel, previous: Snapshot | None, current: Snapshot) -> dict[str, Any]:
    changes = compare(previous, current) if previous is not None else []
    rows = [{"path": c.path, "kind": c.kind, "old_value": c.old_value, "new_value": c.new_value,
             "old_verified": c.old_verified, "new_verified": c.new_verified,
             "href": relative("changes.md", model.by_path[c.path].link)
             if c.path in model.by_path else ""} for c in changes]
    kinds = Counter(c.kind for c in changes)
    counts = ", ".join(f"{kinds[kind]} {label}" for kind, label in (
        ("value", "changed value"), ("verification", "re-verified or changed verification"),
        ("added", "added"), ("removed", "removed")) if kinds[kind])
    since = f" since the build for {previous.as_of}" if previous is not None else ""
    return {"compared": previous is not None, "previous_as_of": previous.as_of if previous else "",
            "changes": rows, "counts": counts,
            "meta": f"Changes to the mlsysim Zoo's numbers{since}: "
                    f"{len(changes)} numbers changed value or verification."
                    if previous is not None else
                    "Changes to the mlsysim Zoo's numbers between builds (none recorded yet)."}


#: A qualifier in a comparison cell is cut to this many characters (the entry page has it whole).
QUALIFIER_CELL_CHARS = 14


def _columns(model: SiteModel, info: dict[str, Any]) -> list[dict[str, Any]]:
    """One column per key field, in the unit most of its entries use (others converted)."""
    columns = []
    for key in info["group"].spec.key_fields:
        units = Counter(f"{n.quantity.units:~}" for entry in info["entries"] for n in entry["numbers"]
                        if n.field == key and hasattr(n.quantity, "units"))
        unit = units.most_common(1)[0][0] if units else ""
        columns.append({"key": key, "label": key.replace("_", " ").replace(".", " "),
                        "unit_name": unit, "unit": unit.replace(" ", "")})
    return columns


def _cell(model: SiteModel, number, column: dict[str, Any], from_page: str) -> dict[str, Any]:
    if number.high:  # a range: both ends as stated, one badge, sorted by its low end
        record = number.source.record
        when = f", verified {record.verified.isoformat()}" if record.verified else ""
        unit = "" if number.unit == column["unit"] else f" {number.unit}"
        return {"value": f"{number.shown}{unit}".strip(), "sort": sort_key(number.quantity.low),
                "qualifier": "",
                "badge": {"symbol": number.status.symbol, "css": number.status.css_class,
                          "title": f"{number.status.value}: {record.kind.value}: {record.ref}{when}",
                          "href": relative(from_page, number.source.page)}}
    value = number.quantity
    binary = hasattr(value, "units") and f"{value.units:~}" in BINARY_COUNTERPART.values()
    if column["unit_name"] and hasattr(value, "units") and not binary:
        try:
            value = value.to(column["unit_name"])
        except DimensionalityError:  # a column whose entries disagree in dimension keeps each unit
            pass
    text, unit = format_value(value)
    shown = group_digits(text) + ("" if unit == column["unit"] else f" {unit}")
    record = number.source.record
    when = f", verified {record.verified.isoformat()}" if record.verified else ""
    return {"value": shown.strip(), "sort": sort_key(number.quantity), "qualifier": short_label(number.qualifier, QUALIFIER_CELL_CHARS),
            "badge": {"symbol": number.status.symbol, "css": number.status.css_class,
                      "title": f"{number.status.value}: {record.kind.value}: {record.ref}{when}",
                      "href": relative(from_page, number.source.page)}}


def _index_rows(model: SiteModel, info: dict[str, Any], from_page: str) -> dict[str, Any]:
    columns = _columns(model, info)
    rows, seen = [], set()
    for entry in info["entries"]:
        by_field = {n.field: n for n in entry["numbers"]}
        cells = []
        for column in columns:
            number = by_field.get(column["key"])
            cells.append(_cell(model, number, column, from_page) if number else {"badge": None})
            if number:
                seen.add(number.status)
        rows.append({"name": entry["record"].name, "href": relative(from_page, entry["page"]),
                     "cells": cells})
    legend = [{"symbol": s.symbol, "name": s.value} for s in Status if s in seen]
    return {"columns": [{"label": c["label"], "unit": c["unit"]} for c in columns], "rows": rows,
            "legend": legend}


def group_csv(model: SiteModel, info: dict[str, Any]) -> str:
    """One group's numbers as CSV: a row per number with value, unit, status, source and date."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "entry", "field", "value", "unit", "qualifier", "status", "source",
                     "verified", "url"])
    for entry in info["entries"]:
        for n in entry["numbers"]:
            record = n.source.record
            value = join_range(n.value, n.high) if n.high else n.value
            writer.writerow([n.path, entry["record"].name, n.field, value, n.unit, n.qualifier,
                             n.status.value,
                             n.source.key, record.verified.isoformat() if record.verified else "",
                             escaping.safe_url(record.url) or ""])
    return out.getvalue()


def _namespace(model: SiteModel, namespace: Any, page: str) -> dict[str, Any]:
    groups = []
    for info in model.groups:
        if info["group"].path.split(".")[0] != namespace.path:
            continue
        groups.append({"name": info["group"].spec.name, "description": info["group"].spec.description,
                       "href": relative(page, info["page"]), **_index_rows(model, info, page)})
    return {"name": namespace.path, "description": namespace.description, "groups": groups,
            "meta": f"The {namespace.path} namespace of the Zoo: "
                    + ", ".join(g["name"] for g in groups) + "."}


def _example(number) -> dict[str, Any]:
    return {"entry": number.entry_path, "parts": number.python, "value": number.shown,
            "unit": number.unit}


def _entry(model: SiteModel, entry: dict[str, Any]) -> dict[str, Any]:
    record, page = entry["record"], entry["page"]
    sections: dict[str, list] = {}
    cards = []
    for number in entry["numbers"]:
        head = number.field.split(".")[0] if "." in number.field else ""
        row = model.row(number, page)
        row["short"] = short_label(row["ref"])
        row["card"] = CARD_ANCHOR.format(number.anchor)
        sections.setdefault(head, []).append(row)
        cards.append(_card(model, number, row, page))
    ordered = sorted(sections.items(), key=lambda item: list(SECTION_TITLES).index(item[0])
                     if item[0] in SECTION_TITLES else len(SECTION_TITLES))
    sources = {n.source.key: (n.source, n.path) for n in entry["numbers"]}
    by_field = {n.field: n for n in entry["numbers"]}
    group = next(info for info in model.groups if entry in info["entries"])
    example = next((by_field[k] for k in group["group"].spec.key_fields if k in by_field),
                   entry["numbers"][0] if entry["numbers"] else None)
    parts = [part for part in entry["key"].split("_") if part]
    headline = ", ".join(f"{n.field} {n.shown} {n.unit}".strip() for n in
                         [by_field[k] for k in group["group"].spec.key_fields if k in by_field][:3])
    return {
        "name": record.name, "path": record.path, "key": entry["key"], "description": record.description or "",
        # Search indexes tags with the highest weight. The parts of the short name, not the
        # name itself: a search for "H100" also matches the token "h100_pcie" by prefix, and
        # that rarer token would outrank the H100 page. Split, every page sharing "H100"
        # scores alike, and a slightly lower boost per extra part puts the page whose short
        # name is exactly the query first.
        "tags": parts, "boost": f"{max(2.0, 4 - 0.1 * (len(parts) - 1)):g}",
        "key_numbers": [{"label": n.field.replace("_", " ").replace(".", " "), "value": n.shown,
                         "unit": n.unit, "qualifier": n.qualifier, "href": f"#{n.anchor}"}
                        for n in [by_field[k] for k in group["group"].spec.key_fields if k in by_field]],
        "group": group["group"].path, "group_href": relative(page, group["page"]),
        "chart": "", "example": _example(example) if example else None,
        "meta": f"{record.name} ({record.path}) in the mlsysim Zoo"
                + (f": {headline}" if headline else "") + ". Every number with its source and status.",
        "sections": [{"title": SECTION_TITLES.get(head, head.replace("_", " ").title()), "rows": rows}
                     for head, rows in ordered],
        "sources": [_source_row(model, s, page, path) for s, path in sources.values()],
        "cards": cards,
    }


#: The id of a number's citation card on its entry page (its row keeps the field's anchor).
CARD_ANCHOR = "cite-{}"


def _card(model: SiteModel, number, row: dict[str, Any], page: str) -> dict[str, Any]:
    """Everything about one number, for its citation card: value, badge, the primary source
    and the copy read, dates, locator and quote, inputs, and how to use it in Python and
    Quarto; the source's BibTeX is on its page."""
    return {**_source_row(model, number.source, page, number.path),
            "anchor": row["card"], "field": number.field, "value": row["value"],
            "unit": row["unit"], "qualifier": row["qualifier"], "badge": row["badge"],
            "short": row["short"], "inputs": row["inputs"],
            "python": {"entry": number.entry_path, "parts": number.python}}


def _table(model: SiteModel, info: dict[str, Any]) -> dict[str, Any]:
    page = info["page"]
    rows, first = [], None
    for entry in info["entries"]:
        for number in entry["numbers"]:
            row = model.row(number, page)
            row["entry"] = entry["record"].name
            row["short"] = short_label(row["ref"])
            rows.append(row)
            first = first or number
    return {"path": info["group"].path, "description": info["group"].spec.description, "rows": rows,
            "example": _example(first) if first else None,
            "meta": f"{info['group'].path}: {len(rows)} numbers of the mlsysim Zoo, each with its "
                    "source and status."}


def _sorted_sources(model: SiteModel):
    return sorted(model.sources.values(), key=lambda s: (s.record.ref.lower(), s.key))


def _source_row(model: SiteModel, source, from_page: str, path: str = "") -> dict[str, Any]:
    record = source.record
    due, _ = _due(model, record, path or min((n.path for n in source.citing), default=""))
    retrieved = getattr(record, "retrieved", None)
    return {"ref": record.ref, "href": relative(from_page, source.page), "kind": record.kind.value,
            "verified": record.verified.isoformat() if record.verified else "not yet",
            "count": len(source.citing), "url": escaping.safe_url(record.url) or "",
            "evidence_url": escaping.safe_url(getattr(record, "evidence_url", None)) or "",
            "retrieved": retrieved.isoformat() if retrieved else "",
            "locator": getattr(record, "locator", None) or "", "quote": getattr(record, "quote", None) or "",
            "expires": due.isoformat() if due else ""}


def _source(model: SiteModel, source) -> dict[str, Any]:
    record, page = source.record, source.page
    first_path = min((n.path for n in source.citing), default="")
    status = status_of(record, first_path, as_of=model.as_of, policy=model.policy)
    due, rule = _due(model, record, first_path)
    inputs = []
    for path in record.inputs:
        target = model.by_path.get(path)
        inputs.append({"path": path, "href": relative(page, target.link) if target else ""})
    row = _source_row(model, source, page, first_path)
    return {
        **row, "status": status.value, "css": status.css_class,
        "verified": record.verified.isoformat() if record.verified else "not yet",
        "policy": rule, "id": record.id or "", "notes": record.notes or "", "inputs": inputs,
        "bibtex": escaping.html_pre(bibtex_entry(source.key, record)),
        "bib_href": relative(page, BIBTEX_FILE), "csl_href": relative(page, CSL_FILE),
        "meta": f"Source record: {record.ref} ({record.kind.value}), " + _cited_by(source) + ".",
        "citing": [{"path": n.path, "href": relative(page, n.link), "value": n.shown, "unit": n.unit}
                   for n in sorted(source.citing, key=lambda n: n.path)],
    }


def _cited_by(source) -> str:
    """Who cites a source, in its page's description: distinct records often share a ref
    (one formula behind many derived numbers), the numbers citing them never."""
    paths = sorted(n.path for n in source.citing)
    if not paths:
        return f"record {source.key} of the mlsysim Zoo, cited by no number yet"
    if len(paths) == 1:
        return f"the source of {paths[0]} in the mlsysim Zoo"
    return f"cited by {len(paths)} numbers of the mlsysim Zoo, {paths[0]} first"


def _numeric(text: str) -> float | None:
    """A number's value as a JSON number (in its ``unit``); ``value`` keeps the source's digits."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def export_json(model: SiteModel) -> str:
    """The whole Zoo with provenance: entries, every number with its value as stated (text,
    the source's digits), as a JSON number, its unit and its source; every record."""
    entries = []
    for entry in model.entries:
        record = entry["record"]
        entries.append({
            "path": record.path, "name": record.name, "description": record.description,
            "fields": record.model_dump(mode="json"),
            "numbers": [{"path": n.path, "value": n.value, "number": _numeric(n.value),
                         "unit": n.unit, "qualifier": n.qualifier,
                         **({"bound": n.bound} if n.bound else {}),
                         **({"value": join_range(n.value, n.high), "number": None,
                             "range": {"low": n.value, "high": n.high,
                                       "low_number": _numeric(n.value),
                                       "high_number": _numeric(n.high)},
                             "aliases": n.aliases} if n.high else {}),
                         "status": n.status.value, "source": n.source.key}
                        for n in entry["numbers"]],
        })
    sources = {key: source.record.model_dump(mode="json") for key, source in sorted(model.sources.items())}
    return json.dumps({"as_of": model.as_of.isoformat(), "license": data_license(),
                       "entries": entries, "sources": sources},
                      separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["render_docs", "write_docs", "export_json", "format_value"]

