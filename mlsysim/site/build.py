"""``mlsysim site build``: gates, render, MkDocs Material (strict), then swap the result in.

The new site is built in a staging folder beside the output and moved into
place only when every step passed, so a failed build never leaves a
half-written site where a good one was.

The build writes, replaces and deletes only folders it made itself: ``--out``
must be a new or empty folder, or a previous mlsysim site (it holds the
marker file ``.mlsysim-site``). The swap is two renames (old site aside to
``.<out>-previous``, new site in); a build killed between them leaves the old
site aside, and the next build puts it back before it starts. Staging folders
of killed builds are removed by the next build to the same place.
"""

from __future__ import annotations

import datetime as dt
import glob
import html
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .prune import collapse_pages, prune_unused_assets
from ..appendix.tables import DECLARATION_FILE
from ..errors import MlsysimError, shown
from ..escaping import UnsafeText
from urllib.parse import urlsplit

from ..lineage.audit import audit_zoo
from ..lineage.expiry import warning_line
from ..lineage.finding import Finding
from ..lineage.gates import in_order, reference_findings
from ..lineage.references import check_texts
from ..zoo.registry import Zoo
from .pages import SiteModel
from .changes import EXPORT_FILE, PreviousBuildError, read_previous
from .render import expiring, render_docs, write_docs

CONTENT_DIR = Path(__file__).with_name("content")
PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Written at the top of every site this tool builds; only such a folder may be replaced.
SITE_MARKER = ".mlsysim-site"
SITE_MARKER_TEXT = ("This folder was written by `mlsysim site build`. The next build replaces it "
                    "whole: keep nothing else here.\n")
#: Written into a staging folder with the building process's id, so a later build can tell
#: the staging folder of a killed build (removed) from one in use (left alone).
STAGING_MARKER = ".mlsysim-staging"
#: The Zoo's own help page(s), copied into the docs folder beside the generated ones.
PAGES_DIR = CONTENT_DIR / "pages"
#: The Zoo site's MkDocs configuration, used when a project names none of its own.
DEFAULT_MKDOCS = CONTENT_DIR / "mkdocs.yml"
#: Stylesheets and scripts every Zoo site needs (badges, sortable tables): copied into the
#: docs folder and added to any project's MkDocs configuration that does not list them.
ASSET_FOLDERS = ("stylesheets", "javascripts")
EXTRA_CSS = ("stylesheets/badges.css",)
EXTRA_JAVASCRIPT = ("javascripts/tablesort.js", "javascripts/tablefilter.js")
#: Theme overrides (the 404 page), used unless the MkDocs file sets its own custom_dir.
THEME_OVERRIDES = CONTENT_DIR / "overrides"


class SiteBuildError(MlsysimError):
    """The build stopped; ``findings`` say why (lineage) or ``args[0]`` does (MkDocs)."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []


class OutFolderError(SiteBuildError):
    """``--out`` names a place the build may not write to; nothing was touched."""


@dataclass
class BuildSummary:
    pages: int
    numbers: int
    statuses: dict[str, int]
    seconds: float
    out: Path
    #: Lineage findings a --no-strict build went on despite (empty under --strict).
    findings: list[Finding] = field(default_factory=list)
    #: Labels of the lineage gates that ran, in order ("1 missing-provenance", ...).
    gates: tuple[str, ...] = ()
    #: Warning lines for the author that do not stop the build (no site_url, expiring numbers).
    notices: list[str] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in self.statuses.items() if count)
        checked = f"; checked by {len(self.gates)} lineage gates ({', '.join(self.gates)})"
        return (f"Built {self.pages} pages with {self.numbers} numbers ({counts}) "
                f"into {self.out} in {self.seconds:.1f} s{checked if self.gates else ''}")


def build_site(out: Path, *, zoo: Zoo | None = None, as_of: dt.date | None = None,
               strict: bool = True, progress: Callable[[str], None] = lambda step: None,
               documents: Sequence[Path] = (), appendix: Path | None = None,
               appendix_tables: Path = DECLARATION_FILE, mkdocs_config: Path | None = None,
               pages: Path | None = None, templates: Path | None = None,
               site_url: str | None = None, previous: Path | None = None) -> BuildSummary:
    """Build the Zoo site into ``out``. Raises SiteBuildError (``out`` untouched) on failure.

    Every lineage gate of ``mlsysim.lineage.gates.GATES`` runs, in order (gate 6
    over ``documents`` and the site's own pages; gate 7 when ``appendix`` names a
    folder of committed tables, rendered from the declaration ``appendix_tables``).
    Under ``strict`` any finding stops the build; otherwise findings are returned.

    A project's own site: ``mkdocs_config`` replaces the Zoo's default MkDocs
    configuration (its ``docs_dir`` and ``site_dir`` are set by the build),
    ``pages`` is a folder of hand-written pages placed beside the generated Zoo,
    and ``templates`` a folder whose templates replace the shipped ones of the
    same name.

    ``site_url`` is where the site will be served (an http(s) URL; else the MkDocs
    configuration's, if any): with it the sitemap lists every page and the 404 page
    works under a sub-path. The changes page compares with ``previous`` (a zoo.json), else
    with the zoo.json of the site in ``out`` when there is one.
    """
    started = time.perf_counter()
    if site_url is not None:
        site_url = check_site_url(site_url, "--site-url")
    out = check_out_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    aside = out.with_name(f".{out.name}-previous")
    _recover(out, aside)
    _remove_stale_staging(out)
    zoo = zoo or Zoo()
    as_of = as_of or dt.date.today()

    # The changes page compares with --previous (an error if unreadable) or else with the
    # site being replaced (a warning if its zoo.json is unreadable: the build goes on).
    before, unreadable = None, None
    try:
        if previous is not None:
            before = read_previous(previous)
        elif is_site(out) and (out / EXPORT_FILE).is_file():
            before = read_previous(out / EXPORT_FILE, option="")
    except PreviousBuildError as exc:
        if previous is not None:
            raise SiteBuildError(str(exc)) from None
        unreadable = f"{exc}; the changes page compares with nothing this time"

    guides = hand_written_pages(pages)
    report = audit_zoo(zoo, as_of=as_of, documents=documents, progress=progress,
                       texts=[(f"docs/{name}", text) for name, text in guides.items()],
                       appendix=appendix, appendix_tables=appendix_tables)
    findings = list(report.errors)
    _stop_if(findings, strict, "the site was not built")

    progress("Rendering Markdown")
    try:
        model = SiteModel(zoo, as_of=as_of)
        files = render_docs(model, templates=templates, previous=before)
    except UnsafeText as exc:
        raise SiteBuildError(f"the site was not built: {exc}") from None
    if report.references is not None:
        # Generated pages repeat the Zoo's prose (descriptions, notes), which may name paths;
        # that prose is escaped with character references, read here as the reader sees it.
        pages = ((f"docs/{name}", html.unescape(text)) for name, text in sorted(files.items())
                 if name.endswith(".md"))
        page_findings = reference_findings(check_texts(pages, report.references))
        _stop_if(page_findings, strict, "the site's pages name Zoo paths that do not resolve")
        findings += page_findings
    clashes = sorted(set(files) & set(guides))
    if clashes:
        raise SiteBuildError(f"hand-written page(s) {', '.join(clashes[:5])} in {pages} have the "
                             "name of a generated Zoo page; rename them")
    files.update(guides)

    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-", dir=out.parent))
    (staging / STAGING_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        docs = staging / "docs"
        try:
            write_docs(files, docs)
        except UnsafeText as exc:
            raise SiteBuildError(f"the site was not built: {exc}") from None
        for folder in ASSET_FOLDERS:
            shutil.copytree(CONTENT_DIR / folder, docs / folder)

        progress("Building with MkDocs Material")
        served_from = _mkdocs_build(mkdocs_config or DEFAULT_MKDOCS, docs, staging / "site", as_of,
                                    site_url)

        prune_unused_assets(staging / "site")  # source maps, unused search languages
        collapse_pages(staging / "site")  # Material's indentation: a quarter of each page
        progress("Checking the built site")
        _post_checks(staging / "site", files)
        (staging / "site" / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")

        # Re-checked now: the build took seconds, and the folder may have changed meanwhile.
        check_out_folder(out)
        if out.exists():
            out.rename(aside)
        (staging / "site").rename(out)
        if aside.exists():
            shutil.rmtree(aside)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    pages = sum(1 for name in files if name.endswith(".md"))
    statuses = {status.value: count for status, count in model.status_counts()}
    notices = [line for line in (NO_SITE_URL if not served_from else None,
                                 warning_line(expiring(model)), unreadable) if line]
    return BuildSummary(pages, len(model.numbers), statuses, time.perf_counter() - started, out,
                        sorted(set(findings)), tuple(gate.label for gate in report.gates), notices)


#: The build's warning when no site_url is known.
NO_SITE_URL = ("no site_url: the sitemap is empty and the 404 page only works at the domain root; "
               "set [tool.mlsysim.site] site_url")
#: Longest site_url accepted.
MAX_SITE_URL = 2000


def check_site_url(value: str, where: str) -> str:
    """``value`` if it is an absolute http(s) URL (with a trailing slash added); else
    SiteBuildError naming ``where`` (the option or key), the value and an example."""
    text = value.strip()
    parts = urlsplit(text) if len(text) <= MAX_SITE_URL else None
    ok = (parts is not None and parts.scheme in ("http", "https") and parts.hostname
          and not parts.query and not parts.fragment and not parts.username and not parts.password
          and all(ch.isprintable() and not ch.isspace() for ch in text))
    if not ok:
        raise SiteBuildError(f"{where} {shown(value)} is not an http(s) URL of where the site is "
                             "served; give one like https://example.org/book/zoo/")
    return text if text.endswith("/") else text + "/"


def check_out_folder(out: Path | str) -> Path:
    """The absolute output folder, if the build may write there; SiteBuildError says why not.

    Allowed: a folder that does not exist yet, an empty folder, or a previous mlsysim site
    (it holds ``.mlsysim-site``). Refused: an empty path, ``/``, a symbolic link, a file,
    the folder you are in or one above it, anything inside the mlsysim package (or holding
    it), and any other folder with files in it, since the build replaces the folder whole.
    """
    text = str(out)
    if not text.strip():
        raise OutFolderError("--out is empty; give the folder to build the site in, "
                             "e.g. --out build/site")
    given = Path(os.path.abspath(os.path.expanduser(text)))
    if given.is_symlink():
        raise OutFolderError(f"--out {text} is a symbolic link (to {os.readlink(given)}); "
                             "the build never writes through a link; give a real folder, "
                             "e.g. --out build/site")
    path = given.parent.resolve() / given.name if given.name else given.resolve()
    if path == Path(path.anchor):
        raise OutFolderError(f"--out {text} is the root folder; give a folder of its own, "
                             "e.g. --out build/site")
    if path.exists() and not path.is_dir():
        raise OutFolderError(f"--out {text} is a file, not a folder; give a folder name "
                             "that is free, e.g. --out build/site")
    here = Path.cwd().resolve()
    if path == here or path in here.parents:
        raise OutFolderError(f"--out {text} is the folder you are in (or holds it), and the "
                             "build replaces its output folder whole; give a subfolder that "
                             "is free, e.g. --out build/site")
    if path == PACKAGE_DIR or PACKAGE_DIR in path.parents or path in PACKAGE_DIR.parents:
        raise OutFolderError(f"--out {text} is inside the mlsysim package at {PACKAGE_DIR} "
                             "(or holds it); give a folder outside it, e.g. --out build/site")
    if path.is_dir() and not is_site(path) and any(path.iterdir()):
        raise OutFolderError(f"--out {text} already holds files that are not an mlsysim site "
                             f"(no {SITE_MARKER} marker), and the build replaces its output "
                             "folder whole; give a new or empty folder, e.g. --out build/site")
    return path


def is_site(folder: Path) -> bool:
    """Whether ``folder`` is a site this tool built (a real folder with the marker file)."""
    marker = folder / SITE_MARKER
    return (folder.is_dir() and not folder.is_symlink() and marker.is_file()
            and not marker.is_symlink())


def _recover(out: Path, previous: Path) -> None:
    """Finish the swap of a build killed between its two renames."""
    if previous.is_symlink() or not is_site(previous):
        if previous.exists() or previous.is_symlink():
            raise SiteBuildError(f"{previous} exists and is not an mlsysim site; the build "
                                 "keeps the previous site under that name while it swaps: "
                                 "move it away")
        return
    if out.exists():
        shutil.rmtree(previous)
    else:
        previous.rename(out)


def _remove_stale_staging(out: Path) -> None:
    """Remove staging folders of killed builds to ``out`` (their process is gone)."""
    for folder in out.parent.glob(f".{glob.escape(out.name)}-staging-*"):
        marker = folder / STAGING_MARKER
        if folder.is_symlink() or not marker.is_file() or marker.is_symlink():
            continue
        try:
            pid = int(marker.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if not _process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def hand_written_pages(folder: Path | None = None) -> dict[str, str]:
    """Docs-relative name -> text of the Zoo's help pages and, given ``folder``, a project's
    own pages (every file under it: Markdown, images, ...; text files only)."""
    found = {page.relative_to(PAGES_DIR).as_posix(): page.read_text(encoding="utf-8")
             for page in sorted(PAGES_DIR.rglob("*.md"))}
    if folder is None:
        return found
    if not folder.is_dir():
        raise SiteBuildError(f"pages folder {folder} does not exist; fix [tool.mlsysim.site] "
                             "pages or create it")
    for page in sorted(folder.rglob("*")):
        if page.is_symlink():
            raise SiteBuildError(f"{page} is a symbolic link; pages are copied, not followed: "
                                 "put the file itself there")
        if page.is_file():
            try:
                found[page.relative_to(folder).as_posix()] = page.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise SiteBuildError(f"{page} is not UTF-8 text (byte {exc.start}); pages are "
                                     "text files: save it as UTF-8") from None
    return found


def _stop_if(findings: list[Finding], strict: bool, outcome: str) -> None:
    if findings and strict:
        gates = in_order(finding.gate for finding in findings)
        raise SiteBuildError(f"{len(findings)} lineage error(s) (gates: {', '.join(gates)}); {outcome}",
                             sorted(set(findings)))


def _mkdocs_build(config_file: Path, docs_dir: Path, site_dir: Path, as_of: dt.date,
                  site_url: str | None = None) -> str:
    """Build with MkDocs (strict); returns the site_url the site was built for ("" if none)."""
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
        if not config_file.is_file():
            raise SiteBuildError(f"MkDocs configuration {config_file} does not exist; fix "
                                 "[tool.mlsysim.site] mkdocs")
        config = load_config(config_file=str(config_file), docs_dir=str(docs_dir),
                             site_dir=str(site_dir), strict=True, site_url=site_url)
        if not config.copyright:
            config.copyright = footer_line(config.site_url or "")
        config.extra_css.extend(css for css in EXTRA_CSS if css not in config.extra_css)
        listed = {str(script) for script in config.extra_javascript}
        config.extra_javascript.extend(js for js in EXTRA_JAVASCRIPT if js not in listed)
        if not config.theme.custom_dir:
            config.theme.dirs.insert(0, str(THEME_OVERRIDES))
        build(config)
        return config.site_url or ""
    except (Abort, ConfigurationError) as exc:
        detail = "\n".join(warnings) or str(exc)
        raise SiteBuildError(f"MkDocs strict build failed:\n{detail}") from None
    finally:
        logger.removeHandler(handler)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def footer_line(site_url: str) -> str:
    """The footer of every page (unless the MkDocs configuration sets ``copyright``): whose
    the numbers' sources are and how to cite them; the link needs the site's address."""
    sources = (f'<a href="{html.escape(site_url + "sources/#cite", quote=True)}">the Sources page</a>'
               if site_url else "the Sources page")
    return ("The numbers' sources belong to their publishers. To cite them, use the BibTeX or "
            f"CSL-JSON on {sources}.")


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
