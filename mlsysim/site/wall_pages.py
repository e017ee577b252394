"""The walls on the site: an index of the 22 and one page per wall.

A wall's page states its constraint and equation, names its solver and quotes the
equations and citations from the solver's docstring, and shows the wall's worked example
(``example:`` in ``mlsysim/walls.yaml``) computed while the site builds: the inputs, the
results, the solver's trace, and every Zoo number the example read with its status badge
and source, linked to its row.
"""

from __future__ import annotations

import inspect
from typing import Any

from jinja2 import Environment

from ..walls import DOMAINS, ENGINE, Wall, run_example, walls
from .pages import SiteModel, relative

#: The index of the walls; each wall's page is ``walls/<key>.md`` next to it.
WALLS_INDEX = "walls/index.md"

#: Docstring sections left off a wall page (the API reference has them).
_DOC_SECTIONS_LEFT_OFF = ("Args:", "Returns:", "Raises:", "Example:", "Examples:")


def wall_page(item: Wall) -> str:
    return f"walls/{item.key}.md"


def wall_pages(model: SiteModel, env: Environment) -> dict[str, str]:
    """The walls index and every wall's page, relative path -> Markdown."""
    items = walls()
    files = {WALLS_INDEX: env.get_template("site/walls.md.j2").render(
        walls=items, resolved=sum(1 for w in items if w.solver),
        domains=[{"title": domain.title(), "anchor": domain,
                  "walls": [{"item": w, "href": relative(WALLS_INDEX, wall_page(w))}
                            for w in items if w.domain == domain]} for domain in DOMAINS],
        meta=f"The {len(items)} walls of ML systems: constraint, equation and the mlsysim "
             "solver that resolves each, with a worked example per wall.")}
    entry_pages = {entry["record"].path: entry["page"] for entry in model.entries}
    for index, item in enumerate(items):
        page = wall_page(item)
        files[page] = env.get_template("site/wall.md.j2").render(
            **_wall(model, entry_pages, item, page, items, index))
    return files


def _wall(model: SiteModel, entry_pages: dict[str, str], item: Wall, page: str,
          items: tuple[Wall, ...], index: int) -> dict[str, Any]:
    example = run_example(item) if item.example is not None else None
    neighbours = {"previous": items[index - 1] if index > 0 else None,
                  "next": items[index + 1] if index + 1 < len(items) else None}
    return {
        "wall": item, "domain": item.domain.title(),
        "index_href": relative(page, WALLS_INDEX),
        "neighbours": [(name, {"name": w.name, "href": relative(page, wall_page(w))})
                       for name, w in neighbours.items() if w is not None],
        "equations": _equations(item.solver) if item.solver else "",
        "example": example,
        "used": _zoo_used(model, entry_pages, example.zoo_paths, page) if example else [],
        "meta": f"{item.name} ({item.domain}): {item.constraint}"[:300],
    }


def _equations(solver: str) -> str:
    """The solver's solve() docstring up to its Args/Returns sections."""
    if solver == ENGINE:
        from ..engine.engine import Engine

        method = Engine.solve
    else:
        from ..solvers import registry

        method = registry.get(solver).solver.solve
    text = inspect.getdoc(method) or ""
    for section in _DOC_SECTIONS_LEFT_OFF:
        text = text.split(f"\n{section}")[0]
    return reflow(text.strip())


def reflow(text: str) -> str:
    """Prose paragraphs joined into one line each, so the page wraps them at its own width;
    a paragraph with an indented line (an equation block) keeps its lines as written."""
    paragraphs = text.split("\n\n")
    return "\n\n".join(paragraph if any(line[:1].isspace() for line in paragraph.splitlines())
                         else " ".join(line.strip() for line in paragraph.splitlines())
                         for paragraph in paragraphs)


def _zoo_used(model: SiteModel, entries: dict[str, str], paths: tuple[str, ...],
              page: str) -> list[dict[str, Any]]:
    """The example's Zoo entries (``entries``: path -> page) and numbers, each linked; a
    number with its badge."""
    rows = []
    for path in paths:
        number = model.by_path.get(path)
        if number is not None:
            rows.append({"path": path, "href": relative(page, number.link), "value": number.shown,
                         "unit": number.unit, "badge": model.badge(number, page)})
        elif path in entries:
            rows.append({"path": path, "href": relative(page, entries[path]), "value": "",
                         "unit": "", "badge": None})
    return rows
