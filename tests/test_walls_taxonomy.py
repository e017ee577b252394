"""The 22 walls as data (issue 19): numbered, in six domains, each naming a registered solver
or none; `mlsysim walls` lists them and the site has a page of them."""

import json

import pytest
from typer.testing import CliRunner

from mlsysim import walls as walls_module
from mlsysim.cli import app
from mlsysim.solvers import registry
from mlsysim.walls import DOMAINS, ENGINE, WallsError, wall, walls

runner = CliRunner()


def test_twenty_two_walls_in_six_domains_each_with_a_known_solver_or_none():
    items = walls()
    assert [w.number for w in items] == list(range(1, 23))
    assert {w.domain for w in items} == set(DOMAINS)
    known = set(registry.names()) | {ENGINE}
    assert all(w.solver is None or w.solver in known for w in items)
    assert sum(1 for w in items if w.solver) >= 11


def test_a_wall_is_found_by_number_key_or_name():
    assert wall("7").key == wall("tail_latency").key == wall("Tail latency wall").key == "tail_latency"
    with pytest.raises(Exception, match=r"'nope' is not a wall; give a number 1-22"):
        wall("nope")


def test_cli_lists_shows_and_refuses():
    listing = runner.invoke(app, ["walls"])
    assert listing.exit_code == 0
    assert " 7. Tail latency wall (data) -> TailLatencyModel" in listing.output
    assert "walls have a solver" in listing.output
    one = runner.invoke(app, ["walls", "memory"])
    assert "2. Memory wall (node) -> Engine" in one.output and "<= capacity" in one.output
    data = json.loads(runner.invoke(app, ["walls", "-o", "json"]).stdout)
    assert len(data) == 22 and data[0]["key"] == "compute"
    bad = runner.invoke(app, ["walls", "nope"])
    assert bad.exit_code == 1 and "error: 'nope' is not a wall" in bad.output


def test_a_wall_naming_an_unregistered_solver_is_refused(tmp_path, monkeypatch):
    text = walls_module.WALLS_FILE.read_text().replace("solver: TailLatencyModel", "solver: QueueModel")
    fake = tmp_path / "walls.yaml"
    fake.write_text(text)
    monkeypatch.setattr(walls_module, "WALLS_FILE", fake)
    walls.cache_clear()
    try:
        with pytest.raises(WallsError, match=r"wall 7 \(Tail latency wall\) names solver 'QueueModel', "
                                             r"which is not registered"):
            walls()
    finally:
        walls.cache_clear()


def test_the_site_has_a_walls_page(tmp_path):
    import re

    from conftest import AS_OF
    from mlsysim.site.build import build_site

    out = tmp_path / "site"
    build_site(out, as_of=AS_OF)
    html = (out / "walls" / "index.html").read_text()
    rows = re.findall(r'<span id="([a-z_]+)"></span>', html)
    assert rows == [w.key for w in walls()]
    assert "<code class=\"equation\">" in html
    for item in walls():  # each wall names its solver, or says it has none yet
        assert (f"<code>{item.solver}</code>" if item.solver else "none yet") in html, item.key
