"""Rich notebook forms: how Zoo entries and sourced numbers show in Jupyter and Quarto.

Each number shows its value, unit, status badge (Verified, Unverified, Estimate, ...)
and source, with a link when the source has a URL, so a reader of an executed notebook
gets from the number to its source in one click. Solver results and evaluations define
their own forms (``SolverResult``, ``PerformanceProfile``, ``SystemEvaluation``).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from typing import Any

#: Badge colours in notebooks (the site uses its own stylesheet).
BADGE_COLOURS = {"Verified": "#1b7f3b", "Stale": "#b3261e", "Unverified": "#a15c00",
                 "Derived": "#3556a8", "Estimate": "#6b4fa3", "Convention": "#555",
                 "Illustrative": "#555", "Heuristic": "#555", "Missing": "#b3261e"}


def badge(provenance: Any, path: str) -> str:
    """The status word of a number (``Verified``), judged today under the freshness policy."""
    from .lineage.status import status_of

    return status_of(provenance, path or "", as_of=dt.date.today(), policy=_policy()).value


@functools.lru_cache(maxsize=1)
def _policy():
    """The freshness policy, read once per process."""
    from .lineage.policy import FreshnessPolicy

    return FreshnessPolicy.load()


def _value_text(value: Any) -> str:
    from .formatting import bounded, stated_quantity, stated_range
    from .provenance import SourcedRange

    if isinstance(value, SourcedRange):
        return stated_range(value.low, value.high)
    return bounded(stated_quantity(value), getattr(value, "bound", None))


def _source_md(provenance: Any) -> str:
    if provenance is None:
        return "no source"
    ref = provenance.ref.replace("|", "\\|")
    text = f"[{ref}]({provenance.url})" if provenance.url else ref
    if provenance.verified:
        text += f", verified {provenance.verified.isoformat()}"
    return text


def _source_html(provenance: Any) -> str:
    if provenance is None:
        return "no source"
    ref = html.escape(provenance.ref)
    text = f"<a href='{html.escape(provenance.url)}'>{ref}</a>" if provenance.url else ref
    if provenance.verified:
        text += f", verified {provenance.verified.isoformat()}"
    return text


def _badge_html(word: str) -> str:
    colour = BADGE_COLOURS.get(word, "#555")
    return (f"<span style='background:{colour};color:#fff;border-radius:3px;"
            f"padding:0 4px;font-size:85%'>{word}</span>")


def sourced_markdown(number: Any) -> str:
    """``**Peak fp16** = 989.5 TFLOP/s · *Verified* · [datasheet](url), verified 2026-11-22``."""
    label = f"**{number.name}** = " if getattr(number, "name", "") else ""
    word = badge(number.provenance, getattr(number, "path", "") or "")
    return f"{label}{_value_text(number)} · *{word}* · {_source_md(number.provenance)}"


def sourced_html(number: Any) -> str:
    label = f"<b>{html.escape(number.name)}</b> = " if getattr(number, "name", "") else ""
    word = badge(number.provenance, getattr(number, "path", "") or "")
    return (f"<span class='mlsysim-sourced'>{label}{html.escape(_value_text(number))} "
            f"{_badge_html(word)} <small>{_source_html(number.provenance)}</small></span>")


def _rows(entry: Any):
    for field, value in entry.numbers():
        path = f"{entry.path}.{field}" if field else entry.path
        provenance = entry.provenance_for(field or "value")
        yield field, value, provenance, badge(provenance, path)


def entry_markdown(entry: Any) -> str:
    """A registry entry: title, description, and a table of every number with badge and source."""
    rows = "\n".join(f"| {field} | {_value_text(value)} | {word} | {_source_md(provenance)} |"
                     for field, value, provenance, word in _rows(entry))
    description = f"\n\n{entry.description}" if entry.description else ""
    return (f"**{entry.name}** (`{entry.path}`){description}\n\n"
            f"| field | value | status | source |\n|---|---|---|---|\n{rows}\n")


def entry_html(entry: Any) -> str:
    rows = "".join(f"<tr><td>{html.escape(field)}</td><td>{html.escape(_value_text(value))}</td>"
                   f"<td>{_badge_html(word)}</td><td>{_source_html(provenance)}</td></tr>"
                   for field, value, provenance, word in _rows(entry))
    description = f"<p>{html.escape(entry.description)}</p>" if entry.description else ""
    return (f"<div class='mlsysim-entry'><b>{html.escape(entry.name)}</b> "
            f"<code>{html.escape(entry.path)}</code>{description}<table><tr><th>field</th>"
            f"<th>value</th><th>status</th><th>source</th></tr>{rows}</table></div>")


def attach_quantity_forms(quantity: Any) -> Any:
    """Give one sourced pint Quantity its notebook forms (arithmetic results do not keep them)."""
    quantity._repr_markdown_ = lambda: sourced_markdown(quantity)
    quantity._repr_html_ = lambda: sourced_html(quantity)
    return quantity


def result_html(title: str, rows: list[tuple[str, str]], trace: tuple[str, ...] | list[str]) -> str:
    """A solver result: a two-column table of named values, then its constraint trace."""
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                    for k, v in rows)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in trace)
    return (f"<div class='mlsysim-result'><b>{html.escape(title)}</b><table>{table}</table>"
            f"<ul>{items}</ul></div>")


def result_markdown(title: str, rows: list[tuple[str, str]],
                    trace: tuple[str, ...] | list[str]) -> str:
    table = "\n".join(f"| {k} | {v.replace('|', chr(92) + '|')} |" for k, v in rows)
    items = "\n".join(f"- {line}" for line in trace)
    return f"**{title}**\n\n| | |\n|---|---|\n{table}\n\n{items}\n"
