"""Render the Zoo site's Markdown (and its charts and JSON export) into a docs folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from .. import escaping
from ..lineage.status import Status, status_of
from .charts import has_roofline, roofline_context
from .pages import SECTION_TITLES, SiteModel, format_value, relative

ATTENTION = (Status.STALE, Status.UNVERIFIED, Status.ESTIMATE)


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
                       attr=escaping.html_attribute)
    return env


def svg_environment(overrides: Path | None = None) -> Environment:
    """Templates of SVG charts: XML-escaped values."""
    return Environment(loader=template_loader(overrides), autoescape=True,
                       keep_trailing_newline=True, undefined=StrictUndefined)


def render_docs(model: SiteModel, templates: Path | None = None) -> dict[str, str]:
    """Every generated file under the docs folder: relative path -> text.

    ``templates`` is a folder of overrides laid out like the shipped ``templates/``
    (``site/entry.md.j2``, ...)."""
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
        files[info["page"]] = env.get_template("site/group.md.j2").render(
            path=group.path, description=group.spec.description,
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
        sources=[_source_row(s, "sources/index.md") for s in _sorted_sources(model)])
    for source in model.sources.values():
        files[source.page] = env.get_template("site/source.md.j2").render(**_source(model, source))
    files["zoo.json"] = export_json(model)
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
            "statuses": _status_rows(model)}


def _status(model: SiteModel) -> dict[str, Any]:
    attention = []
    for status in ATTENTION:
        numbers = [{"path": n.path, "href": relative("status.md", n.link), "value": n.value,
                    "unit": n.unit, "ref": n.source.record.ref,
                    "source_href": relative("status.md", n.source.page)}
                   for n in model.numbers if n.status is status]
        attention.append({"name": status.value, "numbers": numbers})
    return {"as_of": model.as_of.isoformat(), "statuses": _status_rows(model), "attention": attention}


def _index_rows(model: SiteModel, info: dict[str, Any], from_page: str) -> dict[str, Any]:
    keys = info["group"].spec.key_fields
    rows = []
    for entry in info["entries"]:
        by_field = {n.field: n for n in entry["numbers"]}
        cells = [f"{by_field[k].value} {by_field[k].unit}".strip() if k in by_field else "—"
                 for k in keys]
        rows.append({"name": entry["record"].name, "href": relative(from_page, entry["page"]),
                     "cells": cells})
    return {"columns": list(keys), "rows": rows}


def _namespace(model: SiteModel, namespace: Any, page: str) -> dict[str, Any]:
    groups = []
    for info in model.groups:
        if info["group"].path.split(".")[0] != namespace.path:
            continue
        groups.append({"name": info["group"].spec.name, "description": info["group"].spec.description,
                       "href": relative(page, info["page"]), **_index_rows(model, info, page)})
    return {"name": namespace.path, "description": namespace.description, "groups": groups}


def _entry(model: SiteModel, entry: dict[str, Any]) -> dict[str, Any]:
    record, page = entry["record"], entry["page"]
    sections: dict[str, list] = {}
    for number in entry["numbers"]:
        head = number.field.split(".")[0] if "." in number.field else ""
        sections.setdefault(head, []).append(model.row(number, page))
    ordered = sorted(sections.items(), key=lambda item: list(SECTION_TITLES).index(item[0])
                     if item[0] in SECTION_TITLES else len(SECTION_TITLES))
    sources = {n.source.key: n.source for n in entry["numbers"]}
    example = next((n.path for n in entry["numbers"] if "." in n.field), record.path)
    return {
        "name": record.name, "path": record.path, "description": record.description or "",
        "chart": "", "example_path": example,
        "sections": [{"title": SECTION_TITLES.get(head, head.replace("_", " ").title()), "rows": rows}
                     for head, rows in ordered],
        "sources": [_source_row(s, page) for s in sources.values()],
    }


def _table(model: SiteModel, info: dict[str, Any]) -> dict[str, Any]:
    page = info["page"]
    rows = []
    for entry in info["entries"]:
        for number in entry["numbers"]:
            row = model.row(number, page)
            row["entry"] = entry["record"].name
            rows.append(row)
    return {"path": info["group"].path, "description": info["group"].spec.description, "rows": rows}


def _sorted_sources(model: SiteModel):
    return sorted(model.sources.values(), key=lambda s: (s.record.ref.lower(), s.key))


def _source_row(source, from_page: str) -> dict[str, Any]:
    record = source.record
    return {"ref": record.ref, "href": relative(from_page, source.page), "kind": record.kind.value,
            "verified": record.verified.isoformat() if record.verified else "not yet",
            "count": len(source.citing)}


def _source(model: SiteModel, source) -> dict[str, Any]:
    record, page = source.record, source.page
    first_path = min((n.path for n in source.citing), default="")
    status = status_of(record, first_path, as_of=model.as_of, policy=model.policy)
    inputs = []
    for path in record.inputs:
        target = model.by_path.get(path)
        inputs.append({"path": path, "href": relative(page, target.link) if target else ""})
    return {
        "ref": record.ref, "kind": record.kind.value, "status": status.value, "css": status.css_class,
        "url": escaping.safe_url(record.url) or "", "verified": record.verified.isoformat() if record.verified else "not yet",
        "id": record.id or "", "notes": record.notes or "", "inputs": inputs,
        "citing": [{"path": n.path, "href": relative(page, n.link), "value": n.value, "unit": n.unit}
                   for n in sorted(source.citing, key=lambda n: n.path)],
    }


def export_json(model: SiteModel) -> str:
    """The whole Zoo with provenance: entries, every number with unit and source, every record."""
    entries = []
    for entry in model.entries:
        record = entry["record"]
        entries.append({
            "path": record.path, "name": record.name, "description": record.description,
            "fields": record.model_dump(mode="json"),
            "numbers": [{"path": n.path, "value": n.value, "unit": n.unit, "status": n.status.value,
                         "source": n.source.key} for n in entry["numbers"]],
        })
    sources = {key: source.record.model_dump(mode="json") for key, source in sorted(model.sources.items())}
    return json.dumps({"as_of": model.as_of.isoformat(), "entries": entries, "sources": sources},
                      indent=1, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["render_docs", "write_docs", "export_json", "format_value"]
