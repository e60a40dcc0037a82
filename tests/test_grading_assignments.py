"""Every assignment through the grader: the instructor's solutions earn every autograded
point and the untouched release earns none. (tests/test_grading.py attacks the grader
with hostile submissions on assignment 01; this file checks that each assignment's
hidden tests and recorded values agree between the reference run and a student run.)"""
import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

EX = Path(__file__).resolve().parent.parent / "exercises"
spec = importlib.util.spec_from_file_location("grade", EX / "grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)

ASSIGNMENTS = sorted(p.name for p in (EX / "source").iterdir() if p.is_dir() and p.name != "01_vanilla_rnn")


def with_solutions(source_nb, release_nb):
    """The release notebook with every solution code cell answered as the instructor did."""
    solutions = {grade.grade_id(c): c.source for c in source_nb.cells
                 if c.cell_type == "code" and grade.nbgrader_meta(c).get("solution")}
    nb = nbformat.from_dict(json.loads(nbformat.writes(release_nb)))
    for cell in nb.cells:
        if grade.grade_id(cell) in solutions:
            cell.source = solutions[grade.grade_id(cell)]
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_earn_every_point_and_the_release_none(tmp_path, assignment):
    subs = tmp_path / "submissions"
    for nb_path in sorted((EX / "source" / assignment).glob("*.ipynb")):
        source = nbformat.read(nb_path, as_version=4)
        release = nbformat.read(EX / "release" / assignment / nb_path.name, as_version=4)
        for student, nb in [("perfect", with_solutions(source, release)), ("blank", release)]:
            (subs / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, subs / student / nb_path.name)
    rows = grade.grade(assignment, subs, tmp_path / "out", jobs=2)
    assert rows, f"{assignment}: nothing graded"
    for row in rows:
        assert row["auto_max"] > 0 and row["manual_max"] > 0, row
        expected = row["auto_max"] if row["student_id"] == "perfect" else 0
        assert row["auto_score"] == expected, f"{assignment} {row['student_id']}: {row}"
