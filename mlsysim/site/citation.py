"""How a reader cites a Zoo source: a BibTeX entry and a CSL-JSON item per source record.

The site shows each source's BibTeX on its page and publishes all of them as
``sources.bib`` and ``sources.json`` (CSL-JSON, which pandoc and Quarto read directly). A
record knows its title (``ref``), its primary link (``url``), what kind of document it is,
and when someone read and checked it; it holds no authors or journal, so every item is a
generic document with the date it was accessed, not a guessed article.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

from .. import escaping
from ..provenance import Provenance

#: CSL item type per provenance kind (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types).
CSL_TYPES = {"datasheet": "document", "literature": "article", "industry_report": "report"}
CSL_DEFAULT_TYPE = "document"

#: A citation key holds only these characters; anything else in a record's key becomes '-'.
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def citation_key(key: str) -> str:
    """The BibTeX/CSL key of the source page ``key``: the catalog id (or inline hash) with any
    character BibTeX would misread replaced."""
    return "mlsysim-" + _KEY_UNSAFE.sub("-", key)


def accessed(record: Provenance) -> Any:
    """The date the cited document was read: ``retrieved``, else ``verified``, else None."""
    return getattr(record, "retrieved", None) or record.verified


def bibtex_entry(key: str, record: Provenance) -> str:
    """One ``@misc`` entry: title, url, the access date and a note saying what was checked."""
    fields = [("title", "{" + escaping.bibtex(record.ref) + "}"),
              ("key", citation_key(key))]  # what styles sort by when there is no author
    url = escaping.bibtex_url(record.url)
    if url:
        fields.append(("howpublished", r"\url{" + url + "}"))
        fields.append(("url", url))
    when = accessed(record)
    if when:
        fields.append(("urldate", when.isoformat()))
    fields.append(("note", escaping.bibtex(_note(record))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation_key(key)},\n{body}\n}}\n"


def csl_item(key: str, record: Provenance) -> dict[str, Any]:
    """One CSL-JSON item (id, type, title, URL, accessed, note)."""
    item: dict[str, Any] = {"id": citation_key(key),
                            "type": CSL_TYPES.get(record.kind.value, CSL_DEFAULT_TYPE),
                            "title": " ".join(str(record.ref).split())}
    url = escaping.safe_url(record.url)
    if url:
        item["URL"] = url
    when = accessed(record)
    if when:
        item["accessed"] = {"date-parts": [[when.year, when.month, when.day]]}
    item["note"] = _note(record)
    return item


def bibliography(sources: Iterable[tuple[str, Provenance]]) -> str:
    """All ``sources`` (page key, record) as one BibTeX file."""
    # BibTeX has no comments: outside an entry it skips any text without an at sign.
    header = "Sources of the mlsysim Zoo, one entry per source record.\n\n"
    return header + "\n".join(bibtex_entry(key, record) for key, record in sources)


def csl_json(sources: Iterable[tuple[str, Provenance]]) -> str:
    """All ``sources`` (page key, record) as a CSL-JSON array."""
    return json.dumps([csl_item(key, record) for key, record in sources], indent=1,
                      ensure_ascii=False) + "\n"


def _note(record: Provenance) -> str:
    kind = record.kind.value.replace("_", " ")
    if record.verified:
        checked = f"values checked against it on {record.verified.isoformat()}"
    else:
        checked = "values not yet checked against it"
    copy = escaping.safe_url(getattr(record, "evidence_url", None))
    read = f"; read in the copy at {copy}" if copy else ""
    return f"{kind}, cited by the mlsysim Zoo; {checked}{read}"
