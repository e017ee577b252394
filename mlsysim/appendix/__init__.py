"""Textbook appendix tables rendered from the Zoo (Quarto ``.qmd`` and LaTeX), with a drift check.

``tables.yaml`` declares the tables; :func:`render_tables` renders them;
``mlsysim appendix build|check`` (:mod:`mlsysim.cli.appendix`) writes or checks them;
:func:`check_table` is what a generated ``.qmd``'s hidden cell runs under Quarto.
"""

from .drift import AppendixDriftError, appendix_drift, check_table
from .render import render_tables, tex_escape
from .tables import DECLARATION_FILE, AppendixError, Table, check_tables, load_tables, table_entries

__all__ = ["DECLARATION_FILE", "AppendixDriftError", "AppendixError", "Table", "appendix_drift",
           "check_table", "check_tables", "load_tables", "render_tables",
           "table_entries", "tex_escape"]
