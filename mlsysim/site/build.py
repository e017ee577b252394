"""``mlsysim site build``: gates, render, MkDocs Material (strict), then swap the result in.

The new site is built in a staging folder beside the output and moved into
place only when every step passed, so a failed build never leaves a
half-written site where a good one was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..appendix.tables import DECLARATION_FILE
from ..errors import MlsysimError
from ..lineage.audit import Finding, audit_zoo, reference_findings
from ..lineage.references import check_texts
from ..zoo.registry import Zoo
from .pages import SiteModel
from .render import render_docs, write_docs

CONTENT_DIR = Path(__file__).with_name("content")
#: Hand-written pages (guides), copied into the docs folder beside the generated ones.
PAGES_DIR = CONTENT_DIR / "pages"


class SiteBuildError(Exception):
    """The build stopped; ``findings`` say why (lineage) or ``args[0]`` does (MkDocs)."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []


@dataclass
class BuildSummary:
    pages: int
    numbers: int
    statuses: dict[str, int]
    seconds: float
    out: Path
    #: Lineage findings a --no-strict build went on despite (empty under --strict).
    findings: list[Finding] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.statuses.items() if count)
        return (f"Built {self.pages} pages with {self.numbers} numbers ({counts}) "
                f"into {self.out} in {self.seconds:.1f} s")


def build_site(out: Path, *, zoo: Zoo | None = None, as_of: dt.date | None = None,
               strict: bool = True, progress: Callable[[str], None] = lambda step: None,
               documents: Sequence[Path] = (), appendix: Path | None = None,
               appendix_tables: Path = DECLARATION_FILE) -> BuildSummary:
    """Build the Zoo site into ``out``. Raises SiteBuildError (``out`` untouched) on failure.

    Lineage gates 1-6 always run (gate 6 over ``documents`` and the site's own
    pages); gate 7 runs when ``appendix`` names a folder of committed tables
    (rendered from the declaration ``appendix_tables``).
    Under ``strict`` any finding stops the build; otherwise findings are returned.
    """
    started = time.perf_counter()
    zoo = zoo or Zoo()
    as_of = as_of or dt.date.today()
    out = Path(out).resolve()

    progress("Running lineage gates 1-6")
    report = audit_zoo(zoo, as_of=as_of, documents=documents)
    findings = list(report.errors)
    guides = hand_written_pages()
    if report.references is not None:
        findings += reference_findings(check_texts(
            ((f"docs/{name}", text) for name, text in guides.items()), report.references))
    if appendix is not None:
        progress("Checking the committed appendix tables (gate 7)")
        findings += _appendix_findings(appendix, zoo, as_of, appendix_tables)
    _stop_if(findings, strict, "the site was not built")

    progress("Rendering Markdown")
    model = SiteModel(zoo, as_of=as_of)
    files = render_docs(model)
    if report.references is not None:
        # Generated pages repeat the Zoo's prose (descriptions, notes), which may name paths.
        pages = ((f"docs/{name}", text) for name, text in sorted(files.items()) if name.endswith(".md"))
        page_findings = reference_findings(check_texts(pages, report.references))
        _stop_if(page_findings, strict, "the site's pages name Zoo paths that do not resolve")
        findings += page_findings
    files.update(guides)

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-", dir=out.parent))
    try:
        docs = staging / "docs"
        shutil.copytree(CONTENT_DIR, staging, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("mkdocs.yml", "pages"))
        write_docs(files, docs)
        for folder in ("stylesheets", "javascripts"):
            shutil.move(str(staging / folder), str(docs / folder))
        shutil.copy(CONTENT_DIR / "mkdocs.yml", staging / "mkdocs.yml")

        progress("Building with MkDocs Material")
        _mkdocs_build(staging / "mkdocs.yml", staging / "site", as_of)

        progress("Checking the built site")
        _post_checks(staging / "site", files)

        previous = out.with_name(f".{out.name}-previous")
        if previous.exists():
            shutil.rmtree(previous)
        if out.exists():
            out.rename(previous)
        (staging / "site").rename(out)
        if previous.exists():
            shutil.rmtree(previous)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    pages = sum(1 for name in files if name.endswith(".md"))
    statuses = {status.value: count for status, count in model.status_counts()}
    return BuildSummary(pages, len(model.numbers), statuses, time.perf_counter() - started, out,
                        sorted(set(findings)))


def hand_written_pages() -> dict[str, str]:
    """The guides in ``content/pages``: docs-relative name -> text."""
    return {str(page.relative_to(PAGES_DIR)): page.read_text(encoding="utf-8")
            for page in sorted(PAGES_DIR.rglob("*.md"))}


def _stop_if(findings: list[Finding], strict: bool, outcome: str) -> None:
    if findings and strict:
        gates = sorted({finding.gate for finding in findings})
        raise SiteBuildError(f"{len(findings)} lineage error(s) (gates: {', '.join(gates)}); {outcome}",
                             sorted(set(findings)))


def _appendix_findings(directory: Path, zoo: Zoo, as_of: dt.date, tables: Path) -> list[Finding]:
    from ..appendix.drift import GATE, appendix_drift

    try:
        findings, _diffs = appendix_drift(directory, zoo, as_of=as_of, tables_file=tables)
    except MlsysimError as exc:
        return [Finding(str(tables), GATE, f"the appendix tables cannot be rendered: {exc}",
                        "fix the table declaration (or the Zoo entries it names)")]
    return findings


def _mkdocs_build(config_file: Path, site_dir: Path, as_of: dt.date) -> None:
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    # Dates MkDocs writes (sitemap) follow the as-of date, so builds are reproducible.
    epoch = int(dt.datetime.combine(as_of, dt.time(), tzinfo=dt.timezone.utc).timestamp())
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
        build(config)
    except (Abort, ConfigurationError) as exc:
        detail = "\n".join(warnings) or str(exc)
        raise SiteBuildError(f"MkDocs strict build failed:\n{detail}") from None
    finally:
        logger.removeHandler(handler)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _post_checks(site: Path, files: dict[str, str]) -> None:
    problems = []
    for name in files:
        if name.endswith(".md"):
            html = site / (name[:-3] + "/index.html" if not name.endswith("index.md")
                           else name[:-8] + "index.html")
            if not html.exists():
                problems.append(f"{name}: no page at {html.relative_to(site)}")
        elif not (site / name).exists():
            problems.append(f"{name}: not copied into the site")
    if not (site / "search" / "search_index.json").exists():
        problems.append("search index missing")
    if problems:
        raise SiteBuildError("post-build checks failed:\n" + "\n".join(sorted(problems)))
