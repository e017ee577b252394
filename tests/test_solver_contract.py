"""The solver contract: typed results, one registry, and "a new solver is one module plus one
registry line" (shown with the example of site/pages/guide/adding-a-solver.md, run as written).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsysim.cli import app
from mlsysim.errors import InputError, UnknownNameError
from mlsysim.solvers import ForwardModel, ServingModel, ServingResult, SolverResult, registry
from mlsysim.units import Quantity

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "site" / "pages" / "guide" / "adding-a-solver.md"
REFERENCE = ROOT / "site" / "pages" / "reference" / "solvers.md"
BUILT_IN = ("ServingModel", "DistributedModel", "CheckpointModel", "ReliabilityModel",
            "SustainabilityModel", "EconomicsModel", "ContinuousBatchingModel", "TailLatencyModel",
            "ScalingLawModel", "ReasoningModel", "CompressionModel",
            "MoERoutingModel", "SensitivityModel",
            "ChunkedPrefillModel", "DisaggregatedServingModel", "PrefixCachingModel", "SynthesisModel",
            "SoftwareEfficiencyModel", "DataPipelineModel", "LocalityModel", "MultiTenantModel",
            "SafetyModel")
runner = CliRunner()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def ridge(tmp_path, monkeypatch):
    """The guide's module, written to a file and imported: its last line registers it."""
    source = _blocks("python")[0]
    (tmp_path / "ridge_example.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("ridge_example", tmp_path / "ridge_example.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ridge_example"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("ridge_example", None)
        if "RidgePointModel" in registry.names():
            registry.unregister("RidgePointModel")


# -- one module plus one registry line ----------------------------------------------------

def test_the_guide_module_is_one_registry_call_away_from_every_listing(ridge):
    assert "RidgePointModel" not in BUILT_IN
    assert registry.names()[-1] == "RidgePointModel"
    record = registry.get("RidgePointModel")
    assert record.solver is ridge.RidgePointModel and record.result is ridge.RidgePointResult
    assert record in registry.for_mode("serving") and record not in registry.for_mode("training")
    listing = runner.invoke(app, ["solvers"])
    assert listing.exit_code == 0
    assert re.search(r"^RidgePointModel\s+inference, serving\s+Ridge point of a chip",
                     listing.output, flags=re.M)
    fields = runner.invoke(app, ["solvers", "RidgePointModel", "-o", "json"])
    assert json.loads(fields.stdout)[0]["fields"]["compute_bound"].startswith("Whether")


def test_a_plan_runs_the_new_solver_and_asserts_on_its_fields(ridge, tmp_path):
    plan = _blocks("yaml")[0]
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    result = runner.invoke(app, ["eval", str(tmp_path / "plan.yaml")])
    assert result.exit_code == 0, result.output
    assert "+ RidgePointModel: ridge_point 295.4 FLOP/B; intensity" in result.output
    assert "assert solvers.RidgePointModel.intensity < 100 FLOP/B: holds: " \
           "solvers.RidgePointModel.intensity = 7.067 FLOP/B" in result.output

    as_json = runner.invoke(app, ["eval", str(tmp_path / "plan.yaml"), "-o", "json"])
    document = json.loads(as_json.stdout)
    assert document["solvers.RidgePointModel.ridge_point"]["value"] == pytest.approx(
        989.5e12 / 3.35e12)
    assert document["solvers.RidgePointModel.compute_bound"] is False

    (tmp_path / "fails.yaml").write_text(plan.replace("< 100 FLOP/B", "> 100 FLOP/B"))
    failed = runner.invoke(app, ["eval", str(tmp_path / "fails.yaml")])
    assert failed.exit_code == 3
    assert "fails: solvers.RidgePointModel.intensity = 7.067 FLOP/B" in failed.output


def test_a_plan_naming_an_unknown_or_wrong_mode_solver_is_bad_input(ridge, tmp_path):
    plan = _blocks("yaml")[0]
    (tmp_path / "typo.yaml").write_text(plan.replace("solvers: [RidgePointModel]",
                                                     "solvers: [RidgePointModle]"))
    result = runner.invoke(app, ["eval", str(tmp_path / "typo.yaml")])
    assert result.exit_code == 1
    assert "solvers: 'RidgePointModle' is not a registered solver (did you mean " \
           "RidgePointModel?)" in result.output
    (tmp_path / "mode.yaml").write_text(plan.replace("solvers: [RidgePointModel]",
                                                     "solvers: [DistributedModel]"))
    result = runner.invoke(app, ["eval", str(tmp_path / "mode.yaml")])
    assert result.exit_code == 1
    assert "solvers: DistributedModel serves training scenarios, not inference" in result.output


def test_the_result_round_trips_through_to_dict(ridge):
    result = ridge.RidgePointModel().solve("Llama3_8B", "H100", batch_size=8)
    document = json.loads(json.dumps(result.to_dict()))
    rebuilt = {name: Quantity(value["value"], value["unit"]) if isinstance(value, dict)
               else tuple(value) if isinstance(value, list) else value
               for name, value in document.items()}
    assert type(result)(**rebuilt) == result
    assert document["constraint_trace"] == [
        "Ridge point 295.4 FLOP/B (peak / bandwidth); one pass does 7.067 FLOP/B: "
        "memory-bound"]


def test_the_guide_tests_run_and_pass(ridge):
    namespace = dict(vars(ridge))
    for block in _blocks("python")[1:]:
        exec(compile(block, str(GUIDE), "exec"), namespace)  # noqa: S102 - the guide's own code
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 3
    for test in tests:
        test()


# -- what the registry refuses ------------------------------------------------------------

class _Toy(ForwardModel):
    name = "ToyModel"

    def solve(self, model, tokens: int) -> ServingResult:  # no default for tokens
        """Nothing."""
        raise AssertionError("not called")


def test_register_refuses_a_bad_record():
    with pytest.raises(InputError, match=r"register\(ToyModel\): modes must be one or more of "
                                         r"inference, serving, training, got \['batch'\]"):
        registry.register(_Toy, result=ServingResult, modes=("batch",), summary="x")
    with pytest.raises(InputError, match="result must be a SolverResult subclass"):
        registry.register(_Toy, result=dict, modes=("serving",), summary="x")
    with pytest.raises(InputError, match=r"_Toy.solve is annotated to return ServingResult, "
                                         r"not SolverResult"):
        registry.register(_Toy, result=SolverResult, modes=("serving",), summary="x")
    with pytest.raises(InputError, match="the name ServingModel is taken by "
                                         "mlsysim.solvers.serving.ServingModel"):
        registry.register(_Toy, result=ServingResult, modes=("serving",), summary="x",
                          name="ServingModel")
    assert registry.register(ServingModel, result=ServingResult, modes=("serving",),
                             summary="again").summary == "again"  # same class: replaced
    registry.register(ServingModel, result=ServingResult, modes=("serving",),
                      summary=registry.get("ServingModel").summary)
    assert "ToyModel" not in registry.names()


def test_scenario_arguments_bind_by_name_and_name_what_is_missing():
    record = registry.register(_Toy, result=ServingResult, modes=("serving",), summary="Toy.")
    try:
        with pytest.raises(InputError, match=r"ToyModel.solve needs 'tokens', which a "
                                             r"scenario does not give"):
            registry.scenario_arguments(record, {"model": "Llama3_8B"})
        assert registry.scenario_arguments(record, {"model": "m", "tokens": 3, "other": 1}) \
            == {"model": "m", "tokens": 3}
    finally:
        registry.unregister("ToyModel")


def test_an_unknown_solver_name_suggests_close_ones():
    with pytest.raises(UnknownNameError, match=r"'Servingmodel' is not a registered solver "
                                               r"\(did you mean ServingModel\?\)"):
        registry.get("Servingmodel")


# -- every registered solver keeps the contract --------------------------------------------

def test_the_built_in_solvers_are_registered():
    assert registry.names() == BUILT_IN


@pytest.mark.parametrize("record", registry.records(), ids=lambda r: r.name)
def test_every_result_field_is_typed_and_documented(record):
    assert issubclass(record.result, SolverResult) and record.result.solver == record.name
    assert record.result.model_config["frozen"] is True
    for name, field in record.result.model_fields.items():
        assert field.annotation is not None, f"{record.name}.{name} has no type"
        assert field.description and len(field.description) > 10, \
            f"{record.name}.{name} has no description"


@pytest.mark.parametrize("record", registry.records(), ids=lambda r: r.name)
def test_every_solve_docstring_has_an_equation_args_and_returns(record):
    doc = inspect.getdoc(record.solver.solve) or ""
    description = doc.split("Args:")[0]
    assert re.search(r"^\s+\S.*\s=\s\S", description, flags=re.M), \
        f"{record.name}.solve states no equation before Args:"
    parameters = list(inspect.signature(record.solver.solve).parameters)[1:]
    args = doc.split("Args:")[1].split("Returns:")[0] if "Args:" in doc else ""
    for parameter in parameters:
        assert re.search(rf"^\s+{parameter}:", args, flags=re.M), \
            f"{record.name}.solve Args: does not describe {parameter}"
    assert re.search(rf"Returns:\n\s+{record.result.__name__}:", doc), \
        f"{record.name}.solve Returns: does not name {record.result.__name__}"


def test_the_api_reference_documents_every_registered_solver_and_result():
    page = REFERENCE.read_text(encoding="utf-8")
    members = set(re.findall(r"^\s+- (\w+)$", page, flags=re.M))
    for record in registry.records():
        assert {record.name, record.result.__name__} <= members, record.name


def test_the_guide_is_in_the_site_nav():
    assert "Adding a solver: guide/adding-a-solver.md" in \
        (ROOT / "site" / "mkdocs.yml").read_text(encoding="utf-8")


# -- the base result ------------------------------------------------------------------------

def test_a_result_is_frozen_typed_and_keeps_its_forms():
    result = ServingModel().solve("Llama3_8B", "H100", seq_len=1024)
    with pytest.raises(Exception, match="frozen"):
        result.ttft = Quantity(1, "s")
    with pytest.raises(Exception, match="ttft"):
        ServingResult(**{**result.values, "ttft": "fast"})
    assert list(result.values)[:2] == ["ttft", "itl"]
    text = str(result)
    assert text.startswith("ServingModel:\n  ttft: ") and "  tp_size: 1" in text
    assert "| ttft |" in result._repr_markdown_()
    assert "<td>ttft</td>" in result._repr_html_()
    assert result.to_dict()["feasible"] is True


def test_a_scenario_evaluates_extra_solvers_by_name_in_every_form():
    import mlsysim

    scenario = mlsysim.Scenarios.ChatbotServing
    plain = scenario.evaluate()
    extra = scenario.evaluate(solvers=["EconomicsModel"])
    assert plain.solvers == {} and "EconomicsModel" not in plain.scorecard()
    economics = extra.solvers["EconomicsModel"]
    # Fed from the scenario by name: the same fleet, period and grid the macro level charges.
    assert economics.tco == extra.macro.metrics["tco"]
    assert "+ EconomicsModel: capex 220,000 USD;" in extra.scorecard()
    assert "- **EconomicsModel**: capex 220,000 USD;" in extra._repr_markdown_()
    assert "<p><b>EconomicsModel</b>: capex 220,000 USD;" in extra._repr_html_()
    assert extra.to_dict()["solvers.EconomicsModel.tco"]["unit"] == "USD"
    with pytest.raises(InputError, match=r"solvers must be a list of registered solver names, "
                                         r"got 'EconomicsModel'"):
        scenario.evaluate(solvers="EconomicsModel")
