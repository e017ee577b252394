"""Every wall with a solver has a worked example, computed wherever it is shown: a page per
wall on the site (equation, solver, example, the Zoo numbers it read), `mlsysim walls NAME`."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from conftest import AS_OF, serve
from mlsysim import walls as walls_module
from mlsysim.cli import app
from mlsysim.solvers import ContinuousBatchingModel
from mlsysim.units import parse_quantity
from mlsysim.walls import Wall, WallsError, run_example, wall, walls


def test_every_wall_with_a_solver_has_an_example_that_runs():
    for item in walls():
        assert (item.example is None) == (item.solver is None), item.name
        if item.example is None:
            continue
        worked = run_example(item)
        assert [name for name, _, _ in worked.outputs] == list(item.example.show)
        assert all(value and meaning for _, value, meaning in worked.outputs), item.name


def test_the_example_is_the_solver_called_directly():
    # The batching wall's example, recomputed by hand from its inputs: the page must show
    # exactly what a user gets from the solver.
    direct = ContinuousBatchingModel().solve(
        "Models.Language.Llama3_70B", "Hardware.Cloud.H100", input_tokens=1024, output_tokens=256,
        tp_size=8, slo_ttft=parse_quantity("2 s"), slo_itl=parse_quantity("50 ms"))
    shown = dict((name, value) for name, value, _ in run_example(wall("batching")).outputs)
    assert shown["batch_size"] == f"{direct.batch_size:,}"
    assert shown["binding"] == direct.binding
    assert direct.itl.to("ms").magnitude <= 50  # the SLO the example asks for holds


def test_the_example_lists_the_zoo_numbers_its_trace_cites():
    worked = run_example(wall("serving"))
    assert worked.zoo_paths[:2] == ("Models.Language.Llama3_8B", "Hardware.Cloud.H100")
    for path in worked.zoo_paths[2:]:
        assert any(path in line for line in worked.trace), path


def _with_example(item: Wall, **example) -> Wall:
    return item.model_copy(update={"example": walls_module.WallExample(**example)})


def test_an_example_naming_an_unknown_result_field_says_which_fields_exist():
    bad = _with_example(wall("serving"), inputs=dict(wall("serving").example.inputs), show=["latency"])
    with pytest.raises(WallsError, match=r"wall 4 \(Serving wall\).*'latency'.*choose from.*ttft"):
        run_example(bad)


def test_an_example_with_a_wrong_parameter_names_the_wall_and_the_solver():
    bad = _with_example(wall("tail_latency"), inputs={"service_time": "20 ms", "rate": 40}, show=["p99"])
    with pytest.raises(WallsError, match=r"wall 7 \(Tail latency wall\).*TailLatencyModel.solve\(\)"):
        run_example(bad)


def test_an_example_the_solver_refuses_is_reported_with_the_solvers_reason():
    bad = _with_example(wall("tail_latency"), inputs={"service_time": "20 ms", "arrival_rate": -1},
                        show=["p99"])
    with pytest.raises(WallsError, match=r"wall 7 .*its example failed in TailLatencyModel: .*arrival_rate"):
        run_example(bad)


def test_an_example_needs_a_solver(tmp_path, monkeypatch):
    # Wall 1 keeps its example but loses its solver.
    text = walls_module.WALLS_FILE.read_text().replace("    solver: Engine\n", "    solver: null\n", 1)
    fake = tmp_path / "walls.yaml"
    fake.write_text(text)
    monkeypatch.setattr(walls_module, "WALLS_FILE", fake)
    walls.cache_clear()
    try:
        with pytest.raises(WallsError, match="has an example but no solver"):
            walls()
    finally:
        walls.cache_clear()


def test_cli_shows_one_walls_worked_example():
    result = CliRunner().invoke(app, ["walls", "batching"])
    assert result.exit_code == 0, result.output
    assert "Worked example: ContinuousBatchingModel(model=Models.Language.Llama3_70B" in result.output
    assert re.search(r"^\s+binding: ITL SLO$", result.output, flags=re.M)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from mlsysim.site.build import build_site

    out = tmp_path_factory.mktemp("walls") / "site"
    build_site(out, as_of=AS_OF)
    return out


def test_every_wall_has_a_page_linked_from_the_index(built):
    index = (built / "walls" / "index.html").read_text()
    for item in walls():
        assert f'href="{item.key}/"' in index, item.key
        html = (built / "walls" / item.key / "index.html").read_text()
        assert f"{item.number}. {item.name}" in html
        assert ("Worked example" in html) == (item.example is not None), item.key
        if item.example is None:
            assert "No solver resolves this wall yet" in html


def test_a_wall_page_shows_results_trace_and_links_each_zoo_number_to_its_row(built):
    html = (built / "walls" / "serving" / "index.html").read_text()
    worked = run_example(wall("serving"))
    for name, value, _ in worked.outputs:
        assert re.search(rf"<code>{name}</code></td>\s*<td[^>]*>{re.escape(value)}</td>", html), name
    assert "TTFT = max(F_prefill" in html  # the solver's docstring equations
    links = re.findall(r'<a href="([^"]+)"><code>(Literature\.Calibration\.[A-Za-z]+)</code></a>', html)
    assert {path for _, path in links} == {p for p in worked.zoo_paths if p.startswith("Literature.")}
    for href, path in links:
        page, _, anchor = href.partition("#")
        target = (built / "walls" / "serving" / page / "index.html").resolve()
        assert f'id="{anchor}"' in target.read_text(), (path, href)
    assert re.search(r'class="badge [a-z-]+"', html.split('id="zoo-numbers"')[1])


def test_docstring_prose_reflows_and_equations_keep_their_lines():
    from mlsysim.site.wall_pages import reflow

    text = "The cost of serving\nat a batch::\n\n    TTFT = t_p\n    ITL  = t_d\n\nEach term\ncited."
    assert reflow(text) == "The cost of serving at a batch::\n\n    TTFT = t_p\n    ITL  = t_d\n\nEach term cited."


def test_wall_pages_fit_a_phone(built, page):
    with serve(built) as url:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url + "/walls/communication/")
        widths = page.evaluate("""() => ({
            code: document.querySelector('pre.docstring > code').clientWidth,
            docstring: document.querySelector('pre.docstring > code').scrollWidth,
            page: document.documentElement.scrollWidth})""")
        # Material lets code blocks bleed to the screen's edges on phones; the equations must
        # wrap inside it rather than hide behind a scrollbar.
        assert widths["docstring"] <= widths["code"], widths
        assert widths["page"] <= 390, widths
        page.screenshot(path=str(built.parent / "wall-phone.png"), full_page=True)
        assert page.console_errors == []
