"""Registry text made safe for each output format: HTML-in-Markdown, Markdown for pandoc, LaTeX, URLs.

Registry strings (names, descriptions, refs, notes, URLs) are untrusted text: a
name holding ``<img onerror=...>`` must show as those characters, never run.
Each output has one function here; templates apply them (the site's Markdown
environment applies :func:`markdown_inline` to every ``{{ value }}``), so no
template can forget.

Links are allowed only to ``http``/``https`` URLs; anything else (``javascript:``,
``data:``, a relative path smuggled into a record) is shown as text.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from .errors import MlsysimError

#: Characters that mean something to Python-Markdown or its extensions (emphasis, code,
#: links, raw HTML, entities, tables, attr_list braces, headings, admonitions) when they
#: appear inside a line. They become numeric character references, which both
#: Python-Markdown and browsers show as the character itself.
_MARKDOWN_INLINE = re.compile(r"[\\`*_{}\[\]<>#!|&~^\"']")
#: Openers that make a block of a line's first characters: lists, rules, setext underlines,
#: block quotes (already escaped as '>') and ordered lists ("1." or "1)").
_BLOCK_START = re.compile(r"^(?:[-+=]|\d+(?=[.)]))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_WHITESPACE = re.compile(r"\s+")
#: A Markdown link to the web inside notes: [text](https://...). The only markup notes keep.
_NOTE_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\((https?://[^\s()<>\"']{1,2000})\)")
#: Internal links the site compiler makes itself: relative paths from validated ids.
_INTERNAL_HREF = re.compile(r"(?!/)[A-Za-z0-9_./-]+(?:#[A-Za-z0-9_-]+)?|#[A-Za-z0-9_-]+")
#: What a code span or code block may hold verbatim: dotted Zoo paths.
_CODE_SAFE = re.compile(r"[A-Za-z0-9_.-]+")
WEB_SCHEMES = ("http", "https")


class UnsafeText(MlsysimError, ValueError):
    """Registry text that cannot be placed where a template asked (a link, a code span)."""


def _reference(match: re.Match) -> str:
    return f"&#{ord(match.group(0))};"


def one_line(text: Any) -> str:
    """``text`` with control characters and runs of whitespace (newlines too) as one space."""
    return _WHITESPACE.sub(" ", _CONTROL.sub(" ", str(text))).strip()


def markdown_inline(text: Any) -> Markup:
    """Text for a table cell, heading or link text of the site's Markdown, shown literally."""
    if isinstance(text, Markup):
        return text
    return Markup(_MARKDOWN_INLINE.sub(_reference, one_line(text)))


def _inline(text: str) -> str:
    return _MARKDOWN_INLINE.sub(_reference, _WHITESPACE.sub(" ", _CONTROL.sub(" ", text)))


def markdown_block(text: Any) -> Markup:
    """Prose (a description, notes) as Markdown paragraphs shown literally; blank lines
    separate paragraphs, and ``[text](https://...)`` links stay links."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", str(text)):
        pieces, position = [], 0
        for match in _NOTE_LINK.finditer(paragraph):
            url = safe_url(match.group(2))
            if url is None:
                continue
            pieces.append(_inline(paragraph[position:match.start()]))
            pieces.append(f'<a href="{escape(url)}">{_inline(match.group(1))}</a>')
            position = match.end()
        pieces.append(_inline(paragraph[position:]))
        joined = "".join(pieces).strip()
        if joined:
            paragraphs.append(_BLOCK_START.sub(
                lambda m: "".join(f"&#{ord(c)};" for c in m.group(0)), joined))
    return Markup("\n\n".join(paragraphs))


def html_attribute(text: Any) -> Markup:
    """Text for an HTML attribute value in double quotes (a tooltip)."""
    return escape(one_line(text))


def safe_url(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, percent-encoded where Markdown or
    HTML would misread it; otherwise None (the caller shows the text without a link)."""
    if not isinstance(url, str) or not url or len(url) > 2000:
        return None
    text = url.strip()
    if _CONTROL.search(text) or " " in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return quote(text, safe="/:?#[]@!$&*+,;=%~-._")


def href(link: Any) -> Markup:
    """A link target: an internal relative path the site compiler made, or a web URL.

    Raises UnsafeText for anything else, so a template never links to ``javascript:``.
    """
    text = str(link)
    if _INTERNAL_HREF.fullmatch(text) and not text.startswith("//"):
        return Markup(text)
    url = safe_url(text)
    if url is None:
        raise UnsafeText(f"refusing to link to {text[:60]!r}: only http(s) URLs and the site's "
                         "own pages may be linked")
    return Markup(url.replace("(", "%28").replace(")", "%29"))


def code(text: Any) -> Markup:
    """A Zoo path for a code span or code block, where nothing can be escaped.

    Raises UnsafeText unless it holds only letters, digits, '_', '.' and '-'.
    """
    value = str(text)
    if not _CODE_SAFE.fullmatch(value):
        raise UnsafeText(f"{value[:60]!r} cannot be shown as code: a Zoo path holds only "
                         "letters, digits, '_', '.' and '-'")
    return Markup(value)


def breakable_code(text: Any) -> Markup:
    """A Zoo path as HTML code that may wrap after each dot (``<wbr>``, which copying
    leaves out), for narrow table columns. Same characters allowed as :func:`code`."""
    return Markup("<code>" + str(code(text)).replace(".", ".<wbr>") + "</code>")


# -- pandoc Markdown (Quarto) and LaTeX, for the appendix tables --------------

_PANDOC_SPECIAL = re.compile(r"([\\`*_\[\]<>|$@~^#&])")
_TEX_SPECIAL = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
}
_TEX_RE = re.compile("|".join(re.escape(char) for char in _TEX_SPECIAL))


def pandoc_inline(text: Any) -> str:
    """Text safe in a pandoc pipe-table cell or link text (punctuation backslash-escaped)."""
    return _PANDOC_SPECIAL.sub(r"\\\1", one_line(text))


def pandoc_url(url: Any) -> str | None:
    """A web URL for a pandoc link target (parentheses encoded), or None if not http(s)."""
    safe = safe_url(url)
    return safe.replace("(", "%28").replace(")", "%29") if safe else None


#: Characters pdflatex cannot set from UTF-8 input without extra packages, as LaTeX.
_TEX_UNICODE = {
    "×": r"\texttimes{}", "≈": r"\ensuremath{\approx}", "≤": r"\ensuremath{\leq}",
    "≥": r"\ensuremath{\geq}", "→": r"\ensuremath{\rightarrow}", "−": "-", "µ": r"\textmu{}",
    "μ": r"\textmu{}", "…": r"\dots{}", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``",
    "”": "''", "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,",
}
#: Straight quotes as LaTeX quotes: an opening quote follows the start or a space/bracket.
_TEX_OPENING_QUOTE = re.compile(r"(^|(?<=[\s(\[{]))(\"|')")


def tex(text: Any) -> str:
    """Text safe in LaTeX, one line: & % $ # _ { } ~ ^ and backslash escaped, straight quotes
    made opening or closing quotes, and common symbols (×, ≈, µ, dashes) spelled in LaTeX."""
    escaped = _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group(0)], one_line(text))
    quoted = _TEX_OPENING_QUOTE.sub(lambda m: m.group(1) + ("``" if m.group(2) == '"' else "`"),
                                    escaped).replace('"', "''")
    return "".join(_TEX_UNICODE.get(char, char) for char in quoted)


def tex_url(url: Any) -> str | None:
    """A web URL for the first argument of ``\\href`` (% # \\ { } escaped), or None."""
    safe = safe_url(url)
    return re.sub(r"([%#\\{}])", r"\\\1", safe) if safe else None


def bibtex(text: Any) -> str:
    """Text safe in a BibTeX field: :func:`tex`, with braces spelled as commands, since BibTeX
    counts ``\\{`` as an opening brace and an unbalanced one ends the field."""
    return tex(text).replace(r"\{", r"\textbraceleft{}").replace(r"\}", r"\textbraceright{}")


def bibtex_url(url: Any) -> str | None:
    """A web URL for a BibTeX ``url`` field (braces, backslashes and spaces percent-encoded),
    or None when it is not an http(s) URL."""
    safe = safe_url(url)
    if safe is None:
        return None
    return safe.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")


def html_pre(text: Any, css: str = "citation") -> Markup:
    """Any text as an HTML ``<pre>`` block of class ``css``, shown literally (for a Markdown
    page)."""
    if not re.fullmatch(r"[a-z][a-z-]*", css):
        raise UnsafeText(f"{css[:40]!r} is not a CSS class name")
    return Markup(f"<pre class=\"{css}\"><code>{escape(str(text))}</code></pre>")


# -- terminals ----------------------------------------------------------------

def terminal(text: Any) -> str:
    """Text safe to print on a terminal: control characters (escape sequences that move the
    cursor, recolour or retitle the terminal) and newlines become single spaces."""
    return one_line(_TERMINAL_CONTROL.sub(" ", str(text)))


def rich_text(text: Any) -> str:
    """Text for a rich table cell: :func:`terminal`, and rich's ``[markup]`` shown literally."""
    from rich.markup import escape as rich_escape

    return rich_escape(terminal(text))


#: C1 controls (U+0080-U+009F) act like escape sequences on many terminals, as do the C0 ones.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
