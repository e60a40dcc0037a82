import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("seed_check", ROOT / "benchmarks" / "seed_check.py")
seed_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed_check)


def notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.mark.parametrize("first", ["import rnnlib\nrng = rnnlib.seed_everything(rnnlib.book_seed(0))",
                                   "SEED = rnnlib.book_seed(0)\nrng = rnnlib.seed_everything(SEED)"])
def test_a_chapter_seeded_once_through_book_seed_passes(first):
    nb = notebook(first, "x = 10")
    assert seed_check.check_seeded_once(nb) is nb


@pytest.mark.parametrize("sources", [
    ("x = 1",),                                               # never seeded
    ("rnnlib.seed_everything(0)",),                           # a literal seed the ledger cannot vary
    ("rnnlib.seed_everything(rnnlib.book_seed(0))", "rnnlib.seed_everything(3)"),  # re-seeded later
])
def test_a_chapter_not_seeded_once_through_book_seed_is_refused(sources):
    with pytest.raises(ValueError, match="exactly one"):
        seed_check.check_seeded_once(notebook(*sources))


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_seeds_once_through_book_seed(path):
    seed_check.check_seeded_once(nbformat.read(path, as_version=4))


def test_the_seed_reaches_the_kernel(tmp_path):
    """RNNLIB_SEED set by seed_check reaches the notebook's kernel: a claim that only seed 5 passes."""
    nb = notebook("import rnnlib\nrng = rnnlib.seed_everything(rnnlib.book_seed(0))",
                  "rnnlib.claim('the seed is 5', rnnlib.book_seed(0), lower=4.5, upper=5.5)")
    path = tmp_path / "seeded.ipynb"
    nbformat.write(nb, path)
    assert seed_check.run(path, 5)[0] == "ok"
    status, _ = seed_check.run(path, 6)
    assert status.startswith("FAILED") and "the seed is 5" in status
