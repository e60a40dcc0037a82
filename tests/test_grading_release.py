"""exercises/release/ is what `nbgrader generate_assignment` makes of exercises/source/."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "exercises"
ASSIGNMENTS = sorted(p.name for p in (EX / "source").iterdir() if p.is_dir())


def cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_regenerating_the_release_reproduces_the_committed_one(tmp_path, assignment):
    shutil.copy(EX / "nbgrader_config.py", tmp_path)
    shutil.copytree(EX / "source" / assignment, tmp_path / "source" / assignment)
    nbgrader = Path(sys.executable).with_name("nbgrader")
    subprocess.run([str(nbgrader), "generate_assignment", assignment, "--force"],
                   cwd=tmp_path, check=True, capture_output=True)
    made = sorted((tmp_path / "release" / assignment).glob("*.ipynb"))
    committed = sorted((EX / "release" / assignment).glob("*.ipynb"))
    assert [p.name for p in made] == [p.name for p in committed]
    for new, old in zip(made, committed):
        assert cells(new) == cells(old), f"{old} differs from a fresh generate_assignment: regenerate it"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solutions_or_hidden_tests(assignment):
    for path in (EX / "release" / assignment).glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
