"""Provenance v2: the primary source in url, the copy read in evidence_url, where and when,
and the copy-source gate that keeps copies out of a verified record's url."""

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import AS_OF
from mlsysim import Provenance
from mlsysim.errors import ZooError
from mlsysim.lineage.audit import audit_zoo
from mlsysim.lineage.gates import gate_names
from mlsysim.lineage.copies import HOSTS_FILE, copy_host_of, load_copy_hosts
from mlsysim.zoo.registry import Zoo

PRIMARY = "https://www.nvidia.com/en-us/data-center/h100/"
COPY = "https://github.com/someone/notes/blob/abc/h100.txt"


def record(**fields):
    base = dict(kind="datasheet", ref="Vendor X page", url=PRIMARY)
    return Provenance(**{**base, **fields})


# -- the new fields ------------------------------------------------------------------

def test_a_record_names_primary_copy_date_place_and_words():
    r = record(evidence_url=COPY, retrieved="2026-11-20", verified="2026-11-22",
               locator="specifications table, H100 SXM column, 'GPU Memory' row", quote="80GB")
    assert r.url == PRIMARY and r.evidence_url == COPY
    assert r.retrieved == dt.date(2026, 11, 20) and r.verified == dt.date(2026, 11, 22)
    assert r.locator.startswith("specifications table") and r.quote == "80GB"


def test_new_fields_are_optional():
    r = record()
    assert (r.evidence_url, r.retrieved, r.locator, r.quote) == (None, None, None, None)


@pytest.mark.parametrize("bad", ["www.example.org/copy", "ftp://example.org/copy", "copy"])
def test_evidence_url_must_be_http(bad):
    with pytest.raises(ValidationError, match="evidence_url must start with https:// or http://"):
        record(evidence_url=bad)


@pytest.mark.parametrize("bad", ["2026-13-01", "20/11/2026", "last week", 20261120])
def test_retrieved_must_be_an_iso_date(bad):
    with pytest.raises(ValidationError, match="retrieved must be an ISO date YYYY-MM-DD"):
        record(retrieved=bad)


def test_evidence_url_needs_a_primary_and_differs_from_it():
    with pytest.raises(ValidationError, match="give the primary in url as well"):
        Provenance(kind="estimate", ref="guess", notes="n", evidence_url=COPY)
    with pytest.raises(ValidationError, match="evidence_url repeats url"):
        record(evidence_url=PRIMARY)


@pytest.mark.parametrize("field", ["locator", "quote"])
def test_locator_and_quote_are_not_blank(field):
    with pytest.raises(ValidationError, match=f"{field} must not be blank"):
        record(**{field: "  "})


@pytest.mark.parametrize("field,value", [("retrieved", "2026-01-01"), ("locator", "p. 3"),
                                         ("quote", "'80GB'")])
def test_where_and_when_need_a_cited_source(field, value):
    with pytest.raises(ValidationError, match=f"{field} describes a cited source"):
        Provenance(kind="convention", ref="By convention", **{field: value})


def test_a_copy_cannot_be_read_after_the_check():
    with pytest.raises(ValidationError, match="retrieved 2026-11-23 is after verified 2026-11-22"):
        record(evidence_url=COPY, retrieved="2026-11-23", verified="2026-11-22")


def test_new_fields_are_frozen_and_round_trip():
    r = record(evidence_url=COPY, retrieved="2026-11-22", locator="Table 1", quote="3.35TB/s")
    with pytest.raises(ValidationError):
        r.evidence_url = PRIMARY
    assert Provenance.model_validate(r.model_dump()) == r
    assert r.model_dump(mode="json")["retrieved"] == "2026-11-22"


# -- the list of copy hosts ----------------------------------------------------------

def test_every_copy_host_has_a_reason():
    hosts = load_copy_hosts()
    assert len(hosts) >= 20 and all(host.reason for host in hosts)
    labels = {host.label for host in hosts}
    for expected in ("github.com/ewyluda", "github.com/atineoSE", "mullet.se", "sgpjbg.com",
                     "manuals.plus", "manualmachine.com", "tweaktown.com"):
        assert expected in labels


@pytest.mark.parametrize("url,host", [
    ("https://github.com/ewyluda/macrogauge/blob/x/a.txt", "github.com/ewyluda"),
    ("https://GitHub.com/EWYLUDA/macrogauge", "github.com/ewyluda"),  # case-insensitive
    ("https://www.mullet.se/product.html?product_id=1", "mullet.se"),
    ("https://huggingface.co/TheBloke/Llama-2-7B-fp16/blob/main/config.json", "huggingface.co/TheBloke"),
    ("https://huggingface.co/papers/2203.15556", "huggingface.co/papers"),
])
def test_copy_hosts_match_by_host_and_owner(url, host):
    assert copy_host_of(url, load_copy_hosts()).label == host


@pytest.mark.parametrize("url", [
    "https://github.com/NVIDIA/nccl-tests/blob/x/doc/PERFORMANCE.md",  # the publisher's own repository
    "https://github.com/ewyludafake/x",                                 # a prefix is not an owner
    "https://huggingface.co/meta-llama/Llama-2-7b-hf",
    "https://www.nvidia.com/en-us/data-center/h100/",
    None,
])
def test_primary_sources_are_not_copy_hosts(url):
    assert copy_host_of(url, load_copy_hosts()) is None


def test_a_malformed_host_list_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "copy_hosts.yaml"
    bad.write_text("hosts:\n  mullet.se: ''\n")
    with pytest.raises(ZooError, match="has no reason") as info:
        load_copy_hosts(bad)
    assert str(bad) in str(info.value)
    bad.write_text("- mullet.se\n")
    with pytest.raises(ZooError, match="one key 'hosts'"):
        load_copy_hosts(bad)


def test_the_host_list_ships_with_the_package():
    assert HOSTS_FILE.name == "copy_hosts.yaml" and HOSTS_FILE.parent.name == "lineage"


# -- the gate, on copies of the Zoo --------------------------------------------------

def copy_findings(zoo_data: Path) -> list:
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    return [f for f in report.findings if f.gate == "copy-source"]


def h100_block(sources: Path) -> tuple[str, str]:
    text = sources.read_text(encoding="utf-8")
    start = text.index("nvidia-h100-page-textcopy:")
    end = text.index("\n\n", start)
    return text, text[start:end]


def catalog_file_with(zoo_data: Path, record_id: str) -> Path:
    for path in [zoo_data / "sources.yaml", *sorted((zoo_data / "sources").glob("*.yaml"))]:
        if f"\n{record_id}:" in "\n" + path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(f"{record_id} is not in the catalog")


def test_gate_is_registered_and_the_shipped_zoo_passes(zoo_data):
    assert "copy-source" in gate_names()
    assert copy_findings(zoo_data) == []


def test_a_verified_record_citing_a_copy_host_fails(zoo_data):
    sources = catalog_file_with(zoo_data, "nvidia-h100-page-textcopy")
    text, block = h100_block(sources)
    assert f"url: {PRIMARY}" in block and "evidence_url:" in block
    broken = block.replace(f"  url: {PRIMARY}\n", "").replace("evidence_url:", "url:")
    sources.write_text(text.replace(block, broken), encoding="utf-8")
    [finding] = copy_findings(zoo_data)
    assert finding.path == "sources.yaml#nvidia-h100-page-textcopy"
    assert finding.severity == "error"
    assert "github.com/ewyluda, a known copy host (personal repository" in finding.problem
    assert "e.g. Hardware.Cloud.H100." in finding.problem
    assert "name the primary source in url and move the copy to evidence_url" in finding.fix


def test_an_unverified_record_citing_a_copy_host_passes(zoo_data):
    sources = catalog_file_with(zoo_data, "nvidia-h100-page-textcopy")
    text, block = h100_block(sources)
    broken = (block.replace(f"  url: {PRIMARY}\n", "").replace("evidence_url:", "url:")
              .replace("  retrieved: 2026-11-22\n", "").replace("  verified: 2026-11-22\n", ""))
    sources.write_text(text.replace(block, broken), encoding="utf-8")
    assert copy_findings(zoo_data) == []


def test_an_inline_record_citing_a_copy_host_fails(zoo_data):
    entry = zoo_data / "Hardware" / "Cloud" / "H100.yaml"
    text = entry.read_text(encoding="utf-8")
    inline = ("provenance:\n  kind: datasheet\n  ref: H100 table copied by a reseller\n"
              "  url: https://www.mullet.se/product.html?product_id=1\n  verified: 2026-11-01\n")
    old = next(line for line in text.splitlines() if line.startswith("provenance:"))
    entry.write_text(text.replace(old + "\n", inline, 1), encoding="utf-8")
    findings = copy_findings(zoo_data)
    assert [f.path for f in findings] == ["inline record 'H100 table copied by a reseller'"]
    assert "mullet.se, a known copy host (reseller" in findings[0].problem


def test_a_retrieved_date_after_the_as_of_date_is_invalid(zoo_data):
    sources = catalog_file_with(zoo_data, "nvidia-h100-page-textcopy")
    text, block = h100_block(sources)
    broken = block.replace("retrieved: 2026-11-22", "retrieved: 2026-11-23").replace(
        "  verified: 2026-11-22\n", "")
    sources.write_text(text.replace(block, broken), encoding="utf-8")
    as_of = dt.date(2026, 11, 22)  # the day before the copy was (said to be) read
    report = audit_zoo(Zoo(zoo_data), as_of=as_of)
    [finding] = [f for f in report.findings if f.path == "sources.yaml#nvidia-h100-page-textcopy"
                 and f.gate == "invalid-record"]
    assert "retrieved 2026-11-23 is after the as-of date 2026-11-22" in finding.problem


# -- `mlsysim zoo`: the share of verified numbers whose url is a primary source ------

def test_zoo_prints_per_namespace_verified_and_primary_url_shares():
    import json

    from typer.testing import CliRunner

    from mlsysim.cli import app

    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["zoo", "-o", "json", "--as-of", AS_OF.isoformat()]).stdout)
    for name, counts in data["namespaces"].items():
        assert counts["verified_primary"] <= counts["verified"], name
        assert counts["verified_share"] == round(counts["verified"] / counts["numbers"], 4)
        if counts["verified"]:
            assert counts["primary_url_share"] == 1.0, name  # the copy-source gate holds
    assert all("verified_primary" in row for row in data["entries"])
    text = runner.invoke(app, ["zoo", "--as-of", AS_OF.isoformat()]).output
    assert "cite a primary url, not a known copy host" in text.splitlines()[-1]
