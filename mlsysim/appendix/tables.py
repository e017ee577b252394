"""The declaration of the appendix tables (``tables.yaml``): load, validate, resolve rows.

Each table names its rows (every entry of a group, or an explicit list of
entry paths) and its columns (a field path, a label and the unit to convert
to). Errors name the file, the table and the offending path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import MlsysimError, UnknownNameError, ZooError

if TYPE_CHECKING:
    from ..zoo.loader import GroupSpec
    from ..zoo.registry import Zoo

DECLARATION_FILE = Path(__file__).with_name("tables.yaml")


class AppendixError(MlsysimError, ValueError):
    """A table declaration that cannot be read or rendered."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    """One value column: a field of each row's entry, converted to ``unit``."""

    field: str = Field(min_length=1, description="Dotted field path; `value` in a scalar group.")
    label: str = Field(min_length=1, description="Column heading.")
    unit: str | None = Field(default=None, description="Unit to convert to (pint syntax).")
    unit_label: str | None = Field(default=None, description="Unit as the heading shows it.")

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        from ..units import check_unit

        return check_unit(unit)

    @property
    def heading(self) -> str:
        shown = self.unit_label or self.unit
        return f"{self.label} ({shown})" if shown else self.label


class Rows(_Strict):
    """Every entry of ``group`` (by key, or by ``sort_by``), or the listed ``entries`` in order."""

    group: str | None = Field(default=None, description="Namespace.Group: all its entries.")
    entries: tuple[str, ...] | None = Field(default=None, min_length=1,
                                            description="Namespace.Group.Entry paths, in order.")
    sort_by: str | None = Field(default=None, description="Field to order a group's entries by.")
    descending: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "Rows":
        if (self.group is None) == (self.entries is None):
            raise ValueError("give exactly one of `group` (all its entries) or `entries` (a list)")
        if self.sort_by is not None and self.group is None:
            raise ValueError("`sort_by` orders a group; list `entries` in the order wanted instead")
        return self


class Table(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
                    description="File name and cross-reference label: lower-case words and dashes.")
    caption: str = Field(min_length=1)
    name_label: str = Field(default="Name", description="Heading of the entry-name column.")
    rows: Rows
    columns: tuple[Column, ...] = Field(min_length=1)


def load_tables(path: Path | str = DECLARATION_FILE) -> list[Table]:
    """The tables declared in ``path``, validated; AppendixError names the file and table."""
    from ..zoo.yaml_io import read_yaml

    path = Path(path)
    try:
        raw = read_yaml(path)
    except ZooError as exc:  # the message names the file already
        raise AppendixError(str(exc)) from None
    if not isinstance(raw, dict) or set(raw) != {"tables"} or not isinstance(raw["tables"], list):
        raise AppendixError(f"{path}: expected one key `tables` holding a list of tables")
    tables: list[Table] = []
    for index, item in enumerate(raw["tables"]):
        name = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        try:
            table = Table.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(table)'}: {e['msg']}"
                                 for e in exc.errors())
            raise AppendixError(f"{path}: table {name!r}: {problems}") from None
        if any(t.id == table.id for t in tables):
            raise AppendixError(f"{path}: table {table.id!r} is declared twice")
        tables.append(table)
    return tables


def table_entries(table: Table, zoo: "Zoo") -> list[tuple[Any, "GroupSpec"]]:
    """(entry model, its group's spec) for each row, after checking every path the table names."""
    from ..zoo.entry import get_field, schema_accepts

    rows = table.rows
    if rows.group is not None:
        group = _group(table, zoo, rows.group, "rows.group")
        found = [(record, group.spec) for record in group.records().values()]
    else:
        found = []
        for path in rows.entries:
            group_path, _, key = path.rpartition(".")
            if group_path.count(".") != 1:
                raise AppendixError(f"table {table.id!r}: rows.entries {path!r} is not an entry "
                                    "path (Namespace.Group.Entry)")
            group = _group(table, zoo, group_path, "rows.entries")
            _resolve(table, zoo, path, "rows.entries")
            found.append((group.records()[key], group.spec))

    fields = [(column.field, "columns") for column in table.columns]
    fields += [(rows.sort_by, "rows.sort_by")] if rows.sort_by else []
    for spec in {spec.path: spec for _, spec in found}.values():
        for field, where in fields:
            ok = field == "value" if spec.kind == "scalars" else schema_accepts(spec.schema_class(), field)
            if not ok:
                expect = "`value`" if spec.kind == "scalars" else f"a {spec.schema_class().__name__} field"
                raise AppendixError(f"table {table.id!r}: {where} field {field!r} is not a field "
                                    f"of {spec.path} entries ({spec.path}.<entry>.{field}); "
                                    f"use {expect}")

    if rows.sort_by:
        def key(pair: tuple[Any, Any]) -> Any:
            try:
                return get_field(pair[0], rows.sort_by)
            except KeyError:
                return None

        present = [pair for pair in found if key(pair) is not None]
        missing = [pair for pair in found if key(pair) is None]
        found = sorted(present, key=key, reverse=rows.descending) + missing
    return found


def check_tables(tables: list[Table], zoo: "Zoo") -> None:
    """Raise AppendixError for the first table naming a path the Zoo does not have."""
    for table in tables:
        table_entries(table, zoo)


def _resolve(table: Table, zoo: "Zoo", path: str, where: str) -> Any:
    try:
        return zoo.resolve(path)
    except UnknownNameError as exc:
        raise AppendixError(f"table {table.id!r}: {where} {path!r} is not in the Zoo: {exc}") from None


def _group(table: Table, zoo: "Zoo", path: str, where: str) -> Any:
    from ..zoo.namespace import GroupNamespace

    group = _resolve(table, zoo, path, where)
    if not isinstance(group, GroupNamespace):
        raise AppendixError(f"table {table.id!r}: {where} {path!r} is not a group "
                            "(Namespace.Group)")
    return group
