"""The changelog of values: which numbers changed value or verification since a previous build.

Compares two ``zoo.json`` exports (:func:`mlsysim.site.render.export_json`): the previous
build's (``--previous``, or the one in the site ``--out`` replaces) and this build's. A
previous export is read as untrusted input: JSON of at most MAX_PREVIOUS_BYTES, and only
the fields compared here (every text is escaped when the page is rendered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MlsysimError, shown

#: A previous zoo.json larger than this is refused (the shipped Zoo's is about 1 MB).
MAX_PREVIOUS_BYTES = 64 * 1024 * 1024
#: The name of the export in every built site.
EXPORT_FILE = "zoo.json"


class PreviousBuildError(MlsysimError, ValueError):
    """A previous build's zoo.json that cannot be compared with."""


@dataclass(frozen=True)
class Snapshot:
    """What a build exported: its as-of date and, per number path, (value, verified date)."""

    as_of: str
    numbers: dict[str, tuple[str, str]]
    origin: str = ""


@dataclass(frozen=True)
class Change:
    path: str
    old_value: str   # "" when the number is new
    new_value: str   # "" when the number was removed
    old_verified: str
    new_verified: str

    @property
    def kind(self) -> str:
        if not self.old_value:
            return "added"
        if not self.new_value:
            return "removed"
        return "value" if self.old_value != self.new_value else "verification"


def snapshot(export: Any, origin: str = "") -> Snapshot:
    """The numbers of a parsed zoo.json; PreviousBuildError when it is not one."""
    def bad(what: str) -> PreviousBuildError:
        return PreviousBuildError(f"{origin or EXPORT_FILE} is not a zoo.json of an mlsysim site "
                                  f"({what}); give the zoo.json of a previous `mlsysim site build`")

    if not isinstance(export, dict) or not isinstance(export.get("entries"), list) \
            or not isinstance(export.get("sources"), dict):
        raise bad("no 'entries' list and 'sources' map")
    sources = export["sources"]
    numbers: dict[str, tuple[str, str]] = {}
    for entry in export["entries"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("numbers"), list):
            raise bad("an entry without a 'numbers' list")
        for number in entry["numbers"]:
            if not isinstance(number, dict) or not all(
                    isinstance(number.get(key), str) for key in ("path", "value", "unit", "source")):
                raise bad("a number without text 'path', 'value', 'unit' and 'source'")
            record = sources.get(number["source"])
            verified = record.get("verified") if isinstance(record, dict) else None
            value = f"{number['value']} {number['unit']}".strip()
            numbers[number["path"]] = (value, verified if isinstance(verified, str) else "")
    as_of = export.get("as_of")
    return Snapshot(as_of if isinstance(as_of, str) else "", numbers, origin)


def read_previous(file: Path, option: str = "--previous") -> Snapshot:
    """The previous build's numbers from its zoo.json; PreviousBuildError naming the file
    (after ``option``, the command-line option that gave it, if any)."""
    name = f"{option} {shown(str(file))}".strip()
    if not file.is_file():
        raise PreviousBuildError(f"{name} is not a file; give the zoo.json of a "
                                 "previous build, e.g. --previous build/site/zoo.json")
    if file.stat().st_size > MAX_PREVIOUS_BYTES:
        raise PreviousBuildError(f"{name} is larger than {MAX_PREVIOUS_BYTES} bytes; "
                                 "give the zoo.json of a previous build")
    try:
        export = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PreviousBuildError(f"{name} is not valid JSON ({type(exc).__name__}); "
                                 "give the zoo.json of a previous build") from None
    return snapshot(export, origin=str(file))


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    """Numbers added, removed, or whose value or verification date differs, by path."""
    changes = []
    for path in sorted(set(old.numbers) | set(new.numbers)):
        before, after = old.numbers.get(path, ("", "")), new.numbers.get(path, ("", ""))
        if before != after:
            changes.append(Change(path, before[0], after[0], before[1], after[1]))
    return changes
