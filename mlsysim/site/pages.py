"""The view model of the Zoo site: every page's data, formatted, with links worked out.

Templates receive only strings and lists from here; they hold no arithmetic
and make no decisions beyond loops and ifs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pint

from ..formatting import bounded, group_digits, join_range, stated, unit_text
from ..errors import SOURCE_ID
from ..escaping import UnsafeText, safe_url
from ..lineage.policy import FreshnessPolicy
from ..lineage.status import Status, status_of
from ..provenance import Provenance
from ..zoo.registry import Zoo

#: Human group headings for the top-level fields of an entry page.
SECTION_TITLES = {"compute": "Compute", "memory": "Memory", "interconnect": "Interconnect",
                  "power": "Power", "": "General"}


def format_value(value: Any) -> tuple[str, str]:
    """(number, unit) as shown on the site: the stated value (formatting.stated), digits not
    yet grouped, and the unit without spaces."""
    if isinstance(value, pint.Quantity):
        return stated(value.magnitude, group=False), unit_text(value, compact=True)
    return stated(value, group=False), ""


def sort_key(value: Any) -> str:
    """A unit-free sort key for a table cell: the magnitude in base units, so 2039 GB/s
    sorts below 3.35 TB/s; text when the value is not a number."""
    if isinstance(value, pint.Quantity):
        try:
            value = value.to_base_units().magnitude
        except pint.errors.DimensionalityError:
            value = value.magnitude
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{float(value):.6e}"


def python_parts(record: Any, field_path: str) -> list[dict[str, str]]:
    """How Python reaches a number from its entry, one step per part of the path: an
    attribute (``.memory``), a dict key (``["fp64"]``) or a list index (``[0]``). The
    registry's dotted path names dict keys and list positions like attributes, which
    Python does not accept."""
    parts, value = [], record
    for name in field_path.split(".") if field_path else []:
        if isinstance(value, dict):
            parts.append({"kind": "key", "name": name})
            value = value[name]
        elif isinstance(value, (list, tuple)):
            parts.append({"kind": "index", "name": name})
            value = value[int(name)]
        else:
            parts.append({"kind": "attr", "name": name})
            value = getattr(value, name)
    return parts


#: Text fields that qualify numbers beside them in the same object, and the numbers they
#: qualify: a link's ``direction`` its bandwidth (is 900 GB/s per direction or both
#: together?), a memory's ``type`` its capacity and bandwidth (HBM3 or LPDDR5). Only nested
#: objects are read: an entry's own fields are not qualifiers.
QUALIFIER_FIELDS = {"direction": ("bandwidth",), "type": ("capacity", "bandwidth"),
                    "accumulate": ("dense", "sparse")}

#: How a link direction and an accumulate precision read beside their number.
DIRECTION_TEXT = {"per_direction": "per direction", "bidirectional_total": "bidirectional total"}
ACCUMULATE_TEXT = "{} accumulate"


def qualifier_of(record: Any, field_path: str) -> str:
    """The qualifier of the number at ``field_path`` of ``record`` ("HBM3", "bidirectional
    total"), or "" when its object states none (see QUALIFIER_FIELDS)."""
    parts = field_path.split(".") if field_path else []
    if len(parts) < 2:
        return ""
    parent = record
    for name in parts[:-1]:
        if isinstance(parent, dict):
            parent = parent.get(name)
        elif isinstance(parent, (list, tuple)):
            parent = parent[int(name)] if name.isdigit() and int(name) < len(parent) else None
        else:
            parent = getattr(parent, name, None)
    for name, qualified in QUALIFIER_FIELDS.items():
        if parts[-1] not in qualified:
            continue
        value = parent.get(name) if isinstance(parent, dict) else getattr(parent, name, None)
        value = getattr(value, "value", value)  # an Enum's text
        if isinstance(value, str) and value:
            if name == "accumulate":
                return ACCUMULATE_TEXT.format(value.upper())
            return DIRECTION_TEXT.get(value, value)
    return ""


def short_label(ref: str, limit: int = 40) -> str:
    """A source's title cut at a word boundary for a table cell (the full title goes in a
    tooltip and in the page's list of sources)."""
    ref = " ".join(str(ref).split())
    if len(ref) <= limit:
        return ref
    cut = ref[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return f"{cut}…"


def anchor_for(field_path: str) -> str:
    """The HTML id of a number's row: ``memory.bandwidth`` -> ``memory-bandwidth``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", field_path).strip("-") or "value"


@dataclass
class Source:
    """A provenance record as a page: catalog records by id, inline ones by a stable hash."""

    key: str
    record: Provenance
    citing: list["Number"] = field(default_factory=list)

    @property
    def page(self) -> str:
        return f"sources/{self.key}.md"


@dataclass
class Number:
    path: str
    entry_path: str
    field: str
    value: str
    unit: str
    status: Status
    source: Source
    page: str
    anchor: str
    inputs: list[str] = field(default_factory=list)
    quantity: Any = None
    python: list[dict[str, str]] = field(default_factory=list)
    qualifier: str = ""  # what kind of number it is, from its object (qualifier_of)
    bound: str = ""  # "upper" or "lower" when the source states only a bound
    high: str = ""  # for a range (value is its low end): the high end, as stated
    aliases: list[str] = field(default_factory=list)  # old names of a range's ends

    @property
    def shown(self) -> str:
        """The value as printed on a page: large integers with grouped digits, a bound
        written as one (≤ 10, ≥ 0.9), a range as both ends (25,000–30,000)."""
        if self.high:
            return join_range(group_digits(self.value), group_digits(self.high))
        return bounded(group_digits(self.value), self.bound)

    @property
    def link(self) -> str:
        return f"{self.page}#{self.anchor}"


def _source_key(record: Provenance) -> str:
    """The page name of a record: its catalog id (validated at load time; checked again here,
    since it becomes a file name) or a hash of an inline record."""
    if record.id:
        if not SOURCE_ID.fullmatch(record.id):
            raise UnsafeText(f"source id {record.id[:60]!r} cannot name a page: ids match "
                             f"{SOURCE_ID.pattern}")
        return record.id
    digest = hashlib.sha1(record.model_dump_json().encode()).hexdigest()[:10]
    return f"inline-{digest}"


def relative(from_page: str, to_target: str) -> str:
    """A link from one docs page to another file (with an optional #anchor)."""
    target, _, anchor = to_target.partition("#")
    link = posixpath.relpath(target, posixpath.dirname(from_page) or ".")
    return f"{link}#{anchor}" if anchor else link


class SiteModel:
    """Everything the templates need, computed once from one Zoo on one as-of date."""

    def __init__(self, zoo: Zoo, *, as_of: dt.date, policy: FreshnessPolicy | None = None):
        self.zoo = zoo
        self.as_of = as_of
        self.policy = policy or FreshnessPolicy.load()
        self.sources: dict[str, Source] = {}
        self.numbers: list[Number] = []
        self.entries: list[dict[str, Any]] = []   # (group, record, page)
        self.groups: list[dict[str, Any]] = []
        self._range_ends: dict[str, Number] = {}  # <entry>.range.low/high -> that end alone
        self._collect()

    # -- collection ----------------------------------------------------------
    def _source(self, record: Provenance) -> Source:
        key = _source_key(record)
        if key not in self.sources:
            self.sources[key] = Source(key, record)
        return self.sources[key]

    def _collect(self) -> None:
        for record_id in self.zoo.catalog:
            self._source(self.zoo.catalog.get(record_id))
        for group in self.zoo.groups():
            layout = "table" if group.spec.kind == "scalars" or group.spec.site_layout == "table" else "pages"
            group_page = f"zoo/{group.path.replace('.', '/')}.md" if layout == "table" else \
                f"zoo/{group.path.replace('.', '/')}/index.md"
            info = {"group": group, "layout": layout, "page": group_page, "entries": []}
            for key, record in group.records().items():
                page = group_page if layout == "table" else f"zoo/{group.path.replace('.', '/')}/{key}.md"
                numbers = []
                if getattr(record, "range", None) is not None:
                    numbers.append(self._range_number(record, key, page, layout))
                    info["entries"].append({"key": key, "record": record, "page": page,
                                            "numbers": numbers})
                    self.entries.append(info["entries"][-1])
                    continue
                for field_path, value in record.numbers():
                    provenance = record.provenance_for(field_path or "value")
                    path = f"{record.path}.{field_path}" if field_path else record.path
                    text, unit = format_value(value)
                    anchor = anchor_for(field_path) if layout == "pages" else \
                        anchor_for(f"{key}-{field_path}" if field_path else key)
                    number = Number(path, record.path, field_path or "value", text, unit,
                                    status_of(provenance, path, as_of=self.as_of, policy=self.policy),
                                    self._source(provenance), page, anchor,
                                    list(provenance.inputs), value,
                                    python_parts(record, field_path),
                                    qualifier_of(record, field_path),
                                    "" if field_path else getattr(record, "bound", None) or "")
                    number.source.citing.append(number)
                    numbers.append(number)
                    self.numbers.append(number)
                entry = {"key": key, "record": record, "page": page, "numbers": numbers}
                info["entries"].append(entry)
                self.entries.append(entry)
            self.groups.append(info)
        self.by_path = {number.path: number for number in self.numbers}
        self.by_path.update(self._range_ends)

    def _range_number(self, record: Any, key: str, page: str, layout: str) -> Number:
        """One row for a range (both ends, one badge); its ends are reachable by path for the
        derived numbers that name them as inputs, each shown with its own value."""
        provenance = record.provenance_for("range")
        low, high = (format_value(end) for end in record.as_sourced())
        anchor = anchor_for("range") if layout == "pages" else anchor_for(key)
        number = Number(record.path, record.path, "range", low[0], low[1],
                        status_of(provenance, record.path, as_of=self.as_of, policy=self.policy),
                        self._source(provenance), page, anchor, list(provenance.inputs),
                        record.as_sourced(), python_parts(record, ""), "", "", high[0],
                        [f"{record.path.rpartition('.')[0]}.{record.aliases[end]}"
                         for end in ("low", "high") if end in record.aliases])
        number.source.citing.append(number)
        self.numbers.append(number)
        for field_path, (text, unit) in zip(("range.low", "range.high"), (low, high)):
            self._range_ends[f"{record.path}.{field_path}"] = Number(
                f"{record.path}.{field_path}", record.path, field_path, text, unit,
                number.status, number.source, page, anchor)
        return number

    # -- summaries -----------------------------------------------------------
    def status_counts(self) -> list[tuple[Status, int]]:
        counts = Counter(number.status for number in self.numbers)
        return [(status, counts.get(status, 0)) for status in Status if status is not Status.MISSING
                or counts.get(status)]

    # -- badge and row views for one page --------------------------------------
    def badge(self, number: Number, from_page: str) -> dict[str, str]:
        record = number.source.record
        when = f", verified {record.verified.isoformat()}" if record.verified else ""
        text = number.status.value + (f" {record.verified.isoformat()}" if record.verified else "")
        return {
            "text": text,
            "css": number.status.css_class,
            "title": f"{number.status.value}: {record.kind.value}: {record.ref}{when}",
            "href": relative(from_page, number.source.page),
        }

    def row(self, number: Number, from_page: str) -> dict[str, Any]:
        record = number.source.record
        inputs = []
        for path in number.inputs:
            target = self.by_path.get(path)
            inputs.append({"path": path, "href": relative(from_page, target.link) if target else "",
                           "value": f"{target.shown} {target.unit}".strip() if target else "",
                           "status": target.status.value if target else ""})
        return {
            "anchor": number.anchor, "field": number.field, "path": number.path,
            "value": number.shown, "unit": number.unit, "qualifier": number.qualifier,
            "badge": self.badge(number, from_page),
            "url": safe_url(record.url) or "", "ref": record.ref, "inputs": inputs,
            "source_href": relative(from_page, number.source.page),
            "entry_path": number.entry_path, "python": number.python, "raw": number.value,
            "aliases": [{"path": alias, "anchor": alias.rpartition(".")[2]}
                        for alias in number.aliases],
        }
