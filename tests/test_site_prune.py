"""The built pages lose Material's indentation (a quarter of their bytes) and nothing a
reader sees: every line break stays a break, and verbatim elements keep their text."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from mlsysim.site.prune import collapse_indentation, collapse_pages


def _rendered(html: str) -> str:
    """What a browser shows outside verbatim elements: whitespace runs as one space."""
    return re.sub(r"\s+", " ", html)


def test_indentation_and_blank_lines_go_and_pre_blocks_stay():
    html = ("<nav>\n    <ul>\n\n      <li>Zoo</li>\n    </ul>\n</nav>\n"
            "<pre><code>TTFT = max(\n    F / P,\n    W / BW)</code></pre>\n"
            "<script>\n  var x = 1;\n</script>")
    assert collapse_indentation(html) == (
        "<nav>\n<ul>\n<li>Zoo</li>\n</ul>\n</nav>\n"
        "<pre><code>TTFT = max(\n    F / P,\n    W / BW)</code></pre>\n"
        "<script>\n  var x = 1;\n</script>")


_TEXT = st.text(alphabet=" \n\tab<>/=\"", max_size=40)
_VERBATIM = st.builds(lambda tag, body: f"<{tag}>{body}</{tag}>",
                      st.sampled_from(["pre", "textarea", "script", "style"]),
                      st.text(alphabet=" \n\tab=;", max_size=30))


@given(st.lists(st.one_of(_TEXT, _VERBATIM), max_size=8))
def test_collapsing_changes_nothing_a_reader_sees(pieces):
    html = "".join(pieces)
    collapsed = collapse_indentation(html)
    assert len(collapsed) <= len(html)
    # Verbatim elements come through byte for byte, in order.
    verbatim = re.compile(r"<(pre|textarea|script|style)>.*?</\1>", re.S)
    assert [m.group(0) for m in verbatim.finditer(collapsed)] == \
        [m.group(0) for m in verbatim.finditer(html)]
    # Elsewhere the text renders the same, and collapsing twice changes nothing more.
    assert _rendered(verbatim.sub("", collapsed)) == _rendered(verbatim.sub("", html))
    assert collapse_indentation(collapsed) == collapsed


def test_collapse_pages_rewrites_only_html_files(tmp_path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text("<p>\n    a\n</p>\n")
    (tmp_path / "data.json").write_text('{\n    "a": 1\n}\n')
    saved = collapse_pages(tmp_path)
    assert saved == 4
    assert (tmp_path / "page" / "index.html").read_text() == "<p>\na\n</p>\n"
    assert (tmp_path / "data.json").read_text() == '{\n    "a": 1\n}\n'
