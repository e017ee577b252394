"""Gate 6: registry paths named in documents must resolve to numbers with provenance.

Book chapters, notebooks, LaTeX and the site's own pages name Zoo numbers by
path (``Hardware.Cloud.H100.memory.bandwidth``, ``mlsysim.Literature.Training.MfuHigh``,
`` `{python} mlsysim.Hardware.Cloud.H100.memory.bandwidth` ``). When an entry is
renamed or a field loses its source, those references go stale silently; this
gate finds them. A path counts as a reference when it starts with a namespace
name followed by a capitalised group (``Models.Language``...), optionally
prefixed by ``mlsysim.``. Attribute access after a number (``.to("TB/s")``,
``.provenance``) and methods of groups and entries (``.sorted_by``) are the
reader's code, not part of the path. A line holding ``zoo-ref: ignore`` is skipped
(for example code that shows a hypothetical ``Hardware.Cloud.MyChip``).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel

from ..zoo.entry import is_number
from ..zoo.namespace import GroupNamespace
from ..zoo.registry import NAMESPACES

DOCUMENT_SUFFIXES = (".qmd", ".md", ".tex", ".ipynb")
IGNORE_MARK = "zoo-ref: ignore"
#: Folders never searched when a directory is given: tool caches and rendered output.
SKIPPED_DIRS = ("node_modules", "site-packages")

_REFERENCE = re.compile(
    r"(?<![\w.])(?:mlsysim\.)?(?P<path>(?:" + "|".join(NAMESPACES) + r")\.[A-Z][\w]*(?:\.[A-Za-z_]\w*)*)")


@dataclass(frozen=True)
class Reference:
    """One registry path as written in a document."""

    location: str   # "file:line" or "file:cell N:line M"
    text: str


@dataclass(frozen=True)
class Problem:
    """Why a reference fails, and how to fix it."""

    reference: Reference
    problem: str
    fix: str


class ReferenceIndex:
    """What the references are checked against: the loaded groups of one Zoo."""

    def __init__(self, groups: dict[str, dict[str, Any]], flat: dict[str, dict[str, str]]):
        self._groups = groups        # "Hardware.Cloud" -> {key: record}
        self._flat = flat            # namespace -> {key: canonical group path} for flat groups
        self._cache: dict[str, tuple[str, str] | None] = {}

    @classmethod
    def from_loaded(cls, zoo: Any, loaded: dict[str, dict[str, Any]]) -> "ReferenceIndex":
        flat: dict[str, dict[str, str]] = {}
        for group in zoo.groups():
            if group.spec.flat:
                for key in loaded.get(group.path, {}):
                    flat.setdefault(group.spec.namespace, {})[key] = group.path
        return cls(loaded, flat)

    def problem(self, path: str) -> tuple[str, str] | None:
        """(problem, fix) when ``path`` does not resolve to a sourced number or entry; else None."""
        if path not in self._cache:
            self._cache[path] = self._check(path)
        return self._cache[path]

    def _check(self, path: str) -> tuple[str, str] | None:
        namespace, group_name, *rest = path.split(".")
        group_path = f"{namespace}.{group_name}"
        if group_path not in self._groups:
            flat = self._flat.get(namespace, {})
            if group_name not in flat:
                known = sorted({g.split(".")[1] for g in self._groups if g.startswith(namespace + ".")}
                               | set(flat))
                return _unknown(path, namespace, group_name, "group", known)
            group_path, rest = flat[group_name], [group_name, *rest]
        if not rest:
            return None
        records = self._groups[group_path]
        key, *fields = rest
        if key not in records:
            if hasattr(GroupNamespace, key):
                return None  # a group method such as sorted_by or paths
            for record in records.values():  # the old name of a range's end (an alias)
                target = getattr(record, "alias_targets", dict)().get(key)
                if target:
                    return _check_provenance(path, record, target)
            return _unknown(path, group_path, key, "entry", sorted(records))
        return _check_fields(path, records[key], fields)


def _check_fields(path: str, record: Any, fields: list[str]) -> tuple[str, str] | None:
    scalar = dict(record.numbers()).keys() == {""}
    if scalar:
        return _check_provenance(path, record, "")  # anything after it is the float's own API
    if getattr(record, "range", None) is not None and (not fields or fields[0] != "range"):
        return _check_provenance(path, record, "range")  # the SourcedRange's API (.low, .mid)
    current: Any = record
    walked: list[str] = []
    for part in fields:
        child = _child(current, part)
        if child is _MISSING:
            if hasattr(current, part):
                return None  # a method or property (name, path, kv_cache_bytes, ...)
            where = ".".join([record.path, *walked])
            return _unknown(path, where, part, "field", _children(current))
        walked.append(part)
        current = child
        if is_number(current):
            return _check_provenance(path, record, ".".join(walked))
    return None


def _check_provenance(path: str, record: Any, field: str) -> tuple[str, str] | None:
    if record.provenance_for(field or "value") is not None:
        return None
    number = f"{record.path}.{field}" if field else record.path
    return (f"{path} resolves to {number}, a number without provenance",
            "add a source for it in the Zoo (gate 1 names the entry), or stop citing it")


_MISSING = object()


def _child(current: Any, part: str) -> Any:
    if isinstance(current, BaseModel) and part in type(current).model_fields:
        return getattr(current, part)
    if isinstance(current, dict) and part in current:
        return current[part]
    return _MISSING


def _children(current: Any) -> list[str]:
    if isinstance(current, BaseModel):
        return [name for name, info in type(current).model_fields.items() if not info.exclude]
    if isinstance(current, dict):
        return [str(key) for key in current]
    return []


def _unknown(path: str, where: str, part: str, kind: str, known: list[str]) -> tuple[str, str]:
    close = difflib.get_close_matches(part, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(f'{where}.{c}' for c in close)}?" if close else ""
    return (f"{path} does not resolve: {where} has no {kind} {part!r}{hint}",
            "point the reference at the current path (`mlsysim show NAME` finds it), or add "
            f"'{IGNORE_MARK}' to the line if it is not a Zoo path")


# -- documents -------------------------------------------------------------------------

def collect_documents(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """(document files, missing paths): folders are searched for .qmd/.md/.tex/.ipynb files,
    skipping hidden and underscore folders (.quarto, _book, _site)."""
    files: list[Path] = []
    missing: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                parts = candidate.relative_to(path).parts[:-1]
                if any(p.startswith((".", "_")) or p in SKIPPED_DIRS for p in parts):
                    continue
                if candidate.is_file() and candidate.suffix in DOCUMENT_SUFFIXES:
                    files.append(candidate)
        else:
            missing.append(str(path))
    return files, missing


def references_in(name: str, text: str) -> Iterator[Reference]:
    """Every registry path in one document's text (``name`` is used in locations)."""
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ValueError(f"{name} is not a readable notebook: {exc}") from None
        for number, cell in enumerate(cells, start=1):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            yield from _scan(f"{name}:cell {number}", source)
        return
    if name.endswith(".tex"):
        text = text.replace("\\_", "_")  # Llama3\_8B in LaTeX is Llama3_8B
    yield from _scan(name, text)


def _scan(location: str, text: str) -> Iterator[Reference]:
    for number, line in enumerate(text.splitlines(), start=1):
        if IGNORE_MARK in line or "." not in line:
            continue
        for match in _REFERENCE.finditer(line):
            yield Reference(f"{location}:{number}", match.group("path"))


def check_texts(texts: Iterable[tuple[str, str]], index: ReferenceIndex) -> list[Problem]:
    """Problems with the references in (name, text) pairs."""
    problems = []
    for name, text in texts:
        try:
            references = list(references_in(name, text))
        except ValueError as exc:
            problems.append(Problem(Reference(name, ""), str(exc), "fix or remove the file"))
            continue
        for reference in references:
            found = index.problem(reference.text)
            if found is not None:
                problems.append(Problem(reference, *found))
    return problems


def check_documents(paths: Iterable[Path], index: ReferenceIndex) -> list[Problem]:
    """Problems with the references in the files (and folders) at ``paths``."""
    files, missing = collect_documents(paths)
    problems = [Problem(Reference(path, ""), "no such file or folder to scan",
                        "fix the path given on the command line or in [tool.mlsysim.site] scan")
                for path in missing]

    def texts() -> Iterator[tuple[str, str]]:
        for file in files:
            try:
                yield str(file), file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(Reference(str(file), ""), f"cannot be read: {exc}",
                                        "save it as UTF-8 text"))

    return check_texts(texts(), index) + problems
