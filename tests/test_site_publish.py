"""Publishing the Zoo site: its address (site_url: sitemap, a 404 page that works under a
sub-path), the warning about numbers falling due, page descriptions, the citing line and
the changes page between two builds. Rendered pages are checked in Debian's chromium;
screenshots go to ``build/screenshots/`` (or ``$MLSYSIM_SCREENSHOTS``)."""

from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import AS_OF
from mlsysim.lineage.expiry import EXPIRY_HORIZON_DAYS
from mlsysim.site.build import (NO_SITE_URL, SITE_MARKER, SITE_MARKER_TEXT, SiteBuildError,
                                build_site, check_site_url)
from mlsysim.site.changes import compare, read_previous
from mlsysim.zoo.registry import DEFAULT_DATA_ROOT, Zoo

SCREENSHOTS = Path(os.environ.get("MLSYSIM_SCREENSHOTS", Path(__file__).parents[1] / "build" / "screenshots"))
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
SITE_URL = "https://example.org/book/zoo/"
#: The second build is a year and a half later: some verifications then fall due.
LATER = dt.date(2028, 6, 1)
CHANGED = "Hardware.Cloud.H100.memory.bandwidth"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two builds into the same folder: the shipped Zoo on AS_OF without a site_url, then
    (H100 memory bandwidth edited, LATER, --no-strict) with one. Returns the first site's
    copy, the second site, and both summaries."""
    root = tmp_path_factory.mktemp("publish")
    data = root / "data"
    shutil.copytree(DEFAULT_DATA_ROOT, data)
    out = root / "site"
    # The folder holds an old site whose zoo.json is damaged: the build goes on, and says so.
    out.mkdir()
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT)
    (out / "zoo.json").write_text('{"entries": [')
    first = build_site(out, zoo=Zoo(data), as_of=AS_OF)
    shutil.copytree(out, root / "first")
    chip = data / "Hardware" / "Cloud" / "H100.yaml"
    chip.write_text(chip.read_text(encoding="utf-8").replace("bandwidth: 3.35 TB/s",
                                                             "bandwidth: 3.5 TB/s", 1), encoding="utf-8")
    second = build_site(out, zoo=Zoo(data), as_of=LATER, strict=False, site_url=SITE_URL)
    return {"first": root / "first", "second": out, "summaries": (first, second)}


def _serve_under(site: Path, prefix: str):
    """Serve ``site`` at ``prefix`` (e.g. /book/zoo/) of a static host that answers a missing
    path with the site's 404.html, as GitHub Pages and most hosts do."""
    root = site.parent / "served"
    if not root.exists():
        shutil.copytree(site, root / prefix.strip("/"))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (root / prefix.strip("/") / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _shoot(page, url: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"publish-{name}-{label}.png"), full_page=False)


def _description(html: str) -> str:
    return html_lib.unescape(re.search(r'<meta name="description" content="([^"]*)"', html).group(1))


# -- site_url ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["example.org/zoo", "ftp://example.org/", "https://", "javascript:alert(1)",
                                   "https://example.org/zoo?x=1", "https://exa mple.org/", ""])
def test_a_bad_site_url_is_refused_naming_the_option_and_an_example(value):
    with pytest.raises(SiteBuildError) as caught:
        check_site_url(value, "--site-url")
    message = str(caught.value)
    assert message.startswith(f"--site-url {value!r} is not an http(s) URL") and "\n" not in message
    assert "https://example.org/book/zoo/" in message


def test_a_good_site_url_gets_its_trailing_slash():
    assert check_site_url("https://example.org/book/zoo", "--site-url") == "https://example.org/book/zoo/"


def test_the_cli_refuses_a_bad_site_url_option_and_key(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "mlsysim", "site", "build", "--out",
                               str(tmp_path / "out"), *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)

    option = run("--site-url", "example.org/zoo", "--no-config")
    assert option.returncode == 1 and not (tmp_path / "out").exists()
    [line] = option.stderr.strip().splitlines()
    assert line.startswith("error: --site-url 'example.org/zoo' is not an http(s) URL")
    assert line.endswith("give one like https://example.org/book/zoo/")

    (tmp_path / "pyproject.toml").write_text('[tool.mlsysim.site]\nsite_url = "ftp://example.org/"\n')
    key = run()
    assert key.returncode == 1 and not (tmp_path / "out").exists()
    [line] = key.stderr.strip().splitlines()
    assert "[tool.mlsysim.site] site_url = 'ftp://example.org/' is not an http(s) URL" in line
    assert "https://example.org/book/zoo/" in line


def test_without_a_site_url_the_summary_says_what_is_missing(builds):
    first, second = builds["summaries"]
    assert NO_SITE_URL in first.notices and NO_SITE_URL not in second.notices
    assert "[tool.mlsysim.site] site_url" in NO_SITE_URL


def test_the_sitemap_lists_every_page_under_the_site_url(builds):
    site = builds["second"]
    locations = re.findall(r"<loc>([^<]*)</loc>", (site / "sitemap.xml").read_text())
    pages = [p for p in site.rglob("index.html")]
    assert len(locations) == len(pages) and all(url.startswith(SITE_URL) for url in locations)
    assert SITE_URL + "zoo/Hardware/Cloud/H100/" in locations


def test_the_404_page_works_under_a_sub_path(builds, page):
    server, base = _serve_under(builds["second"], "/book/zoo/")
    try:
        failed = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        missing = base + "/book/zoo/no/such/page/"
        response = page.goto(missing)
        page.wait_for_load_state("networkidle")
        # Only the page itself is missing: every stylesheet, script and image loads.
        assert response.status == 404 and failed == [missing]
        assert [e for e in page.console_errors if "status of 404" not in e] == []
        assert len(page.console_errors) == 1  # chromium's note about the document's own 404
        # The theme's stylesheet loaded and applies: the header is coloured, not unstyled.
        header = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
        assert header not in ("", "rgba(0, 0, 0, 0)")
        assert page.evaluate("[...document.styleSheets].filter(s => s.href && s.cssRules.length).length") >= 2
        links = page.evaluate("[...document.querySelectorAll('.md-nav a[href], .md-header a[href]')]"
                              ".map(a => a.href)")
        assert any(link.endswith("/book/zoo/zoo/Hardware/") for link in links)
        for link in sorted(set(links)):
            assert page.request.get(link.split("#")[0]).status == 200, link
        # The page says what happened and offers the ways on, each working under the sub-path.
        assert page.locator("article h1").inner_text() == "Not in the Zoo"
        offered = page.evaluate("[...document.querySelectorAll('article a[href]')].map(a => a.href)")
        assert len(offered) == 6 and all("/book/zoo/" in link for link in offered), offered
        for link in offered:
            assert page.request.get(link).status == 200, link
        page.click("a.md-nav__link[href$='/book/zoo/status/']")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/book/zoo/status/") and page.title().startswith("Status")
        _shoot(page, base + "/book/zoo/no/such/page/", "404")
    finally:
        server.shutdown()


# -- numbers falling due ----------------------------------------------------------------
WARNING = re.compile(r"(\d+) verified numbers fall due for re-verification within 180 days "
                     r"\(first: (\S+) on (\d{4}-\d\d-\d\d)\); see the status page$")


def test_the_build_warns_about_numbers_falling_due(builds):
    first, second = builds["summaries"]
    assert not any(WARNING.search(line) for line in first.notices)  # none due by 2027-06-01
    [line] = [line for line in second.notices if WARNING.search(line)]
    count, path, due = WARNING.search(line).groups()
    status = (builds["second"] / "status" / "index.html").read_text().replace("<wbr>", "")
    expiring = status[status.index('id="expiring"'):status.index('id="attention"')]
    assert f"{count} numbers fall due for re-verification by" in expiring
    rows = re.findall(r"<code>([^<]+)</code>.*?(\d{4}-\d\d-\d\d)</td>\s*<td>(\d{4}-\d\d-\d\d)</td>",
                      expiring, re.S)
    assert rows[0][0] == path and rows[0][2] == due
    assert LATER <= dt.date.fromisoformat(due) <= LATER + dt.timedelta(days=EXPIRY_HORIZON_DAYS)


def test_the_audit_prints_the_same_warning():
    later = subprocess.run([sys.executable, "-m", "mlsysim", "audit", "--no-config", "--as-of",
                            LATER.isoformat()], capture_output=True, text=True, timeout=300)
    [line] = [line for line in later.stdout.splitlines() if WARNING.search(line)]
    assert line.startswith("warning: ")
    now = subprocess.run([sys.executable, "-m", "mlsysim", "audit", "--no-config", "--as-of",
                          AS_OF.isoformat()], capture_output=True, text=True, timeout=300)
    assert not any(WARNING.search(line) for line in now.stdout.splitlines())


# -- descriptions and citing ------------------------------------------------------------
def test_no_two_pages_share_a_description(builds):
    seen: dict[str, str] = {}
    shared = []
    for file in sorted(builds["second"].rglob("*.html")):
        text = _description(file.read_text())
        if text in seen:
            shared.append((seen[text], str(file.relative_to(builds["second"]))))
        seen.setdefault(text, str(file.relative_to(builds["second"])))
    assert shared == []


def test_home_and_footer_say_whose_sources_and_how_to_cite(builds, page):
    server, base = _serve_under(builds["second"], "/book/zoo/")
    try:
        page.goto(base + "/book/zoo/")
        citing = page.locator("#sources-and-citing + p")
        assert "belong to their publishers" in citing.inner_text()
        bib = citing.locator("a", has_text="BibTeX")
        assert "\n@misc{" in page.request.get(bib.evaluate("a => a.href")).text()
        footer = page.locator(".md-copyright__highlight")
        assert "belong to their publishers" in footer.inner_text()
        # The footer links by the site's address (the same HTML on every page); here, the
        # address is served from this test's host.
        assert footer.locator("a").get_attribute("href") == SITE_URL + "sources/#cite"
        page.goto(base + "/book/zoo/sources/#cite")
        page.wait_for_load_state("networkidle")
        assert page.locator("#cite + p a", has_text="BibTeX").count() == 1
        _shoot(page, base + "/book/zoo/#sources-and-citing", "home")
        _shoot(page, base + "/book/zoo/sources/#cite", "sources")
    finally:
        server.shutdown()
    # Without a site_url the footer cannot link (its HTML is the same on every page) and says so.
    first = (builds["first"] / "zoo/Hardware/Cloud/H100/index.html").read_text()
    assert "belong to their publishers" in first and 'href="https://example.org' not in first


def test_home_lists_the_downloads_and_their_licence(builds, page):
    server, base = _serve_under(builds["second"], "/book/zoo/")
    try:
        page.goto(base + "/book/zoo/#downloads")
        section = page.locator("#downloads ~ ul").first
        zoo_json = section.locator("a", has_text="zoo.json").evaluate("a => a.href")
        data = page.request.get(zoo_json).json()
        h100 = next(e for e in data["entries"] if e["path"] == "Hardware.Cloud.H100")
        bandwidth = next(n for n in h100["numbers"] if n["path"].endswith("memory.bandwidth"))
        # the second build's edit, as the source's digits and as a JSON number
        assert (bandwidth["value"], bandwidth["number"], bandwidth["unit"]) == ("3.5", 3.5, "TB/s")
        numbers = [n for e in data["entries"] for n in e["numbers"]]
        # A range (25,000–30,000 USD) has no one number; its ends are numbers instead.
        as_numbers = [n["number"] if "range" not in n else (n["range"]["low_number"], n["range"]["high_number"])
                      for n in numbers]
        flat = [x for value in as_numbers for x in (value if isinstance(value, tuple) else (value,))]
        assert all(isinstance(x, float) for x in flat), [n for n in numbers if n["number"] is None][:3]
        assert any("range" in n for n in numbers)
        licence = page.locator("#downloads ~ p", has_text="distributed under").first
        link = licence.locator("a")
        assert link.inner_text() == data["license"]["id"] == "Apache-2.0"
        assert link.get_attribute("href") == "https://spdx.org/licenses/Apache-2.0.html"
        assert "belong to their publishers" in licence.inner_text()
        assert page.console_errors == []
    finally:
        server.shutdown()


# -- the changes page -------------------------------------------------------------------
def test_the_first_build_says_there_is_nothing_to_compare_with(builds):
    text = (builds["first"] / "changes" / "index.html").read_text()
    assert "No previous build to compare with" in text
    [notice] = [line for line in builds["summaries"][0].notices if "zoo.json" in line]
    assert notice.endswith("zoo.json' is not valid JSON (JSONDecodeError); give the zoo.json of a "
                           "previous build; the changes page compares with nothing this time")


def test_the_second_build_lists_what_changed(builds, page):
    server, base = _serve_under(builds["second"], "/book/zoo/")
    try:
        page.set_viewport_size(DESKTOP)
        page.goto(base + "/book/zoo/changes/")
        page.wait_for_load_state("networkidle")
        assert page.console_errors == []
        assert f"Compared with the build for {AS_OF.isoformat()}" in page.inner_text("article")
        rows = page.evaluate("[...document.querySelectorAll('article table tbody tr')]"
                             ".map(tr => [...tr.cells].map(td => td.innerText.trim()))")
        assert [CHANGED, "value", "3.35 TB/s → 3.5 TB/s", "2026-11-22"] in rows
        # Six columns would need scrolling at 1366 px; four fit.
        assert page.evaluate("(() => { const t = document.querySelector('article table');"
                             " return t.scrollWidth <= t.parentElement.clientWidth; })()")
        page.click(f"article a:has-text('{CHANGED}')")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/zoo/Hardware/Cloud/H100/#memory-bandwidth")
        _shoot(page, base + "/book/zoo/changes/", "changes")
    finally:
        server.shutdown()
    old, new = read_previous(builds["first"] / "zoo.json"), read_previous(builds["second"] / "zoo.json")
    assert [c.path for c in compare(old, new) if c.kind == "value"] == [CHANGED]


@pytest.mark.parametrize("content, problem", [(None, "is not a file"), ("{", "is not valid JSON"),
                                              ('{"entries": 3}', "is not a zoo.json")])
def test_a_bad_previous_build_is_refused(tmp_path, content, problem):
    given = tmp_path / "zoo.json"
    if content is not None:
        given.write_text(content)
    with pytest.raises(SiteBuildError, match=problem):
        build_site(tmp_path / "out", as_of=AS_OF, previous=given)
    assert not (tmp_path / "out").exists()


def test_previous_text_is_escaped_on_the_changes_page():
    from mlsysim.site.changes import Snapshot
    from mlsysim.site.pages import SiteModel
    from mlsysim.site.render import render_docs

    payload = "<script>alert(1)</script>"
    previous = Snapshot("2026-01-01", {CHANGED: (payload, "2026-01-01"),
                                       "Hardware.Cloud.Gone|x": ("[a](javascript:x)", "")})
    page = render_docs(SiteModel(Zoo(), as_of=AS_OF), previous=previous)["changes.md"]
    assert payload not in page and "](javascript:" not in page
    assert "&lt;script&gt;" in page.replace("&#60;", "&lt;").replace("&#62;", "&gt;")
