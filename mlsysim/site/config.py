"""What a project configures for the site build and the audit: ``[tool.mlsysim.site]`` in its
pyproject.toml (``mlsysim audit`` reads ``scan``, ``appendix`` and ``appendix_tables``).

A book repository names once, in its own ``pyproject.toml``, the documents gate 6
scans, the committed appendix folder gate 7 checks, and what makes the site its own::

    [tool.mlsysim.site]
    scan = ["chapters/", "notebooks/", "README.md"]   # .qmd .md .tex .ipynb files or folders
    appendix = "appendix/tables"                       # committed `mlsysim appendix build` output
    appendix_tables = "appendix/tables.yaml"           # optional: a custom table declaration
    mkdocs = "site/mkdocs.yml"                         # optional: its own MkDocs configuration
    pages = "site/pages"                               # optional: hand-written pages beside the Zoo
    templates = "site/templates"                       # optional: overrides of shipped templates
    data_dir = "zoo"                                   # optional: its own Zoo instead of the shipped one
    site_url = "https://example.org/book/zoo/"         # optional: where the site is served

Paths are relative to the pyproject.toml. The nearest pyproject.toml at or above
the working folder is used; command-line options add to (``--scan``) or replace
(``--appendix``) what it says.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import MlsysimError

CONFIG_FILE = "pyproject.toml"
SECTION = "[tool.mlsysim.site]"


class SiteConfigError(MlsysimError, ValueError):
    """A ``[tool.mlsysim.site]`` section that cannot be used."""


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scan: tuple[Path, ...] = Field(default=(), description="Documents and folders gate 6 scans.")
    appendix: Path | None = Field(default=None, description="Committed appendix tables (gate 7).")
    appendix_tables: Path | None = Field(default=None, description="Their table declaration.")
    mkdocs: Path | None = Field(default=None, description="The project's MkDocs configuration.")
    pages: Path | None = Field(default=None, description="Hand-written pages beside the Zoo.")
    templates: Path | None = Field(default=None, description="Overrides of shipped templates.")
    data_dir: Path | None = Field(default=None, description="A Zoo data folder of the project's own.")
    site_url: str | None = Field(default=None, description="The http(s) URL the site is served "
                                 "from (sitemap, 404 page under a sub-path).")
    file: Path | None = Field(default=None, description="The pyproject.toml this came from.")


def find_config(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` (default: the working folder)."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate / CONFIG_FILE
    return None


def load_config(file: Path | None) -> SiteConfig:
    """The site section of ``file`` with paths made relative to its folder; empty when absent."""
    if file is None:
        return SiteConfig()
    text = file.read_text(encoding="utf-8")
    if "tool.mlsysim" not in text:
        return SiteConfig()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise SiteConfigError(f"{file}: reading {SECTION} needs Python 3.11 or newer; pass "
                              "--scan and --appendix on the command line instead") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{file} is not valid TOML: {exc}") from None
    section = raw.get("tool", {}).get("mlsysim", {}).get("site", {})
    try:
        config = SiteConfig.model_validate({k: v for k, v in section.items() if k != "file"})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SiteConfigError(f"{file}: {SECTION}: {problems} (known keys: scan, appendix, "
                              "appendix_tables, mkdocs, pages, templates, data_dir, site_url)") from None
    if config.site_url is not None:
        from .build import SiteBuildError, check_site_url

        try:
            check_site_url(config.site_url, f"{SECTION} site_url =")
        except SiteBuildError as exc:
            raise SiteConfigError(f"{file}: {exc}") from None
    base = file.parent

    def rooted(path: Path) -> Path:
        return path if path.is_absolute() else base / path

    return SiteConfig(scan=tuple(rooted(p) for p in config.scan), site_url=config.site_url,
                      **{key: rooted(value) for key in PATH_KEYS
                         if (value := getattr(config, key)) is not None},
                      file=file)


#: The settings that name one file or folder each (relative to the pyproject.toml).
PATH_KEYS = ("appendix", "appendix_tables", "mkdocs", "pages", "templates", "data_dir")
