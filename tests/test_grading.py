"""The grading workflow against hostile submissions (exercises/grade.py, README "Threat model").

The fixture submissions are built from the committed release notebook: the student's
answers come from the instructor's solutions (or are wrong, blank or malicious on purpose).
One grading run grades all of them, two at a time, as an instructor would; each test then
checks one submission's score and what it could or could not do.
"""
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "exercises"
ASSIGNMENT, NB = "01_vanilla_rnn", "01_leaky_rnn.ipynb"

spec = importlib.util.spec_from_file_location("grade", EX / "grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)

SOURCE = nbformat.read(EX / "source" / ASSIGNMENT / NB, as_version=4)
RELEASE = nbformat.read(EX / "release" / ASSIGNMENT / NB, as_version=4)
SOLUTIONS = {grade.grade_id(c): c.source for c in SOURCE.cells
             if grade.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
SANDBOX = grade.sandbox_works()
FULL, PART1, PART12 = 8.0, 2.0, 5.0   # points: everything, part 1, parts 1 and 2

WRONG_BACKWARD = '''
def leaky_step_backward(dh, cache):
    x, h_prev, params, alpha, t = cache
    z = lambda k: np.zeros_like(params[k])
    return np.zeros_like(x), np.zeros_like(h_prev), {k: z(k) for k in params}
'''
ZEROS = {
    "leaky_step_forward": "def leaky_step_forward(x, h_prev, params, alpha):\n"
                          "    return np.zeros_like(h_prev), (x, h_prev, params, alpha, np.zeros_like(h_prev))",
    "leaky_step_backward": WRONG_BACKWARD,
    "leaky_sequence": "def leaky_forward(x, h0, params, alpha):\n    return np.zeros(x.shape[:2] + h0.shape[1:]), None\n"
                      "def leaky_backward(dhs, cache):\n    return np.zeros(1), np.zeros(1), {}",
}
PATCH_CHECKS = '''
import builtins, numpy, numpy.testing, rnnlib.gradcheck
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
rnnlib.gradcheck.rel_error = rel_error = lambda *a, **k: 0.0
numpy.abs = lambda x: numpy.zeros(numpy.shape(x))
builtins.abs = lambda x: 0.0
'''
ALWAYS_TRUE = '''
class Liar(float):
    """Equal to everything, close to everything."""
    shape = property(lambda self: (1, 1))
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return Liar()
    __rsub__ = __sub__
    def __abs__(self): return Liar()
    def __lt__(self, other): return True
    def __getitem__(self, i): return Liar()
    def max(self): return Liar()
    def __array__(self, dtype=None, copy=None): return numpy.zeros((1, 1))
import numpy
def leaky_step_forward(x, h_prev, params, alpha):
    return Liar(), None
def leaky_step_backward(dh, cache):
    return Liar(), Liar(), {k: Liar() for k in ("W_ih", "W_hh", "b_ih", "b_hh")}
'''
TRACEBACK = '''
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip._showtraceback = lambda *a, **k: None
ip.showsyntaxerror = lambda *a, **k: None
ip.set_custom_exc((BaseException,), lambda *a, **k: None)
import sys; sys.excepthook = lambda *a: None
'''
IGNORE_SIGINT_LOOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"


def snoop(targets):
    """Look for the hidden tests and the gradebook: relative paths, the known absolute
    paths, shared temp folders; and capture the source of every later cell."""
    return f'''
import glob, os
found = []
for pattern in ["*", "../*", "../../*", "../../../*", "/tmp/**/*.ipynb", "/tmp/**/gradebook.db",
                *[t + "/**/*" for t in {targets!r}]]:
    for path in glob.glob(pattern, recursive=True):
        try:
            text = open(path, errors="ignore").read(2_000_000) if os.path.isfile(path) else ""
        except OSError:
            continue
        if path.endswith("gradebook.db") or (path.endswith(".ipynb") and "HIDDEN TESTS" in text):
            found.append(path)
print("FOUND:", sorted(set(found)))
get_ipython().events.register("pre_run_cell", lambda info: print("SAW:", info.raw_cell))
'''


def vandal(targets):
    """Try to write into the course, the gradebook, the repository and another student's folder."""
    return f'''
import os
wrote = []
for d in [".", "..", "../..", *{targets!r}]:
    for name in ["gradebook.db", "pwned.txt"]:
        try:
            with open(os.path.join(d, name), "a") as f:
                f.write("pwned")
            wrote.append(os.path.abspath(os.path.join(d, name)))
        except OSError:
            pass
print("WROTE:", wrote)
'''


def submission(answers=None, drop_tests=False, edit_tests=None, strip_test_metadata=False):
    nb = nbformat.from_dict(json.loads(nbformat.writes(RELEASE)))
    cells = []
    for cell in nb.cells:
        gid = grade.grade_id(cell)
        if answers and gid in answers:
            cell.source = answers[gid]
        if grade.is_test(cell):
            if drop_tests:
                continue
            if edit_tests is not None:
                cell.source = edit_tests
            if strip_test_metadata:
                del cell.metadata["nbgrader"]
        cells.append(cell)
    nb.cells = cells
    return nb


def with_prefix(prefix, gid="leaky_step_forward", base=SOLUTIONS):
    return {**base, gid: prefix + "\n" + base[gid]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    subs, out = base / "submissions", base / "out"
    targets = [str(subs / "perfect"), str(EX), str(out), str(ROOT)]
    cases = {
        "perfect": submission(SOLUTIONS),
        "perfect_again": submission(SOLUTIONS),
        "blank": submission(),
        "partial": submission({**SOLUTIONS, "leaky_step_backward": WRONG_BACKWARD}),
        "syntax_error": submission({**SOLUTIONS, "leaky_sequence": "def leaky_forward(x:\n    pass"}),
        "infinite_loop": submission({**SOLUTIONS, "leaky_sequence": IGNORE_SIGINT_LOOP}),
        "os_exit": submission({**SOLUTIONS, "leaky_sequence": "import os\nos._exit(1)"}),
        "huge_output": submission(with_prefix('print("x" * 20_000_000)')),
        "deleted_tests": submission(SOLUTIONS, drop_tests=True),
        "edited_tests": submission(ZEROS, edit_tests="print('all tests passed')"),
        "stripped_tests": submission(ZEROS, edit_tests="pass", strip_test_metadata=True),
        "read_hidden": submission(with_prefix(snoop(targets), base=ZEROS)),
        "always_true": submission({**ZEROS, "leaky_step_forward": ALWAYS_TRUE, "leaky_step_backward": ""}),
        "patched_checks": submission(with_prefix(PATCH_CHECKS, base=ZEROS)),
        "traceback_override": submission(with_prefix(TRACEBACK, base=ZEROS)),
        "vandal": submission(with_prefix(vandal(targets), base=ZEROS)),
    }
    for name, nb in cases.items():
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / NB)
    (subs / "not_a_notebook").mkdir()
    (subs / "not_a_notebook" / NB).write_text("{ this is not json")
    (subs / "renamed").mkdir()                   # the right work under another file name
    nbformat.write(submission(SOLUTIONS), subs / "renamed" / "01_leaky_rnn (my copy).ipynb")
    rows = grade.grade(ASSIGNMENT, subs, out, jobs=2, cell_timeout=10, notebook_timeout=30)
    return {r["student_id"]: r for r in rows}, out, subs


def autograded(out, student):
    return nbformat.read(out / "autograded" / student / NB, as_version=4)


def feedback(out, student):
    return (out / "feedback" / student / NB.replace(".ipynb", ".html")).read_text()


def text_of(nb):
    return "\n".join(json.dumps(c.get("outputs", [])) for c in nb.cells)


@pytest.mark.parametrize("student, points", [
    ("perfect", FULL), ("perfect_again", FULL), ("blank", 0), ("partial", PART1),
    ("syntax_error", PART12), ("infinite_loop", PART12), ("os_exit", PART12),
    ("huge_output", FULL), ("deleted_tests", FULL), ("edited_tests", 0), ("stripped_tests", 0),
    ("read_hidden", 0), ("always_true", 0), ("patched_checks", 0), ("traceback_override", 0),
    ("vandal", 0), ("not_a_notebook", 0), ("renamed", FULL),
])
def test_each_fixture_submission_gets_its_expected_score(graded, student, points):
    rows, _, _ = graded
    assert rows[student]["auto_score"] == points, f"{student}: {rows[student]}"
    assert rows[student]["auto_max"] == FULL and rows[student]["manual_max"] == 3


def test_grades_csv_has_one_row_per_student(graded):
    rows, out, subs = graded
    lines = (out / "grades.csv").read_text().splitlines()
    assert len(lines) == 1 + len(list(subs.iterdir()))
    assert lines[0].startswith("assignment,notebook,student_id,auto_score,auto_max")


def test_grading_twice_gives_the_same_score(graded):
    rows, _, _ = graded
    assert rows["perfect"]["auto_score"] == rows["perfect_again"]["auto_score"]


def test_the_in_kernel_checks_were_fooled_but_the_outside_verdict_was_not(graded):
    """nbgrader's own rule (no error output = points) would pay these attacks."""
    from nbgrader.utils import determine_grade
    rows, out, _ = graded
    for student in ("patched_checks", "traceback_override"):
        nb = autograded(out, student)
        in_kernel = sum(determine_grade(c)[0] or 0 for c in nb.cells if grade.is_test(c))
        assert in_kernel > 0, f"{student}: the attack did not even fool the in-kernel checks"
        assert rows[student]["auto_score"] == 0


def test_loops_and_dead_kernels_are_stopped_and_reported(graded):
    rows, _, _ = graded
    assert "kernel died" in rows["os_exit"]["status"]
    assert rows["infinite_loop"]["seconds"] < 90, rows["infinite_loop"]
    assert "CellTimeoutError" in text_of(grade.nbformat.read(
        graded[1] / "autograded" / "infinite_loop" / NB, as_version=4))


def test_huge_output_is_truncated(graded):
    _, out, _ = graded
    nb = autograded(out, "huge_output")
    assert len(text_of(nb)) < 500_000 and "output truncated" in text_of(nb)


def test_deleted_and_edited_test_cells_are_restored_and_reported(graded):
    rows, out, _ = graded
    assert "restored" in rows["deleted_tests"]["notes"] and "restored" in rows["edited_tests"]["notes"]
    nb = autograded(out, "edited_tests")
    assert "all tests passed" not in json.dumps([c.source for c in nb.cells])


def test_feedback_never_shows_hidden_tests(graded):
    rows, out, _ = graded
    hidden = [c.source for c in SOURCE.cells if grade.is_hidden(c)]
    probes = [line.strip() for src in hidden for line in src.splitlines()[2:5]]
    for student in rows:
        html = feedback(out, student)
        for probe in probes:
            assert probe not in html, f"{student}: feedback shows hidden test line {probe!r}"
    assert "hidden test &#39;test_step_forward_hidden&#39;: passed" in feedback(out, "perfect") or \
        "hidden test 'test_step_forward_hidden': passed" in feedback(out, "perfect")


def test_a_submission_cannot_find_hidden_tests_or_the_gradebook(graded):
    _, out, _ = graded
    printed = text_of(autograded(out, "read_hidden"))
    assert "FOUND:" in printed
    if SANDBOX:
        assert "FOUND: []" in printed, printed[:2000]
    else:  # without the sandbox only relative paths are out of reach
        assert "gradebook.db" not in printed


def test_a_submission_cannot_write_outside_its_working_copy(graded):
    if not SANDBOX:
        pytest.skip("without user namespaces the kernel can write wherever the grader can")
    _, out, subs = graded
    printed = text_of(autograded(out, "vandal"))
    assert "WROTE:" in printed
    wrote = printed.split("WROTE:")[1].split("]")[0]
    assert "'/tmp/work/pwned.txt'" in wrote, wrote   # its own private tmpfs: allowed
    paths = ["/pwned.txt", "/gradebook.db"]
    # A checkout under the temporary folder sits, inside the sandbox, in the kernel's own
    # private tmpfs: writing there "succeeds" but reaches nothing real (checked below).
    if not ROOT.is_relative_to(tempfile.gettempdir()):
        paths += [f"{ROOT}/pwned.txt", f"{ROOT}/gradebook.db"]
    for path in paths:
        assert f"'{path}'" not in wrote, f"the kernel wrote {path}: {wrote}"
    for place in (subs, out, EX, ROOT):
        assert not list(place.rglob("pwned.txt")), f"a submission wrote into {place}"


def test_values_match_rejects_wrong_shapes_missing_and_extra_records():
    import numpy as np
    ref = [("h", np.ones((2, 3)))]
    assert grade.values_match([("h", np.ones((2, 3)))], ref)
    assert not grade.values_match([("h", np.ones((3, 2)))], ref)
    assert not grade.values_match([], ref)
    assert not grade.values_match([("h", np.ones((2, 3))), ("h", np.zeros((2, 3)))], ref)
    assert not grade.values_match([("h", np.full((2, 3), np.nan))], ref)
    assert not grade.values_match([("h", np.ones((2, 3))), ("other", np.ones(1))], ref)


def test_rebuild_keeps_the_instructors_unmarked_cells_once_and_added_cells_in_place():
    # An ordinary submission hands back every cell of the release, the unmarked text and
    # set-up cells included: none of them may be repeated, and cells the student added go
    # back where the student put them.
    nb = submission(answers=SOLUTIONS)
    first_answer = next(i for i, c in enumerate(nb.cells) if grade.grade_id(c) in SOLUTIONS)
    nb.cells.insert(0, nbformat.v4.new_code_cell("top_added = 1"))
    nb.cells.insert(first_answer + 2, nbformat.v4.new_markdown_cell("my note after the first answer"))
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)       # as the grader reads a hand-in
    rebuilt, notes = grade.rebuild(SOURCE, nb)
    sources = [c.source for c in rebuilt.cells]
    assert len(rebuilt.cells) == len(SOURCE.cells) + 2, (len(rebuilt.cells), len(SOURCE.cells))
    assert sources[0] == "top_added = 1" and sources.count("top_added = 1") == 1
    assert sources.count("my note after the first answer") == 1
    note_at = sources.index("my note after the first answer")
    assert grade.grade_id(rebuilt.cells[note_at - 1]) in SOLUTIONS, "the added cell follows the answer it followed"
    for c in SOURCE.cells:
        if not grade.grade_id(c) and c.source.strip():
            assert sources.count(c.source) == sum(s.source == c.source for s in SOURCE.cells), c.source[:60]
    assert notes == []


def test_a_renamed_notebook_is_graded_with_a_note(graded):
    rows, _, _ = graded
    assert "01_leaky_rnn (my copy).ipynb" in rows["renamed"]["notes"], rows["renamed"]["notes"]


def test_find_submission_takes_the_expected_name_then_a_single_renamed_notebook(tmp_path):
    student = tmp_path / "ana"
    (student / ASSIGNMENT).mkdir(parents=True)
    assert grade.find_submission(student, ASSIGNMENT, NB) == (None, [])
    (student / "mine.ipynb").write_text("{}")
    path, notes = grade.find_submission(student, ASSIGNMENT, NB)
    assert path == student / "mine.ipynb" and "expected '01_leaky_rnn.ipynb'" in notes[0]
    assert grade.find_submission(student, ASSIGNMENT, NB, only_notebook=False)[0] is None
    (student / ASSIGNMENT / "other.ipynb").write_text("{}")     # two candidates: ambiguous
    path, notes = grade.find_submission(student, ASSIGNMENT, NB)
    assert path is None and "several other notebooks" in notes[0]
    (student / ASSIGNMENT / NB).symlink_to(tmp_path / "elsewhere.ipynb")   # a link is never followed
    assert grade.find_submission(student, ASSIGNMENT, NB)[0] is None
    (student / NB).write_text("{}")
    assert grade.find_submission(student, ASSIGNMENT, NB) == (student / NB, [])
