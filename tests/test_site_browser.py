"""The built site in a real headless Chromium (Debian's), driven by Playwright.

Skips with a reason on a machine without chromium or Playwright; under CI
(CI=true) their absence fails instead.
"""

import pytest

from conftest import AS_OF, serve
from mlsysim.site.build import build_site


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(out, as_of=AS_OF)
    with serve(out) as url:
        yield url


def _expect():
    from playwright.sync_api import expect

    return expect


def test_navigate_from_home_to_a_verified_number_and_its_source(page, base_url):
    page.goto(base_url + "/")
    assert "The mlsysim Zoo" in page.inner_text("article")
    page.click("article a:has-text('Hardware')")
    page.click("article a:has-text('AMD Instinct MI300X')")
    assert page.url.endswith("/zoo/Hardware/Cloud/MI300X/")
    row = page.locator("tr", has=page.locator("#memory-bandwidth"))
    assert "5.3" in row.inner_text() and "TB/s" in row.inner_text()
    badge = row.locator("a.badge")
    assert badge.inner_text() == "Verified 2026-11-22"
    assert "AMD ROCm documentation" in badge.get_attribute("title")
    datasheet = row.locator("a[href^='https://']")
    assert datasheet.get_attribute("href").startswith("https://github.com/ROCm/legacy-rocm-build")
    badge.click()
    assert page.url.endswith("/sources/amd-rocm-mi300-microarch/")
    page.click("article a:has-text('Hardware.Cloud.MI300X.memory.bandwidth')")
    assert page.url.endswith("/zoo/Hardware/Cloud/MI300X/#memory-bandwidth")
    assert page.console_errors == []


def test_h100_page_shows_bandwidth_with_its_datasheet(page, base_url):
    page.goto(base_url + "/")
    page.click("article a:has-text('Hardware')")
    page.click("article a:text-is('NVIDIA H100 SXM5 80GB')")
    assert page.url.endswith("/zoo/Hardware/Cloud/H100/")
    row = page.locator("tr", has=page.locator("#memory-bandwidth"))
    assert "3.35" in row.inner_text()
    badge = row.locator("a.badge")
    assert badge.inner_text() == "Verified 2026-11-22"
    assert "NVIDIA H100 product page" in badge.get_attribute("title")
    # The number's first link is NVIDIA's own page; the copy that was read sits beside it
    # in the entry's source list.
    link = row.locator("a[href^='https://']").first.get_attribute("href")
    assert link == "https://www.nvidia.com/en-us/data-center/h100/"
    copy = page.locator("article a[href$='2026-10-nvidia-h100-specs.txt']")
    assert copy.count() >= 1 and "github.com/ewyluda/macrogauge/" in copy.first.get_attribute("href")
    badge.click()
    page.wait_for_url("**/sources/nvidia-h100-page-textcopy/")
    page.click("article a:has-text('Hardware.Cloud.H100.memory.bandwidth')")
    page.wait_for_url("**/zoo/Hardware/Cloud/H100/#memory-bandwidth")
    # expect() waits for the new page; a bare count() right after navigation could read the old one.
    _expect()(page.locator("img[src$='H100-roofline.svg']")).to_have_count(1)
    assert page.console_errors == []


def test_search_finds_h100(page, base_url):
    page.goto(base_url + "/")
    page.wait_for_load_state("networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type("H100", delay=50)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert "H100" in page.locator(".md-search-result").inner_text()
    assert page.console_errors == []


@pytest.mark.parametrize("path", ["/", "/status/", "/sources/", "/zoo/Hardware/", "/using-numbers/",
                                  "/zoo/Literature/Training/", "/zoo/Infrastructure/Grids/"])
def test_pages_log_no_console_errors(page, base_url, path):
    response = page.goto(base_url + path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.console_errors == []
