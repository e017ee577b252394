"""Every Python block on a hand-written site page (guides, API reference, the Zoo's help
pages) runs in a fresh interpreter: a reader who copies it gets no error. Blocks on one page
run in order in one interpreter, as a reader would paste them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*(REPO / "site" / "pages").rglob("*.md"),
                *(REPO / "mlsysim" / "site" / "content" / "pages").rglob("*.md")])
WITH_CODE = [page for page in PAGES if "```python" in page.read_text(encoding="utf-8")]


def test_the_pages_with_code_are_found():
    names = {page.relative_to(REPO).as_posix() for page in WITH_CODE}
    assert "site/pages/reference/walls.md" in names and "site/pages/guide/adding-a-solver.md" in names


@pytest.mark.parametrize("page", WITH_CODE, ids=lambda page: page.stem)
def test_page_code_runs(page, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(blocks), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, f"{page.name}:\n{run.stderr[-2000:]}"
    if "print(" in script.read_text(encoding="utf-8"):
        assert run.stdout.strip(), f"{page.name}: its code prints nothing"
