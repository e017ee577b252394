"""Files MkDocs Material ships that a built Zoo site never loads, removed before the swap,
and the indentation of the pages it writes.

Material copies into every site its JavaScript source maps (``*.map``, read only by a
browser's developer tools) and the search stemmers and word segmenters of every language
it supports (``assets/javascripts/lunr/``); a page loads only those of the languages in
the site's search configuration. Together they are over 2 MB of a 20 MB site. Only files
inside the freshly built staging folder are removed, never anything of the user's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: Where Material keeps its per-language search files, relative to the built site.
LUNR_FOLDER = Path("assets") / "javascripts" / "lunr"

#: Elements whose text is shown as written: their whitespace is never touched.
_VERBATIM = re.compile(r"(<(pre|textarea|script|style)\b.*?</\2>)", re.S | re.I)
#: A line break and the indentation after it (blank lines included).
_INDENT = re.compile(r"\n[ \t\r\n]+")


def collapse_indentation(html: str) -> str:
    """``html`` without the indentation and blank lines between its tags. Every line break
    stays a line break (which HTML renders as the same single space), and ``<pre>``,
    ``<textarea>``, ``<script>`` and ``<style>`` are kept as written."""
    parts = _VERBATIM.split(html)
    out = []
    for index in range(0, len(parts), 3):
        out.append(_INDENT.sub("\n", parts[index]))
        if index + 1 < len(parts):
            out.append(parts[index + 1])
    return "".join(out)


def collapse_pages(site: Path) -> int:
    """Collapse the indentation of every HTML page of the built ``site`` (Material indents
    its templates deeply: about a quarter of each page); return the bytes saved."""
    saved = 0
    for path in sorted(site.rglob("*.html")):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8")
        collapsed = collapse_indentation(text)
        if collapsed != text:
            path.write_text(collapsed, encoding="utf-8")
            saved += len(text.encode()) - len(collapsed.encode())
    return saved


def search_languages(site: Path) -> list[str]:
    """The languages of the built site's search index (``["en"]`` when it says none)."""
    index = site / "search" / "search_index.json"
    try:
        config = json.loads(index.read_text(encoding="utf-8")).get("config", {})
    except (OSError, ValueError):
        return ["en"]
    languages = config.get("lang") or ["en"]
    return [languages] if isinstance(languages, str) else list(languages)


def prune_unused_assets(site: Path) -> int:
    """Remove the source maps and, for a site searched in English only (which loads no lunr
    language file), the lunr language files; return the bytes removed. A site searching in
    other languages keeps every lunr file Material may load."""
    languages = set(search_languages(site))
    removed = 0
    for path in sorted(site.rglob("*.map")):
        if path.is_file() and not path.is_symlink():
            removed += path.stat().st_size
            path.unlink()
    lunr = site / LUNR_FOLDER
    if lunr.is_dir() and languages != {"en"}:
        return removed  # a multi-language site keeps every file Material may load
    if lunr.is_dir():
        for path in sorted(lunr.rglob("*")):
            if path.is_file() and not path.is_symlink():
                removed += path.stat().st_size
                path.unlink()
        for folder in sorted((p for p in lunr.rglob("*") if p.is_dir()), reverse=True):
            folder.rmdir()
        lunr.rmdir()
    return removed
