"""The Zoo: the manifest of namespaces, the source catalog, and path resolution.

``Zoo()`` reads the Zoo shipped inside the package; ``Zoo(data_root=...)``
reads a copy (tests and the audit use this to check a modified Zoo).
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import AmbiguousNameError, UnknownNameError, ZooError, shown
from .catalog import SourceCatalog
from .loader import SCHEMA_NAME, GroupSpec, check_name
from .namespace import GroupNamespace, Namespace
from .yaml_io import read_yaml

DEFAULT_DATA_ROOT = Path(__file__).with_name("data")
MANIFEST_FILE = "namespaces.yaml"

#: The namespaces of the public API, always present even before they hold data.
NAMESPACES = ("Hardware", "Models", "Systems", "Infrastructure", "Ops", "Scenarios",
              "ReferenceStats", "Literature")


class Zoo:
    """One registry tree on disk, loaded lazily group by group."""

    def __init__(self, data_root: Path | str | None = None):
        self.data_root = Path(data_root) if data_root is not None else DEFAULT_DATA_ROOT
        self._namespaces: dict[str, Namespace] | None = None
        self._catalog: SourceCatalog | None = None

    # -- structure -------------------------------------------------------
    @property
    def catalog(self) -> SourceCatalog:
        if self._catalog is None:
            self._catalog = SourceCatalog.load(self.data_root)
        return self._catalog

    def _manifest(self) -> dict[str, Namespace]:
        if self._namespaces is None:
            file = self.data_root / MANIFEST_FILE
            where = str(file)
            raw = read_yaml(file, root=self.data_root) or {}
            if not isinstance(raw, Mapping):
                raise ZooError("the manifest must map namespace names to groups", file=where,
                               fix="see the shipped namespaces.yaml for its shape")
            for name in raw:
                check_name(name, what="namespace name", file=where)
            unknown = set(raw) - set(NAMESPACES)
            if unknown:
                raise ZooError(f"unknown namespaces {shown(sorted(unknown))}", file=where,
                               fix=f"use one of {', '.join(NAMESPACES)}")
            namespaces = {}
            for name in NAMESPACES:
                spec = raw.get(name) or {}
                if not isinstance(spec, Mapping) or not isinstance(spec.get("groups") or {}, Mapping):
                    raise ZooError(f"namespace {name} must map 'groups' to group specs",
                                   file=where, fix="see the shipped namespaces.yaml for its shape")
                groups = {}
                for group, gspec in (spec.get("groups") or {}).items():
                    group = check_name(group, what=f"group name in {name}", file=where)
                    groups[group] = _group_spec(name, group, gspec, where)
                namespaces[name] = Namespace(self, name, groups, str(spec.get("description", "")))
            self._namespaces = namespaces
        return self._namespaces

    def namespace(self, name: str) -> Namespace:
        namespaces = self._manifest()
        if name not in namespaces:
            raise UnknownNameError(f"no namespace {name!r}; namespaces: {', '.join(NAMESPACES)}",
                                   name=name)
        return namespaces[name]

    def namespaces(self) -> list[Namespace]:
        return list(self._manifest().values())

    def groups(self) -> Iterator[GroupNamespace]:
        for namespace in self.namespaces():
            yield from namespace.groups.values()

    # -- numbers ---------------------------------------------------------
    def numbers(self) -> Iterator[tuple[str, Any, Any]]:
        """(canonical number path, value, provenance) for every number in the Zoo."""
        for group in self.groups():
            for record in group.records().values():
                for field, value in record.numbers():
                    path = f"{record.path}.{field}" if field else record.path
                    yield path, value, record.provenance_for(field or "value")

    # -- paths -----------------------------------------------------------
    def resolve(self, path: str) -> Any:
        """The object at a canonical path: a namespace, group, entry or number.

        ``Hardware.Cloud.H100.memory.bandwidth`` gives the Quantity. Raises
        UnknownNameError naming the first part that does not resolve.
        """
        path = self.dealias(path)
        parts = path.split(".")
        namespace = self._resolve_part(None, parts[0], path)
        if len(parts) == 1:
            return namespace
        group = self._resolve_part(namespace, parts[1], path)
        if len(parts) == 2:
            return group
        record = self._resolve_part(group, parts[2], path)
        if len(parts) == 3:
            return group[parts[2]]
        field = ".".join(parts[3:])
        if getattr(record, "range", None) is not None and field in ("range", "range.low",
                                                                    "range.high"):
            exposed = group[parts[2]]  # the SourcedRange: its ends keep unit and provenance
            return exposed if field == "range" else getattr(exposed, field.rpartition(".")[2])
        try:
            return record.get(field)
        except KeyError as exc:
            raise UnknownNameError(
                f"{path!r} does not resolve: {record.path} has no field {field!r} "
                f"(stops at {exc.args[0]!r})", name=path) from None

    def canonical(self, path: str) -> str:
        """``Scenarios.SmartDoorbell[.field]`` -> ``Scenarios.Examples.SmartDoorbell[.field]``.

        Entries of a group declared ``flat`` may be named without the group; every other path
        is returned unchanged.
        """
        parts = path.split(".")
        if len(parts) >= 2 and parts[0] in NAMESPACES:
            namespace = self.namespace(parts[0])
            if parts[1] not in namespace:
                entry = namespace.flat_entry(parts[1])
                if entry is not None:
                    return ".".join([entry.path, *parts[2:]])
        return self.dealias(path)

    def dealias(self, path: str) -> str:
        """The canonical path of a range end named by its alias
        (``Infrastructure.Pricing.H100PurchaseLow2023`` ->
        ``Infrastructure.Pricing.H100Purchase2023.range.low``); every other path unchanged."""
        parts = path.split(".")
        if len(parts) != 3 or parts[0] not in NAMESPACES:
            return path
        namespace = self.namespace(parts[0])
        if parts[1] not in namespace:
            return path
        group = namespace[parts[1]]
        if group.spec.kind != "scalars" or parts[2] in group.records():
            return path
        target = group.aliases().get(parts[2])
        return f"{group.path}.{target[0]}.{target[1]}" if target else path

    def aliases(self) -> dict[str, str]:
        """Every alias path -> the canonical path of the range end it names."""
        return {f"{group.path}.{alias}": f"{group.path}.{key}.{field}"
                for group in self.groups() if group.spec.kind == "scalars"
                for alias, (key, field) in group.aliases().items()}

    def number(self, path: str) -> tuple[Any, Any]:
        """(value, provenance) of the number at ``path``; UnknownNameError if it is not a number."""
        path = self.dealias(path)
        parts = path.split(".")
        if len(parts) < 3:
            raise UnknownNameError(f"{path!r} is a namespace, not a number", name=path)
        group = self._resolve_part(self._resolve_part(None, parts[0], path), parts[1], path)
        record = self._resolve_part(group, parts[2], path)
        field = ".".join(parts[3:])
        if not field:
            numbers = dict(record.numbers())
            if "" not in numbers:
                if getattr(record, "range", None) is not None:
                    raise UnknownNameError(
                        f"{path!r} is a range, not one number; its ends are {path}.range.low "
                        f"and {path}.range.high", name=path,
                        suggestions=(f"{path}.range.low", f"{path}.range.high"))
                raise UnknownNameError(f"{path!r} is an entry, not a number; add a field path",
                                       name=path)
            return numbers[""], record.provenance_for("value")
        value = self.resolve(path)
        from .entry import is_number

        if not is_number(value):
            raise UnknownNameError(f"{path!r} is not a number (it is {type(value).__name__})",
                                   name=path)
        return value, record.provenance_for(field)

    def _resolve_part(self, parent: Any, part: str, path: str) -> Any:
        if parent is None:
            if part not in NAMESPACES:
                raise UnknownNameError(_not_found(path, part, list(NAMESPACES)), name=path)
            return self.namespace(part)
        if isinstance(parent, Namespace):
            if part not in parent and parent.flat_entry(part) is not None:
                raise UnknownNameError(
                    f"{path!r}: {parent.path}.{part} is a shortcut; the canonical path is "
                    f"{parent.flat_entry(part).path}", name=path,
                    suggestions=(parent.flat_entry(part).path,))
            if part not in parent:
                raise UnknownNameError(_not_found(path, part, list(parent.groups)), name=path)
            return parent[part]
        records = parent.records()
        if part not in records:
            aliases = list(parent.aliases()) if parent.spec.kind == "scalars" else []
            raise UnknownNameError(_not_found(path, part, list(records) + aliases), name=path)
        return records[part]

    # -- short names -----------------------------------------------------
    def short_names(self) -> dict[str, list[str]]:
        """Entry key -> canonical paths holding it (groups ``keyed_by`` another namespace
        are left out: their keys name that namespace's entries)."""
        index: dict[str, list[str]] = {}
        for group in self.groups():
            if group.spec.keyed_by:
                continue
            for key in group.names():
                index.setdefault(key, []).append(f"{group.path}.{key}")
            if group.spec.kind == "scalars":
                for alias, (key, field) in group.alias_names().items():
                    index.setdefault(alias, []).append(f"{group.path}.{key}.{field}")
        return index

    def lookup(self, name: str, *, namespaces: tuple[str, ...] | None = None) -> str:
        """Canonical path of a short name (``H100`` -> ``Hardware.Cloud.H100``), for the CLI.

        Accepts a canonical path too. Case differences are forgiven when they
        leave a single match. Raises UnknownNameError (with close matches) or
        AmbiguousNameError (listing every candidate).
        """
        if "." in name:
            name = self.canonical(name)
            self.resolve(name)
            return name
        index = self.short_names()
        if namespaces:
            index = {key: [p for p in paths if p.split(".")[0] in namespaces]
                     for key, paths in index.items()}
            index = {key: paths for key, paths in index.items() if paths}
        candidates = index.get(name)
        if not candidates:
            folded = [path for key, paths in index.items() if key.lower() == name.lower()
                      for path in paths]
            candidates = folded or None
        if not candidates:
            close = difflib.get_close_matches(name, list(index), n=5, cutoff=0.6)
            close_paths = tuple(path for key in close for path in index[key])
            hint = f"; did you mean {', '.join(close_paths)}?" if close_paths else ""
            scope = f" in {', '.join(namespaces)}" if namespaces else ""
            raise UnknownNameError(f"unknown name {name!r}{scope}{hint}", name=name,
                                   suggestions=close_paths)
        if len(candidates) > 1:
            raise AmbiguousNameError(
                f"name {name!r} is ambiguous: {', '.join(sorted(candidates))}; "
                "use the full path", name=name, suggestions=tuple(sorted(candidates)))
        return candidates[0]


_GROUP_KINDS = ("entries", "scalars")
_SITE_LAYOUTS = ("pages", "table")


def _group_spec(namespace: str, group: str, gspec: Any, file: str) -> GroupSpec:
    """One group of the manifest, its fields checked so a typo is a one-line error."""
    path = f"{namespace}.{group}"
    if not isinstance(gspec, Mapping) or "schema" not in gspec:
        raise ZooError(f"group {path} needs a schema", file=file,
                       fix="give schema: 'mlsysim.<module>:<Class>'")

    def bad(field: str, value: Any, fix: str) -> ZooError:
        return ZooError(f"group {path}: {field} {shown(value)} is not allowed", file=file, fix=fix)

    schema = gspec["schema"]
    if not isinstance(schema, str) or not SCHEMA_NAME.fullmatch(schema):
        raise bad("schema", schema, "name a model of mlsysim as 'mlsysim.<module>:<Class>', e.g. "
                                    "'mlsysim.hardware:HardwareNode'")
    kind = gspec.get("kind", "entries")
    if kind not in _GROUP_KINDS:
        raise bad("kind", kind, f"use one of {', '.join(_GROUP_KINDS)}")
    layout = gspec.get("site_layout", "pages")
    if layout not in _SITE_LAYOUTS:
        raise bad("site_layout", layout, f"use one of {', '.join(_SITE_LAYOUTS)}")
    key_fields = gspec.get("key_fields", ())
    if not isinstance(key_fields, (list, tuple)) or not all(isinstance(f, str) for f in key_fields):
        raise bad("key_fields", key_fields, "give a list of field paths")
    keyed_by = gspec.get("keyed_by")
    if keyed_by is not None and keyed_by not in NAMESPACES:
        raise bad("keyed_by", keyed_by, f"use one of {', '.join(NAMESPACES)}")
    description = gspec.get("description", "")
    if not isinstance(description, str):
        raise bad("description", description, "give the description as text")
    return GroupSpec(namespace=namespace, name=group, schema=gspec["schema"],
                     description=description, kind=kind, site_layout=layout,
                     key_fields=tuple(key_fields), flat=bool(gspec.get("flat", False)),
                     keyed_by=keyed_by)


def _not_found(path: str, part: str, known: list[str]) -> str:
    close = difflib.get_close_matches(part, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{path!r} does not resolve: no {part!r}{hint}"


@functools.lru_cache(maxsize=1)
def default_zoo() -> Zoo:
    """The Zoo shipped with the package (one per process)."""
    return Zoo()


def lookup(name: str, *, namespaces: tuple[str, ...] | None = None) -> str:
    """Canonical path of a short name in the shipped Zoo (see :meth:`Zoo.lookup`)."""
    return default_zoo().lookup(name, namespaces=namespaces)
