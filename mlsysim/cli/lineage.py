"""``mlsysim site build`` and ``mlsysim audit``: the lineage gates, the Zoo site."""

from __future__ import annotations

from typing import Optional

import typer

from .contract import AS_OF_HELP, Output, as_of_date, fail, shown

#: Help of the options `site build` and `audit` share (rich markup: "\\[" is a literal "[").
SCAN_HELP = ("A .qmd/.md/.tex/.ipynb file or folder whose Zoo paths gate 6 checks (repeatable; "
             "adds to \\[tool.mlsysim.site] scan).")
APPENDIX_HELP = ("Folder of committed appendix tables gate 7 checks (default: "
                 "\\[tool.mlsysim.site] appendix, if set).")
TABLES_HELP = ("Table declaration of those tables (default: \\[tool.mlsysim.site] "
               "appendix_tables, else the shipped one).")
CONFIG_HELP = "Read \\[tool.mlsysim.site] from the nearest pyproject.toml (default)."


def site_build(out: str = typer.Option("build/site", "--out", help="Folder to write the site to."),
               strict: bool = typer.Option(True, "--strict/--no-strict",
                                           help="Stop on any lineage error (default)."),
               as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
               scan: list[str] = typer.Option([], "--scan", help=SCAN_HELP),
               appendix: Optional[str] = typer.Option(None, "--appendix", help=APPENDIX_HELP),
               tables: Optional[str] = typer.Option(None, "--tables", help=TABLES_HELP),
               data_dir: Optional[str] = typer.Option(
                   None, "--data-dir", help="A Zoo data folder of your own (default: "
                   "\\[tool.mlsysim.site] data_dir, else the Zoo shipped with mlsysim)."),
               site_url: Optional[str] = typer.Option(
                   None, "--site-url", help="The http(s) URL the site is served from, e.g. "
                   "https://example.org/book/zoo/ (default: \\[tool.mlsysim.site] site_url): "
                   "fills the sitemap and makes the 404 page work under a sub-path."),
               previous: Optional[str] = typer.Option(
                   None, "--previous", help="The zoo.json of a previous build, for the changes "
                   "page (default: the one in --out, when it holds an mlsysim site)."),
               config: bool = typer.Option(True, "--config/--no-config", help=CONFIG_HELP)) -> None:
    """Run the lineage gates, render the Zoo and build the site with MkDocs Material.

    A project's \\[tool.mlsysim.site] may add its own MkDocs configuration (mkdocs),
    hand-written pages (pages), template overrides (templates) and Zoo (data_dir).
    """
    from pathlib import Path

    from rich.console import Console

    from ..appendix.tables import DECLARATION_FILE
    from ..errors import MlsysimError
    from ..site.build import OutFolderError, SiteBuildError, build_site, check_site_url
    from ..site.config import SiteConfig, find_config, load_config

    console = Console(stderr=True)
    date = as_of_date(as_of, Output.text)
    try:
        settings = load_config(find_config()) if config else SiteConfig()
        if site_url is not None:
            site_url = check_site_url(site_url, "--site-url")
    except MlsysimError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    documents = [*settings.scan, *map(Path, scan)]
    committed, declaration = _appendix_inputs(appendix, tables, settings)
    declaration = declaration or DECLARATION_FILE
    zoo_folder = Path(data_dir) if data_dir else settings.data_dir
    if settings.file and settings.model_dump(exclude={"file"}, exclude_defaults=True):
        typer.echo(f"Using [tool.mlsysim.site] from {settings.file}", err=True)
    try:
        zoo = None
        if zoo_folder is not None:
            from ..zoo.registry import MANIFEST_FILE, Zoo

            if not (zoo_folder / MANIFEST_FILE).is_file():
                raise SiteBuildError(f"--data-dir {zoo_folder} holds no {MANIFEST_FILE}; give a "
                                     "Zoo data folder (laid out like mlsysim/zoo/data)")
            zoo = Zoo(zoo_folder)
        with console.status("Building the Zoo site") as status:
            summary = build_site(out, zoo=zoo, as_of=date, strict=strict,
                                 progress=lambda step: status.update(step), documents=documents,
                                 appendix=committed, appendix_tables=declaration,
                                 mkdocs_config=settings.mkdocs, pages=settings.pages,
                                 templates=settings.templates,
                                 site_url=site_url if site_url is not None else settings.site_url,
                                 previous=Path(previous) if previous is not None else None)
    except SiteBuildError as exc:
        for finding in exc.findings:
            typer.echo(finding.line())
        untouched = "" if isinstance(exc, OutFolderError) else f"; {out} was left as it was"
        typer.echo(f"error: {exc}{untouched}", err=True)
        raise typer.Exit(1)
    for finding in summary.findings:
        typer.echo(f"warning: {finding.line()}")
    for notice in summary.notices:
        typer.echo(f"warning: {notice}")
    typer.echo(summary.line())


def audit(strict: bool = typer.Option(False, "--strict", help="Exit 1 when any gate fails."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default today)."),
          scope: str = typer.Option("all", "--scope", help="'all' or comma-separated namespaces."),
          scan: list[str] = typer.Option([], "--scan", help=SCAN_HELP),
          appendix: Optional[str] = typer.Option(None, "--appendix", help=APPENDIX_HELP),
          tables: Optional[str] = typer.Option(None, "--tables", help=TABLES_HELP),
          config: bool = typer.Option(True, "--config/--no-config", help=CONFIG_HELP),
          lock_derived: bool = typer.Option(False, "--lock-derived",
                                            help="After you checked the derived numbers against "
                                            "their inputs: record them for gate 5, then audit.")) -> None:
    """Run the provenance audit: every lineage gate with something to check, in order
    (gate 6 with --scan or a configured scan, gate 7 with --appendix or a configured appendix)."""
    from ..errors import MlsysimError
    from ..site.config import SiteConfig, find_config, load_config
    from ..tools.audit_provenance import main
    from ..zoo.registry import NAMESPACES

    if as_of is not None:
        as_of_date(as_of, Output.text)  # a bad date: one error line, exit 1
    if scope != "all":
        unknown = [part.strip() for part in scope.split(",")
                   if part.strip() and part.strip() not in NAMESPACES]
        if unknown or not scope.strip(","):
            named = ", ".join(map(shown, unknown)) or shown(scope)
            fail(f"--scope: unknown namespace(s) {named}; use 'all' or some of "
                  f"{', '.join(NAMESPACES)}, comma-separated", Output.text)
    try:
        settings = load_config(find_config()) if config else SiteConfig()
    except MlsysimError as exc:
        fail(str(exc), Output.text)
    committed, declaration = _appendix_inputs(appendix, tables, settings)
    if settings.file and settings.model_dump(include={"scan", "appendix", "appendix_tables"},
                                             exclude_defaults=True):
        typer.echo(f"Using [tool.mlsysim.site] from {settings.file}", err=True)
    argv = ["--scope", scope] + (["--strict"] if strict else []) + (["--as-of", as_of] if as_of else [])
    argv += [arg for path in [*map(str, settings.scan), *scan] for arg in ("--scan", path)]
    argv += ["--appendix", str(committed)] if committed is not None else []
    argv += ["--tables", str(declaration)] if declaration is not None else []
    argv += ["--lock-derived"] if lock_derived else []
    raise typer.Exit(main(argv))


def _appendix_inputs(appendix: Optional[str], tables: Optional[str], settings) -> tuple:
    """(committed tables folder or None, table declaration or None) from the options, else the
    project's [tool.mlsysim.site]; one error line naming the input and the fix when either is
    missing."""
    from pathlib import Path

    from ..tools.audit_provenance import appendix_problem

    where = f"{settings.file}: [tool.mlsysim.site] %s ="
    committed = Path(appendix) if appendix else settings.appendix
    declaration = Path(tables) if tables else settings.appendix_tables
    problem = appendix_problem(committed, declaration,
                               appendix_option="--appendix" if appendix else where % "appendix",
                               tables_option="--tables" if tables else where % "appendix_tables")
    if problem:
        fail(problem, Output.text)
    return committed, declaration
