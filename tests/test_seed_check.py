import importlib.util
from pathlib import Path

import nbformat
import pytest

spec = importlib.util.spec_from_file_location(
    "seed_check", Path(__file__).resolve().parent.parent / "benchmarks" / "seed_check.py")
seed_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed_check)


def notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_with_seed_changes_only_the_seed_call():
    nb = seed_check.with_seed(notebook("import rnnlib\nrng = rnnlib.seed_everything(0)", "x = 10"), 7)
    assert nb.cells[0].source == "import rnnlib\nrng = rnnlib.seed_everything(7)"
    assert nb.cells[1].source == "x = 10"
    nb = seed_check.with_seed(notebook("rnnlib.seed_everything(0, threads=None)"), 3)
    assert nb.cells[0].source == "rnnlib.seed_everything(3, threads=None)"


@pytest.mark.parametrize("sources", [("x = 1",), ("seed_everything(0)", "seed_everything(0)")])
def test_with_seed_needs_exactly_one_seed_call(sources):
    with pytest.raises(ValueError, match="exactly one"):
        seed_check.with_seed(notebook(*sources), 1)
