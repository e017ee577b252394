"""The package's layout: the top level the project was designed with, the CLI registered in
one place, and no import cycles among the layers ``cli``, ``lineage`` and ``engine``."""

import ast
from pathlib import Path

import mlsysim

PACKAGE = Path(mlsysim.__file__).parent
ROOT = PACKAGE.parent


def imported_packages(subpackage: str) -> dict[str, set[str]]:
    """For each module of ``mlsysim.<subpackage>``: the ``mlsysim`` subpackages it imports
    (absolute or relative, at any depth of the module: functions too)."""
    found = {}
    for path in sorted((PACKAGE / subpackage).rglob("*.py")):
        module = "mlsysim." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module.rpartition(".")[0]
        package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package_parts[:len(package_parts) - node.level + 1]
                    name = ".".join(base + ([node.module] if node.module else []))
                    names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
                else:
                    names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "mlsysim" and len(parts) > 1:
                    targets.add(parts[1])
        found[module] = targets
    return found


def test_top_level_is_the_designed_one():
    tracked = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")
               and p.name not in {"build", "dist", "__pycache__"} and not p.name.endswith(".egg-info")}
    assert tracked == {"pyproject.toml", "README.md", "mlsysim", "site", "templates", "tests",
                       "Makefile", "DESIGN.md", "benchmarks", "LICENSE"}, tracked


def test_no_layer_below_the_cli_imports_it():
    for layer in ("engine", "lineage", "zoo", "solvers", "physics", "site", "appendix",
                  "scenarios", "validation"):
        for module, targets in imported_packages(layer).items():
            assert "cli" not in targets, f"{module} imports mlsysim.cli: the CLI is the top layer"


def test_engine_and_lineage_do_not_import_each_other_in_a_cycle():
    engine = set().union(*imported_packages("engine").values())
    lineage = set().union(*imported_packages("lineage").values())
    assert not ("lineage" in engine and "engine" in lineage), (
        "engine and lineage import each other")


def test_commands_are_registered_in_one_place_only():
    """A command module defines functions; only mlsysim/cli/__init__.py puts them on the app."""
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not any(mark in text for mark in ("@app.", "app.command(", "add_typer(", "typer.Typer(")), (
            f"{path.name} registers a command; register it in cli/__init__.py")


def test_every_registered_command_answers_help():
    from typer.testing import CliRunner

    from mlsysim.cli import COMMANDS, app

    for name, _function in COMMANDS:
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, name


def test_every_error_mlsysim_raises_is_an_mlsysim_error():
    """One hierarchy: catching MlsysimError catches every error mlsysim defines."""
    import importlib
    import inspect
    import pkgutil

    from mlsysim.errors import MlsysimError

    defined = {}
    for info in pkgutil.walk_packages(mlsysim.__path__, "mlsysim."):
        if ".zoo.data" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name:
                defined[f"{info.name}.{name}"] = obj
    assert len(defined) >= 10
    outside = sorted(name for name, cls in defined.items() if not issubclass(cls, MlsysimError))
    assert outside == []
