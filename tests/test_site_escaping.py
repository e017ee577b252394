"""Registry text is untrusted: injected into every text field of a Zoo copy, it must show
literally on the built site and never run, in the HTML and in a real chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import AS_OF, serve
from mlsysim import escaping
from mlsysim.site.build import build_site
from mlsysim.zoo.registry import Zoo

#: Each payload marks window.__xss if a browser ever runs it.
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
JS_LINK = "[click me](javascript:window.__xss=1)"
ATTR_LIST = '{: onclick="window.__xss=1" }'
TABLE_BREAK = "| x | y |\n|---|---|"
PAYLOAD = f"{IMG} {SCRIPT} {JS_LINK} {ATTR_LIST} {TABLE_BREAK} *not bold* `not code`"
WEB_LINK = "[NVIDIA's page](https://www.nvidia.com/en-us/data-center/h100/)"


def _edit(file: Path, change) -> None:
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    change(data)
    file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def poison(data_root: Path) -> None:
    """Payloads in an entry's name and description, a catalog record's ref and notes, an
    inline record, a scalar's name and description, and a group's description."""

    def h100(entry):
        entry["name"] = f"H100 {IMG}"
        entry["description"] = PAYLOAD
        entry["field_provenance"]["power"] = {
            "kind": "estimate", "ref": f"Inline {SCRIPT}",
            "notes": f"{PAYLOAD} See {WEB_LINK} for the board power."}
    _edit(data_root / "Hardware" / "Cloud" / "H100.yaml", h100)

    def catalog(records):
        record = records["nvidia-h100-page-textcopy"]
        record["ref"] = f"Copy {IMG} {JS_LINK}"
        record["notes"] = PAYLOAD
        record["url"] = 'https://example.org/a"><script>window.__xss=1</script>'
    _edit(data_root / "sources" / _catalog_file(data_root, "nvidia-h100-page-textcopy"), catalog)

    def literature(entries):
        entries["MfuHigh"]["name"] = f"MFU {IMG}"
        entries["MfuHigh"]["description"] = PAYLOAD
    _edit(data_root / "Literature" / "Training.yaml", literature)

    def namespaces(spaces):
        spaces["Hardware"]["groups"]["Cloud"]["description"] = PAYLOAD
        spaces["Hardware"]["description"] = f"Accelerators {IMG}"
    _edit(data_root / "namespaces.yaml", namespaces)


def _catalog_file(data_root: Path, record_id: str) -> str:
    for file in sorted((data_root / "sources").glob("*.yaml")):
        if re.search(rf"^{re.escape(record_id)}:", file.read_text(encoding="utf-8"), re.M):
            return file.name
    raise AssertionError(f"{record_id} not in the catalog")


#: Pages where the payloads land (relative URLs of the built site) -> text each must show.
POISONED_PAGES = {
    "zoo/Hardware/Cloud/H100/": [f"H100 {IMG}", "*not bold*", "`not code`", JS_LINK, ATTR_LIST],
    "zoo/Hardware/Cloud/": [f"H100 {IMG}", SCRIPT, "| x | y |"],
    "zoo/Hardware/": [f"Accelerators {IMG}", f"H100 {IMG}"],
    "sources/nvidia-h100-page-textcopy/": [f"Copy {IMG} {JS_LINK}", SCRIPT, "*not bold*"],
    "sources/": [f"Copy {IMG}"],
    "zoo/Literature/Training/": [f"MFU {IMG}"],
    "status/": [f"Inline {SCRIPT}"],
    "": [],
}


@pytest.fixture(scope="module")
def poisoned_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("poisoned")
    import shutil

    from mlsysim.zoo.registry import DEFAULT_DATA_ROOT
    shutil.copytree(DEFAULT_DATA_ROOT, root / "data")
    poison(root / "data")
    out = root / "site"
    build_site(out, zoo=Zoo(root / "data"), as_of=AS_OF, strict=False)
    return out


class Markup(HTMLParser):
    """Collects what a browser would run: event-handler attributes, scripts, script links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and "__xss" in data:
            self.found.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag):
        self._in_script = False


def test_no_payload_reaches_the_html_as_markup(poisoned_site):
    pages = list(poisoned_site.rglob("*.html"))
    assert len(pages) > 500
    for html in pages:
        text = html.read_text(encoding="utf-8")
        # A <title> holds text only (RCDATA) in a browser; MkDocs writes the page's name there
        # unescaped, which Python's parser would misread as tags.
        parser = Markup()
        parser.feed(re.sub(r"<title>.*?</title>", "", text, flags=re.S))
        assert parser.found == [], html


def test_the_roofline_chart_escapes_the_name(poisoned_site):
    svg = (poisoned_site / "zoo" / "Hardware" / "Cloud" / "H100-roofline.svg").read_text()
    assert "<img" not in svg and "&lt;img src=x onerror=" in svg


def test_the_json_export_keeps_the_text_as_data(poisoned_site):
    import json

    export = json.loads((poisoned_site / "zoo.json").read_text(encoding="utf-8"))
    [h100] = [e for e in export["entries"] if e["path"] == "Hardware.Cloud.H100"]
    assert h100["description"] == PAYLOAD


def test_notes_keep_web_links_only(poisoned_site):
    [page] = [p for p in (poisoned_site / "sources").glob("inline-*/index.html")
              if "for the board power" in p.read_text(encoding="utf-8")]
    html = page.read_text(encoding="utf-8")
    assert '<a href="https://www.nvidia.com/en-us/data-center/h100/">NVIDIA&#39;s page</a>' in html
    assert "&#91;click me&#93;(javascript:window.&#95;&#95;xss=1)" in html


@pytest.fixture(scope="module")
def poisoned_url(poisoned_site):
    with serve(poisoned_site) as url:
        yield url


@pytest.mark.parametrize("path", POISONED_PAGES)
def test_payloads_show_literally_and_never_run_in_chromium(page, poisoned_url, path):
    """Each page: nothing ran (no window.__xss, no dialog), the text is there verbatim,
    and every link goes to the web or the site itself."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{poisoned_url}/{path}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    text = page.inner_text("article")
    for literal in POISONED_PAGES[path]:
        assert literal in text, f"{literal!r} is not shown as text"
    # Nothing from the data became a link that is not http(s) or the site's own.
    hrefs = page.eval_on_selector_all("article a[href]", "links => links.map(a => a.href)")
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs


def test_clicking_every_link_on_the_poisoned_entry_runs_nothing(page, poisoned_url):
    page.goto(f"{poisoned_url}/zoo/Hardware/Cloud/H100/")
    page.wait_for_load_state("networkidle")
    table_rows = page.locator("article tr").count()
    assert table_rows > 20, "the description's '|' broke the tables"
    assert page.locator("article a[onclick], article [onerror]").count() == 0
    source = page.locator("article a", has_text="Copy").first
    assert source.get_attribute("href").startswith("https://example.org/a%22%3E%3Cscript%3E")


def test_search_results_show_the_payload_as_text(page, poisoned_url):
    page.goto(f"{poisoned_url}/")
    page.wait_for_load_state("networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type("onerror", delay=30)
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert page.locator(".md-search-result img").count() == 0


# -- the escaping functions themselves ----------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:x",
                                 "data:text/html,<script>", "vbscript:x", "//evil.example/x",
                                 "/etc/passwd", "https://", "https://a b", "https://x\n.org", ""])
def test_only_web_urls_become_links(url):
    assert escaping.safe_url(url) is None
    with pytest.raises(escaping.UnsafeText, match="only http"):
        escaping.href(url) if url.strip() else escaping.href("java script:")


def test_markdown_inline_keeps_text_literal_and_on_one_line():
    assert escaping.markdown_inline("a|b\n*c* <i>") == "a&#124;b &#42;c&#42; &#60;i&#62;"


def test_markdown_block_neutralises_line_openers_and_keeps_web_links():
    out = escaping.markdown_block("# Title\n\n- item\n\n1. first [a](https://a.org/x) [b](javascript:x)")
    assert out.split("\n\n") == [
        "&#35; Title", "&#45; item",
        '&#49;. first <a href="https://a.org/x">a</a> &#91;b&#93;(javascript:x)']


def test_code_spans_refuse_what_they_cannot_escape():
    assert escaping.code("Hardware.Cloud.H100.memory.bandwidth") == "Hardware.Cloud.H100.memory.bandwidth"
    with pytest.raises(escaping.UnsafeText, match="cannot be shown as code"):
        escaping.code("x` <b>")


# -- terminals -----------------------------------------------------------------------------

def test_terminal_output_shows_registry_text_literally(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import mlsysim.zoo.registry as registry
    from mlsysim.cli import app
    from mlsysim.zoo.registry import DEFAULT_DATA_ROOT
    import shutil

    shutil.copytree(DEFAULT_DATA_ROOT, tmp_path / "data")
    title = "\x1b]0;retitled\x07\x1b[2J"   # retitle the terminal, clear the screen

    def h100(entry):
        entry["name"] = f"H100 {title}[red]not red[/red]"
        entry["description"] = f"line one\nline two {title}"
    _edit(tmp_path / "data" / "Hardware" / "Cloud" / "H100.yaml", h100)
    poisoned = Zoo(tmp_path / "data")
    monkeypatch.setattr(registry, "default_zoo", lambda: poisoned)
    for args in (["zoo", "Hardware.Cloud"], ["show", "Hardware.Cloud.H100"],
                 ["zoo", "Hardware.Cloud", "-o", "markdown"]):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        # rich and Markdown show brackets backslash-escaped; either way the text is literal
        assert "[red]not red[/red]" in re.sub(r"\\(.)", r"\1", result.output), args
    shown = CliRunner().invoke(app, ["show", "Hardware.Cloud.H100"]).output
    assert "line one line two" in shown


def test_terminal_escaping_functions():
    assert escaping.terminal("a\x1b[31mb\x9bc\nd") == "a [31mb c d"
    assert escaping.rich_text("[bold]x[/bold]") == "\\[bold]x\\[/bold]"
