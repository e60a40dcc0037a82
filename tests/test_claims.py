"""rnnlib.claim and book_seed, and the ledger script benchmarks/claims.py that collects claims."""
import importlib.util
import json
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import rnnlib
from rnnlib.claims import LOG_VARIABLE, RECORD_ONLY_VARIABLE, SEED_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("claims_ledger", ROOT / "benchmarks" / "claims.py")
ledger = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ledger)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in (LOG_VARIABLE, RECORD_ONLY_VARIABLE, SEED_VARIABLE):
        monkeypatch.delenv(var, raising=False)


def test_claim_returns_the_value_inside_its_bounds():
    assert rnnlib.claim("mse", 0.05, upper=0.1) == 0.05
    assert rnnlib.claim("accuracy", np.float32(0.75), lower=0.5, upper=1.0) == pytest.approx(0.75)
    assert rnnlib.claim("loss", torch.tensor(2.0), lower=1) == 2.0


@pytest.mark.parametrize("value, lower, upper, words", [
    (0.2, None, 0.1, "not below its upper bound 0.1"),
    (0.1, None, 0.1, "not below"),                # bounds are strict
    (0.3, 0.5, None, "not above its lower bound 0.5"),
    (1.5, 0.0, 1.0, "not below its upper bound 1"),
    (math.nan, 0.0, 1.0, "value is nan"),          # a diverged model never passes
    (math.inf, 0.0, None, "value is inf"),
])
def test_claim_names_the_claim_value_and_bound_when_it_fails(value, lower, upper, words):
    with pytest.raises(AssertionError, match="claim failed: the claim") as err:
        rnnlib.claim("the claim", value, lower=lower, upper=upper)
    assert words in str(err.value)


@pytest.mark.parametrize("kwargs, error", [
    ({"name": "x", "value": 1.0}, ValueError),                            # no bound at all
    ({"name": "x", "value": 1.0, "lower": 2, "upper": 1}, ValueError),    # empty interval
    ({"name": "", "value": 1.0, "lower": 0}, ValueError),
    ({"name": "x", "value": [1.0, 2.0], "lower": 0}, TypeError),          # not one number
    ({"name": "x", "value": np.ones(3), "lower": 0}, TypeError),
])
def test_claim_rejects_malformed_calls(kwargs, error):
    with pytest.raises(error):
        rnnlib.claim(**kwargs)


def test_claim_records_every_value_for_the_ledger(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    rnnlib.claim("first", 0.5, lower=0.1)
    with pytest.raises(AssertionError):
        rnnlib.claim("second", 3.0, upper=1.0)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records == [{"name": "first", "value": 0.5, "lower": 0.1, "upper": None, "ok": True},
                       {"name": "second", "value": 3.0, "lower": None, "upper": 1.0, "ok": False}]


def test_record_only_mode_records_a_broken_claim_without_raising(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    monkeypatch.setenv(RECORD_ONLY_VARIABLE, "1")
    assert rnnlib.claim("broken", 3.0, upper=1.0) == 3.0
    assert json.loads(log.read_text())["ok"] is False


def test_book_seed_is_the_default_unless_the_environment_overrides_it(monkeypatch):
    assert rnnlib.book_seed(0) == 0
    monkeypatch.setenv(SEED_VARIABLE, "7")
    assert rnnlib.book_seed(0) == 7
    monkeypatch.setenv(SEED_VARIABLE, " ")
    assert rnnlib.book_seed(3) == 3


@pytest.mark.parametrize("bad", ["-1", "1.5", "seven"])
def test_book_seed_rejects_a_malformed_environment_seed(monkeypatch, bad):
    monkeypatch.setenv(SEED_VARIABLE, bad)
    with pytest.raises(ValueError, match=SEED_VARIABLE):
        rnnlib.book_seed(0)


def test_the_margin_is_the_worst_run_against_the_bound():
    s = ledger.summarise([0.3, 0.2, 0.5], lower=0.1, upper=None)
    assert (s["min"], s["median"], s["max"]) == (0.2, 0.3, 0.5)
    assert s["margin"] == pytest.approx(0.1) and s["relative_margin"] == pytest.approx(1.0)
    s = ledger.summarise([0.3, 0.2, 0.5], lower=0.1, upper=0.55)   # two-sided: the nearer side counts
    assert s["margin"] == pytest.approx(0.05) and s["relative_margin"] == pytest.approx(0.05 / 0.55)
    s = ledger.summarise([0.3, 0.05], lower=0.1, upper=None)       # a run breaks it: negative margin
    assert s["margin"] == pytest.approx(-0.05)
    s = ledger.summarise([0.2, 0.4], lower=0.0, upper=None)        # bound 0: relative to the median
    assert s["relative_margin"] == pytest.approx(0.2 / 0.3)
    assert s["margin_in_sd"] == pytest.approx(0.2 / np.std([0.2, 0.4], ddof=1))
    assert ledger.summarise([0.5, 0.5], lower=0.1, upper=None)["margin_in_sd"] == math.inf


def test_a_ledger_run_sets_seed_and_numeric_configuration_in_the_kernel(tmp_path, monkeypatch):
    """One stored run per (notebook, seed, configuration), with the kernel under that configuration."""
    monkeypatch.setattr(ledger, "RUNS", tmp_path / "runs")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import rnnlib, torch\n"
        "rnnlib.claim('seed', rnnlib.book_seed(0), lower=-1)\n"
        "rnnlib.claim('AVX2 kernels', torch.backends.cpu.get_cpu_capability() == 'AVX2', lower=0.5)\n"
        "rnnlib.claim('after a broken claim', 1.0, lower=0)")])
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    rec = ledger.run_one(path, 3, "avx2")
    assert rec["error"] is None and rec["seed"] == 3 and rec["code_hash"] == ledger.code_hash(path)
    values = {c["name"]: c["value"] for c in rec["claims"]}
    assert values == {"seed": 3.0, "AVX2 kernels": 1.0, "after a broken claim": 1.0}
    assert json.loads(ledger.run_path(path, 3, "avx2").read_text()) == rec
    # native keeps this machine's kernels (AVX-512 or AVX2 here): the AVX2 claim may or may not hold,
    # but it is recorded and does not stop the run (record-only mode)
    rec = ledger.run_one(path, 0, "native")
    assert rec["error"] is None and [c["name"] for c in rec["claims"]][-1] == "after a broken claim"


def test_a_plain_error_in_a_ledger_run_is_stored_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(ledger, "RUNS", tmp_path / "runs")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("assert 1 == 2, 'exact check broke'")])
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    rec = ledger.run_one(path, 0, "native")
    assert "exact check broke" in rec["error"] and rec["claims"] == []


CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_ledger_covers_every_chapter_as_committed(path):
    """The committed ledger ran this chapter's current code for every seed and configuration, and every
    claim held in every run: a chapter edited without re-running `benchmarks/claims.py` fails here."""
    [chapter] = ledger.collect([path], ledger.DEFAULT_SEEDS, ledger.DEFAULT_CONFIGS)
    assert not chapter["missing_runs"], (
        f"{path.name}: no ledger run for the current code at {chapter['missing_runs']}; "
        f"run `python benchmarks/claims.py chapters/{path.name}`")
    assert not chapter["errors"], f"{path.name}: ledger runs ended in an error: {chapter['errors']}"
    broken = [(r["claim"], r["min"], r["max"]) for r in chapter["claims"] if r["failures"]]
    assert not broken, f"{path.name}: claims broken by some ledger run: {broken}"
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert ("rnnlib.claim(" in source) == bool(chapter["claims"]), "claims in the code but none recorded"
    report = (ROOT / "benchmarks" / "claims.md").read_text()
    for row in chapter["claims"]:
        assert f"| {row['claim']} |" in report, f"benchmarks/claims.md lacks {row['claim']!r}: regenerate it"
