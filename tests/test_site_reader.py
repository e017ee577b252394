"""The Zoo site as a reader uses it, in Debian's chromium: tables that render and sort,
snippets that run, search that finds, pages that fit the screen.

Screenshots of the main page types at desktop and phone width go to
``build/screenshots/`` (or ``$MLSYSIM_SCREENSHOTS``) for review.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AS_OF, serve
from mlsysim.site.build import build_site
from mlsysim.units import ureg

SCREENSHOTS = Path(os.environ.get("MLSYSIM_SCREENSHOTS", Path(__file__).parents[1] / "build" / "screenshots"))
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
#: Page types a reader meets, for widths and screenshots.
PAGE_TYPES = {"home": "/", "namespace": "/zoo/Hardware/", "group": "/zoo/Hardware/Cloud/",
              "entry": "/zoo/Hardware/Cloud/H100/", "model": "/zoo/Models/Language/Llama3_70B/",
              "scalars": "/zoo/Literature/Training/", "source": "/sources/nvidia-h100-page-textcopy/",
              "sources": "/sources/", "status": "/status/", "using": "/using-numbers/",
              "walls": "/walls/", "wall": "/walls/serving/"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reader") / "site"
    build_site(out, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# -- tables that render ---------------------------------------------------------------
def test_no_page_shows_a_markdown_table_row(site):
    pages = html_pages(site)
    assert len(pages) > 500
    raw = [str(p.relative_to(site)) for p in pages
           if re.search(r"\|\s*:?-{3,}:?\s*\|", p.read_text(encoding="utf-8"))]
    assert raw == [], f"literal Markdown table rows in {raw[:10]}"


def _table(html: str, heading: str) -> str:
    return re.search(r"<table>.*?</table>", html[html.index(heading):], flags=re.S).group(0)


def test_comparison_columns_have_one_unit_and_grouped_digits(site):
    cloud = (site / "zoo/Hardware/Cloud/index.html").read_text()
    table = _table(cloud, "<h1")
    assert "memory bandwidth (TB/s)" in table
    assert "GB/s" not in re.sub(r"<th.*?</th>", "", table, flags=re.S)  # A100's 2039 GB/s is 2.039
    assert re.search(r'data-sort="\d\.\d+e\+\d+">2\.039<', table)  # the key is in base units
    assert 'class="badge badge-verified"' in table and 'title="Verified: ' in table
    language = (site / "zoo/Models/Language/index.html").read_text()
    assert "70,553,706,496" in language and "70553706496" not in language
    assert "Status letters:" in language


def test_each_group_has_a_csv(site):
    text = (site / "zoo/Hardware/Cloud/hardware-cloud.csv").read_text()
    assert text.startswith("path,entry,field,value,unit,qualifier,status,source,verified,url\n")
    assert "Hardware.Cloud.H100.memory.bandwidth,NVIDIA H100 SXM5 80GB,memory.bandwidth,3.35,TB/s,HBM3,Verified" in text
    assert 'href="hardware-cloud.csv"' in (site / "zoo/Hardware/Cloud/index.html").read_text()


def test_sorting_is_unit_aware_and_works_from_the_keyboard(page, base_url):
    page.goto(base_url + "/zoo/Hardware/Cloud/")
    page.wait_for_load_state("networkidle")
    table = page.locator("article table").first
    header = table.locator("thead th", has_text="memory bandwidth")
    assert header.get_attribute("aria-sort") == "none"
    header.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    column = [th.inner_text() for th in table.locator("thead th").all()].index(header.inner_text())
    keys = table.evaluate(f"""t => Array.from(t.tBodies[0].rows).map(r => {{
        const s = r.cells[{column}].querySelector('[data-sort]'); return s ? parseFloat(s.dataset.sort) : null; }})""")
    numbers = [k for k in keys if k is not None]
    assert len(numbers) > 10 and numbers == sorted(numbers)
    assert keys[len(numbers):] == [None] * (len(keys) - len(numbers))  # empty cells last
    after = page.evaluate("h => getComputedStyle(h, '::after').content", header.element_handle())
    assert "▲" in after
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert page.console_errors == []


# -- snippets that run ----------------------------------------------------------------
RUNNER = r"""
import contextlib, io, json, sys
results = []
for code in json.load(sys.stdin):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<snippet>", "exec"), {})
        results.append({"out": out.getvalue(), "error": None})
    except Exception as exc:
        results.append({"out": out.getvalue(), "error": f"{type(exc).__name__}: {exc}"})
json.dump(results, sys.stdout)
"""


def snippets(site: Path) -> dict[str, list[str]]:
    """Every Python code block shown on the site, as the reader copies it -> pages."""
    found: dict[str, list[str]] = {}
    for page in html_pages(site):
        for block in re.findall(r'<pre><code class="language-python">(.*?)</code></pre>',
                                page.read_text(encoding="utf-8"), flags=re.S):
            code = html_lib.unescape(re.sub(r"<[^>]+>", "", block))
            found.setdefault(code, []).append(str(page.relative_to(site)))
    return found


def _quantity(text: str):
    return ureg.Quantity(text.replace(",", "").strip())


def test_every_snippet_runs_and_prints_the_number_it_claims(site):
    shown = snippets(site)
    assert len(shown) > 90
    codes = list(shown)
    run = subprocess.run([sys.executable, "-I", "-c", RUNNER], input=json.dumps(codes),
                         capture_output=True, text=True, timeout=600,
                         cwd=site, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert run.returncode == 0, run.stderr
    failures = []
    for code, result in zip(codes, json.loads(run.stdout)):
        where = shown[code][0]
        if result["error"]:
            failures.append(f"{where}: {result['error']}")
            continue
        claims = re.findall(r"^print\(.*\)\s+#\s*(.+)$", code, flags=re.M)
        printed = result["out"].splitlines()
        if not claims:
            failures.append(f"{where}: the snippet claims no number")
        for claim, line in zip(claims, printed):
            try:
                expected, got = _quantity(claim), _quantity(line)
                ok = abs((got - expected).to(expected.units).magnitude) <= 1e-9 * abs(expected.magnitude)
            except Exception as exc:
                ok, line = False, f"{line} ({exc})"
            if not ok:
                failures.append(f"{where}: claims {claim!r}, prints {line!r}")
    assert failures == []


def test_anchors_carry_no_counts(site):
    status = (site / "status/index.html").read_text()
    for anchor in ("expiring", "unverified", "estimate", "stale"):
        assert f'id="{anchor}"' in status
    assert not re.search(r'id="[a-z]+-\d+"', status)
    source = (site / "sources/nvidia-h100-page-textcopy/index.html").read_text()
    assert 'id="citing"' in source


# -- search that finds ----------------------------------------------------------------
@pytest.mark.parametrize("query, expected", [
    ("H100", "/zoo/Hardware/Cloud/H100/"),
    ("Hardware.Cloud.H100", "/zoo/Hardware/Cloud/H100/"),
    ("Llama3_70B", "/zoo/Models/Language/Llama3_70B/"),
    ("memory bandwidth H100", "/zoo/Hardware/Cloud/H100/"),
])
def test_search_puts_the_right_page_first(page, base_url, query, expected):
    page.goto(base_url + "/")
    page.wait_for_load_state("networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type(query, delay=20)
    first = page.locator(".md-search-result__item > a.md-search-result__link").first
    first.wait_for(timeout=15000)
    page.wait_for_timeout(400)
    href = first.get_attribute("href")
    assert re.split(r"[?#]", href)[0].endswith(expected), (query, href)


# -- light pages that fit --------------------------------------------------------------
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || el.closest('.md-typeset__scrollwrap, pre, .md-sidebar, .md-search, svg')) continue;
    if (box.right > width + 1 || box.left < -1) wide.push(`${el.tagName}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  const clipped = [];
  for (const wrap of document.querySelectorAll('article .md-typeset__scrollwrap')) {
    if (wrap.getBoundingClientRect().right > width + 1) clipped.push('scroll container wider than the screen');
    if (getComputedStyle(wrap).overflowX !== 'auto' && wrap.scrollWidth > wrap.clientWidth) clipped.push('table clipped');
  }
  return {wide: wide.slice(0, 5), clipped, tables: document.querySelectorAll('article table').length,
          wrapped: document.querySelectorAll('article .md-typeset__scrollwrap table').length,
          overflowing: Array.from(document.querySelectorAll('article .md-typeset__scrollwrap'))
                            .filter(w => w.scrollWidth > w.clientWidth + 1).length};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pages_fit_the_screen_and_tables_scroll(browser, base_url, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    problems = []
    for name, path in PAGE_TYPES.items():
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport['width']}.png"))
        found = page.evaluate(OVERFLOW)
        if found["wide"] or found["clipped"] or found["tables"] != found["wrapped"]:
            problems.append((path, found))
        if viewport is DESKTOP and name in ("group", "entry", "scalars", "source", "status", "wall") \
                and found["overflowing"]:
            problems.append((path, f"{found['overflowing']} tables need scrolling at 1366 px"))
    context.close()
    assert problems == []


def test_pages_carry_their_own_description(site):
    h100 = (site / "zoo/Hardware/Cloud/H100/index.html").read_text()
    description = re.search(r'<meta name="description" content="([^"]*)"', h100).group(1)
    assert "Hardware.Cloud.H100" in description and description != \
        re.search(r'<meta name="description" content="([^"]*)"', (site / "index.html").read_text()).group(1)


# -- the reader's tasks ---------------------------------------------------------------
def test_a_number_reaches_its_primary_source_in_one_click_with_its_date(page, base_url):
    page.goto(base_url + "/zoo/Hardware/Cloud/H100/#memory-bandwidth")
    page.wait_for_load_state("networkidle")
    row = page.locator("tr", has=page.locator("#memory-bandwidth"))
    assert "Verified 2026-11-22" in row.inner_text()
    link = row.locator("a[href^='https://']").first
    assert link.get_attribute("title").startswith("NVIDIA H100 product page")
    assert page.evaluate("r => getComputedStyle(r).backgroundColor", row.element_handle()) != "rgba(0, 0, 0, 0)"


def test_a_derived_number_shows_what_it_came_from(page, base_url):
    page.goto(base_url + "/zoo/Models/Language/Llama3_8B/")
    row = page.locator("tr", has=page.locator("#flops_per_token"))
    assert "Derived" in row.inner_text() and "from" in row.inner_text()
    row.locator("a[href$='#parameters']").first.click()
    assert page.url.endswith("#parameters")


def test_status_lists_unverified_and_expiring_numbers(page, base_url):
    page.goto(base_url + "/status/#unverified")
    page.wait_for_load_state("networkidle")
    assert "Hardware.Cloud.T4.compute.peak.fp16.dense" in page.inner_text("article")
    assert page.locator("#expiring").count() == 1
    assert "freshness policy" in page.inner_text("article")


def test_status_filters_by_namespace_and_badge(page, base_url):
    from mlsysim.lineage.status import Status
    from mlsysim.site.pages import SiteModel
    from mlsysim.zoo.registry import default_zoo

    numbers = SiteModel(default_zoo(), as_of=AS_OF).numbers
    attention = [n for n in numbers if n.status in (Status.STALE, Status.UNVERIFIED, Status.ESTIMATE)]
    wanted = [n for n in attention if n.status is Status.ESTIMATE and n.path.startswith("Models.")]
    # A link to a badge's anchor opens the table with that badge chosen.
    page.goto(base_url + "/status/#unverified")
    page.wait_for_load_state("networkidle")
    status = page.locator("select[data-facet=Status]")
    assert status.input_value() == "Unverified"
    unverified = sum(n.status is Status.UNVERIFIED for n in attention)
    from playwright.sync_api import expect

    expect(page.locator("#attention ~ .zoo-filter .zoo-filter-count")).to_have_text(
        f"{unverified} of {len(attention)} rows")
    status.select_option("Estimate")
    page.locator("select[data-facet=Namespace]").select_option("Models")
    rows = page.locator("#attention ~ .md-typeset__scrollwrap table tbody tr:not([hidden])")
    assert rows.count() == len(wanted) > 0
    cells = rows.evaluate_all("rows => rows.map(r => [r.cells[0].textContent.split('.')[0], r.cells[1].textContent.trim()])")
    assert set(map(tuple, cells)) == {("Models", "Estimate")}
    shown = rows.evaluate_all("rows => rows.map(r => r.cells[0].textContent)")
    assert shown == [n.path for n in wanted]  # <wbr> break points are not copied into the text
    assert page.console_errors == []


# -- the view model's pieces ----------------------------------------------------------
def test_large_numbers_are_grouped_and_years_are_not():
    from mlsysim.site.pages import group_digits

    assert group_digits("70553706496") == "70,553,706,496"
    assert group_digits("15000000000000") == "15,000,000,000,000"
    assert group_digits("2024") == "2024" and group_digits("3.35") == "3.35"
    assert group_digits("12345.5") == "12,345.5" and group_digits("1.5e+15") == "1.5e+15"


def test_sort_keys_compare_values_across_units():
    from mlsysim.site.pages import sort_key

    keys = [sort_key(ureg.Quantity(text)) for text in ("2039 GB/s", "3.35 TB/s", "900 GB/s")]
    assert sorted(keys, key=float) == [keys[2], keys[0], keys[1]]
    assert sort_key("text") == "" and sort_key(0.462) == "4.620000e-01"


def test_python_paths_index_dict_keys_and_list_positions():
    import mlsysim
    from mlsysim.site.pages import python_parts

    h100 = mlsysim.Hardware.Cloud.H100
    assert [p["kind"] for p in python_parts(h100, "compute.peak.fp64.dense")] == \
        ["attr", "attr", "key", "attr"]
    assert python_parts(h100, "") == []


def test_roofline_labels_never_overlap():
    from mlsysim.site.charts import LABEL_GAP, spread

    placed = spread([50, 50, 52, 200, 330], LABEL_GAP, 31, 326)
    ordered = sorted(placed)
    assert all(b - a >= LABEL_GAP - 1e-9 for a, b in zip(ordered, ordered[1:]))
    assert 31 <= ordered[0] and ordered[-1] <= 326


def test_every_roofline_has_a_labelled_slope_and_separate_labels(site):
    charts = sorted(site.rglob("*-roofline.svg"))
    assert len(charts) >= 20
    for chart in charts:
        svg = chart.read_text()
        ys = sorted(float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" font-size="11" '
                                                  r'text-anchor="end" fill=', svg))
        assert all(b - a >= 12.9 for a, b in zip(ys, ys[1:])), chart.name
        if "Memory bandwidth not listed" not in svg:
            assert re.search(r">(slope: )?memory [\d.]+ [PTGM]B/s<", svg), chart.name


def test_status_lists_numbers_falling_due_within_180_days():
    import datetime as dt

    from mlsysim.site.pages import SiteModel
    from mlsysim.site.render import render_docs
    from mlsysim.zoo.registry import Zoo

    status = render_docs(SiteModel(Zoo(), as_of=dt.date(2028, 6, 1)))["status.md"]
    expiring = status[status.index("## Expiring within 180 days"):status.index("## Needing attention")]
    assert "numbers fall due for re-verification by 2028-11-28" in expiring
    due = re.findall(r"\| (\d{4}-\d\d-\d\d) \| (\d{4}-\d\d-\d\d) \|", expiring)
    assert due and all("2028-06-01" <= d <= "2028-11-28" for _, d in due)
    assert [d for _, d in due] == sorted(d for _, d in due)


def test_long_tables_filter_as_the_reader_types(page, base_url):
    page.goto(base_url + "/sources/")
    page.wait_for_load_state("networkidle")
    table = page.locator("article table").first
    total = table.locator("tbody tr").count()
    box = page.locator(".zoo-filter input")
    box.fill("datasheet 2026-11")
    shown = table.locator("tbody tr:not([hidden])")
    texts = [row.inner_text().lower() for row in shown.all()]
    assert 0 < len(texts) < total
    assert all("datasheet" in text and "2026-11" in text for text in texts)
    assert page.locator(".zoo-filter-count").inner_text() == f"{len(texts)} of {total} rows"
    box.fill("")
    from playwright.sync_api import expect

    expect(table.locator("tbody tr:not([hidden])")).to_have_count(total)


def test_key_value_tables_are_not_sortable(page, base_url):
    """A source page's facts table has no headings: no sort arrows on empty headings."""
    page.goto(base_url + "/sources/nvidia-h100-page-textcopy/")
    page.wait_for_load_state("networkidle")
    from playwright.sync_api import expect

    # First wait until the script has made the citing table sortable, so the facts table's
    # missing arrows are the script's decision, not a script that has not run yet.
    expect(page.locator("article table").nth(1).locator("thead th[aria-sort]")).to_have_count(3)
    facts = page.locator("article table").first
    assert facts.locator("thead th[aria-sort]").count() == 0


def test_each_number_has_a_citation_card_whose_python_runs(site):
    """Issue 15: a card per number, reached from its row, with the source, dates and a
    Python path that prints the number the card shows."""
    html = (site / "zoo/Hardware/Cloud/H100/index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<span id="([^"]+)"></span><a href="#(cite-[^"]+)"', html)
    cards = dict(re.findall(r'<p class="number-card" data-search-exclude(?:="")? id="([^"]+)">(.*?)</p>',
                            html, flags=re.S))  # out of the search index: the tables are in it
    assert len(rows) > 15 and all(card in cards for _row, card in rows)
    band = cards["cite-memory-bandwidth"]
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", band)).split())
    assert "= 3.35 TB/s, HBM3" in text and "Verified 2026-11-22" in text
    assert "due again by 2029-11-21" in text and "read in a copy on 2026-11-22" in text
    assert 'href="https://www.nvidia.com/en-us/data-center/h100/"' in band
    codes, claims = [], []
    for card in cards.values():
        python = re.search(r"Python: <code>(mlsysim\.[^<]+)</code>", card)
        value = re.search(r"</code></strong> = ([^·]+?)(?:,[^·]*)? ·", card)
        assert python and value, card[:200]
        codes.append(f"import mlsysim\nprint({html_lib.unescape(python.group(1))})")
        claims.append(html_lib.unescape(value.group(1)).strip())
    run = subprocess.run([sys.executable, "-I", "-c", RUNNER], input=json.dumps(codes),
                         capture_output=True, text=True, timeout=300, cwd=site,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert run.returncode == 0, run.stderr
    for claim, result in zip(claims, json.loads(run.stdout)):
        assert result["error"] is None, result
        got = result["out"].strip()
        try:
            ok = _quantity(got).to(_quantity(claim).units).magnitude == pytest.approx(
                _quantity(claim).magnitude, rel=1e-6)
        except Exception:
            ok = got == claim
        assert ok, (claim, got)
