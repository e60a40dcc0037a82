"""Grade a folder of exercise submissions, treating every submission as hostile input.

    python exercises/grade.py 01_vanilla_rnn path/to/submissions --out path/to/grading

`submissions/` holds one folder per student (the folder name is the student id) with the
student's edited release notebook in it (`<student>/01_leaky_rnn.ipynb`, or nbgrader's
`<student>/<assignment>/01_leaky_rnn.ipynb`). The command writes

    OUT/grades.csv                      one row per student and notebook
    OUT/feedback/<student>/<nb>.html    what goes back to the student: hidden tests replaced
                                        by their verdict and points, never their code
    OUT/autograded/<student>/<nb>.ipynb the executed notebook, for the instructor only
    OUT/results/<student>.json          per-cell scores and what was restored

How a submission is graded (README.md, "Threat model", says why):

1. Rebuild the notebook in this (trusted) process from the instructor's source notebook:
   every cell except the solution cells comes from the source, so a deleted, edited or
   retyped test cell is restored, hidden tests included. The student's answers are taken by
   their nbgrader grade_id; extra cells the student added are kept in place.
2. Execute it in a worker process that starts a fresh kernel whose working directory is an
   empty temporary folder (no notebook, gradebook or course on a relative path) and whose
   stdout/stderr go nowhere; per-cell and per-notebook time limits; output size capped.
   Two workers run at once. A kernel that dies, loops or floods costs its own submission.
3. Compute the verdict here, outside the student's kernel: a test cell earns its points only
   if it ran without an error *and* every value it handed out with `record(...)` equals the
   value the instructor's solution produced on the same inputs (the source notebook is run
   first, by the same worker, to get them). The comparison uses this process's numpy on
   float64 bytes, so an object whose `==` is always true, a patched `numpy.testing`, a
   silenced traceback or a monkeypatched builtin in the kernel earns nothing.
"""
import argparse
import base64
import copy
import csv
import hashlib
import hmac
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np

HERE = Path(__file__).resolve().parent
RECORD_MIME = "application/x-rnn-grading+json"
RESULT_TAG = "RNN-GRADE-RESULT "
CELL_TIMEOUT = 60        # seconds per cell: the slowest exercise cell takes a few seconds
NOTEBOOK_TIMEOUT = 300   # seconds per notebook
MAX_OUTPUT_CHARS = 20_000  # per cell, stream and display text together
MAX_RECORDS = 200          # per cell
RTOL, ATOL = 1e-6, 1e-9

# Runs inside the sandbox's new user, mount and pid namespaces, before the kernel: make the
# whole file system read-only, hide the course, the submissions, the output and every
# shared temporary folder behind empty tmpfs mounts, then start the kernel in an empty,
# private /tmp/work.
SANDBOX_LAUNCHER = r"""
import json, os, subprocess, sys
conn, plan = open(sys.argv[1]).read(), json.loads(sys.argv[2])
def mount(*args):
    subprocess.run(["mount", *args], check=True)
# A read-only copy of the whole tree at NEW, then chroot into it: ".." cannot climb out of a
# chroot, so no relative path reaches a writable mount (a plain ro bind over "/" leaks).
stage = "/mnt" if os.path.isdir("/mnt") else "/tmp"
mount("-t", "tmpfs", "tmpfs", stage)
new = stage + "/root"
os.makedirs(new)
mount("--rbind", "/", new)
mount("-o", "remount,bind,ro", new)
for p in plan["hide"]:
    if os.path.isdir(p):
        mount("-t", "tmpfs", "-o", "size=512m", "tmpfs", new + p)
# What the kernel needs to start (the virtual environment, the rnnlib package) may lie
# inside a hidden folder, e.g. a checkout under /tmp: bind it back, read-only.
for k in plan["keep"]:
    if os.path.isdir(k) and any(k == p or k.startswith(p.rstrip("/") + "/") for p in plan["hide"]):
        os.makedirs(new + k, exist_ok=True)
        mount("--rbind", k, new + k)
        mount("-o", "remount,bind,ro", new + k)
os.chroot(new)
os.makedirs("/tmp/work", exist_ok=True)
with open("/tmp/kernel.json", "w") as f:
    f.write(conn)
os.chdir("/tmp/work")
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/kernel.json"])
"""


def sandbox_works():
    """Unprivileged user namespaces (util-linux `unshare`) usable on this machine?"""
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork",
                               "--mount-proc", "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def sandbox_plan(hide):
    """What the sandbox hides (the course, the submissions and output, shared temporary
    folders) and what it must keep visible for the kernel to start (this Python
    environment and the rnnlib package), even when those lie inside a hidden folder."""
    from jupyter_core.paths import jupyter_runtime_dir
    rnnlib_dirs = importlib.util.find_spec("rnnlib").submodule_search_locations
    keep = [sys.prefix, *(str(Path(d).resolve()) for d in rnnlib_dirs)]
    if any(Path(k).is_relative_to(HERE) for k in keep):
        raise SystemExit(f"the Python environment or rnnlib lies inside the course folder {HERE}, "
                         "which the sandbox must hide")
    return {"hide": [str(HERE), *map(str, hide), tempfile.gettempdir(), "/var/tmp", "/dev/shm",
                     jupyter_runtime_dir()],
            "keep": keep}


# ----------------------------------------------------------------------------- notebooks
def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell):
    return nbgrader_meta(cell).get("grade_id")


def is_test(cell):
    m = nbgrader_meta(cell)
    return cell.cell_type == "code" and m.get("grade") and not m.get("solution")


def is_manual(cell):
    m = nbgrader_meta(cell)
    return bool(m.get("grade") and m.get("solution"))


def is_hidden(cell):
    return "BEGIN HIDDEN TESTS" in cell.source


def rebuild(source_nb, submitted_nb):
    """The notebook to execute: the source's cells, with the student's solution cells
    (matched by grade_id, same cell type) and extra cells put in. Returns (nb, notes).

    A cell the student added is put back after the source cell it followed in the
    submission (cells before any source cell go first). Source cells without a grade_id
    (the instructor's text and set-up) come back unchanged in the submission; they are
    recognised by their type and text, so they are not taken for added cells."""
    solution_ids = {grade_id(c) for c in source_nb.cells if nbgrader_meta(c).get("solution")}
    known_ids = {grade_id(c) for c in source_nb.cells if grade_id(c)}
    # Unmarked source cells, by content: each position is matched at most once, in order.
    unmarked = {}
    for i, c in enumerate(source_nb.cells):
        if not grade_id(c):
            unmarked.setdefault((c.cell_type, c.source.strip()), []).append(i)
    answers, extras, notes = {}, {None: []}, []
    anchor, last_index = None, -1
    for cell in submitted_nb.cells:
        gid = grade_id(cell)
        if gid in known_ids:
            anchor = gid
            if gid in solution_ids:
                answers[gid] = cell
            continue
        matches = [i for i in unmarked.get((cell.cell_type, cell.source.strip()), []) if i > last_index]
        if matches:                                   # the instructor's own unmarked cell, handed back
            anchor = last_index = matches[0]
            continue
        if cell.cell_type in ("code", "markdown"):
            extras.setdefault(anchor, []).append(cell)
    source_by_id = {grade_id(c): c for c in source_nb.cells if grade_id(c)}
    submitted_by_id = {grade_id(c): c for c in submitted_nb.cells if grade_id(c)}
    for gid, src in source_by_id.items():
        if gid in solution_ids:
            continue
        sub = submitted_by_id.get(gid)
        if sub is None:
            notes.append(f"cell '{gid}' was missing from the submission; restored from the original")
        elif not is_hidden(src) and sub.source.strip() != src.source.strip():
            notes.append(f"cell '{gid}' was edited; restored from the original")

    def fresh(extra):
        return (nbformat.v4.new_code_cell(extra.source) if extra.cell_type == "code"
                else nbformat.v4.new_markdown_cell(extra.source))

    cells = [fresh(c) for c in extras[None]]
    for index, src in enumerate(source_nb.cells):
        gid = grade_id(src)
        cell = copy.deepcopy(src)
        if gid in solution_ids:
            answer = answers.get(gid)
            if answer is None:
                notes.append(f"answer cell '{gid}' was missing; graded as blank")
                cell.source = ""
            elif answer.cell_type != src.cell_type:
                notes.append(f"answer cell '{gid}' changed type; graded as blank")
                cell.source = ""
            else:
                cell.source = answer.source
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        cells += [fresh(c) for c in extras.get(gid if gid else index, [])]
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source_nb.metadata))
    return nb, notes


# ----------------------------------------------------------------------------- worker
def run_worker(cell_timeout, notebook_timeout, plan=None):
    """Execute the notebook read from stdin (after a one-line key) in a fresh, isolated
    kernel; print the executed notebook, signed with the key, as the last line."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    key = sys.stdin.readline().strip().encode()
    plan = json.loads(sys.stdin.readline())
    nb = nbformat.reads(sys.stdin.read(), as_version=4)

    class SandboxKernelManager(AsyncKernelManager):
        """Starts ipykernel inside fresh user/mount/pid namespaces (see SANDBOX_LAUNCHER)."""
        @property
        def kernel_spec(self):
            return KernelSpec(display_name="sandboxed python3", language="python", argv=[
                "unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc",
                "--", sys.executable, "-c", SANDBOX_LAUNCHER, "{connection_file}", json.dumps(plan)])

    class CappedClient(NotebookClient):
        """Drop output beyond MAX_OUTPUT_CHARS per cell (a print loop cannot fill memory)."""
        sizes = {}

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            is_record = RECORD_MIME in content.get("data", {})
            used, records, noted = self.sizes.get(cell_index, (0, 0, False))
            if is_record:
                if records >= MAX_RECORDS:
                    return None
                self.sizes[cell_index] = (used, records + 1, noted)
                return super().output(outs, msg, display_id, cell_index)
            size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
            if used + size > MAX_OUTPUT_CHARS:
                if not noted:
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stdout", text="\n[grader: output truncated]\n"))
                self.sizes[cell_index] = (used, records, True)
                return None
            self.sizes[cell_index] = (used + size, records, noted)
            return super().output(outs, msg, display_id, cell_index)

    workdir = tempfile.mkdtemp(prefix="rnn-kernel-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RNN_", "JPY_"))}
    env.update(RNN_GRADING="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR="/tmp/matplotlib")
    extra = {"kernel_manager_class": SandboxKernelManager} if plan else {}
    client = CappedClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                          startup_timeout=60, resources={"metadata": {"path": workdir}}, **extra)
    ran, status = [], "ok"
    deadline = time.monotonic() + notebook_timeout
    try:
        with client.setup_kernel(env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = deadline - time.monotonic()
                if left <= 1:
                    status = "notebook time limit"
                    break
                client.timeout = int(min(cell_timeout, left))
                try:
                    client.execute_cell(cell, index)
                    ran.append(index)
                except CellTimeoutError:
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="CellTimeoutError", evalue=f"cell ran longer than {client.timeout} s",
                        traceback=[f"CellTimeoutError: cell ran longer than {client.timeout} s"]))
                    ran.append(index)
                    client.km.interrupt_kernel()
                except DeadKernelError:
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="DeadKernelError", evalue="the kernel died",
                        traceback=["DeadKernelError: the kernel died while running this cell"]))
                    ran.append(index)
                    status = "kernel died"
                    break
    except Exception as exc:  # kernel failed to start, or died between cells
        status = f"execution failed: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    payload = json.dumps({"notebook": nbformat.writes(nb), "ran": ran, "status": status})
    sig = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    sys.stdout.write("\n" + RESULT_TAG + sig + " " + base64.b64encode(payload.encode()).decode() + "\n")
    sys.stdout.flush()


def execute(nb, cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT, plan=None):
    """Run `nb` in a worker process; return (executed nb, indices of cells run, status)."""
    key = secrets.token_hex(32)
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker",
         "--cell-timeout", str(cell_timeout), "--notebook-timeout", str(notebook_timeout)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True, cwd=tempfile.gettempdir())
    try:
        out, _ = proc.communicate((key + "\n" + json.dumps(plan) + "\n" + nbformat.writes(nb)).encode(), timeout=notebook_timeout + 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return nb, [], "worker killed: notebook time limit"
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith(RESULT_TAG):
            parts = line[len(RESULT_TAG):].split(" ", 1)
            if len(parts) != 2:
                continue
            try:
                payload = base64.b64decode(parts[1]).decode()
            except ValueError:
                continue
            good = hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(good, parts[0]):
                result = json.loads(payload)
                return nbformat.reads(result["notebook"], as_version=4), result["ran"], result["status"]
    return nb, [], "no result from the worker"


# ----------------------------------------------------------------------------- verdicts
def records(cell):
    """The values a cell handed out with record(): list of (name, float64 array)."""
    found = []
    for out in cell.get("outputs", []):
        rec = out.get("data", {}).get(RECORD_MIME) if out.get("output_type") == "display_data" else None
        if rec is None:
            continue
        try:
            if isinstance(rec, str):
                rec = json.loads(rec)
            shape = tuple(int(s) for s in rec["shape"])
            values = np.frombuffer(bytes.fromhex(rec["hex"]), dtype="<f8")
            found.append((str(rec["name"]), values.reshape(shape)))
        except (KeyError, TypeError, ValueError):
            found.append(("<malformed>", None))
    return found


def cell_errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def values_match(got, expected):
    """Every expected name recorded, every record of it equal to the reference."""
    if not expected:
        return True
    ref = {}
    for name, value in expected:
        ref.setdefault(name, value)
    seen = set()
    for name, value in got:
        if name not in ref or value is None or value.shape != ref[name].shape:
            return False
        if not np.all(np.isfinite(value)) or not np.allclose(value, ref[name], rtol=RTOL, atol=ATOL):
            return False
        seen.add(name)
    return seen == set(ref)


def score(executed, ran, reference):
    """Per grade cell: {grade_id: {points, max, kind, passed}} from the executed notebook."""
    by_id = {grade_id(c): (i, c) for i, c in enumerate(executed.cells) if grade_id(c)}
    result = {}
    for gid, ref_cell in reference.items():
        max_points = float(nbgrader_meta(ref_cell["cell"])["points"])
        if ref_cell["kind"] == "manual":
            result[gid] = {"kind": "manual", "max": max_points, "points": None, "passed": None}
            continue
        index, cell = by_id[gid]
        passed = (index in ran and not cell_errors(cell)
                  and values_match(records(cell), ref_cell["records"]))
        result[gid] = {"kind": "test", "hidden": ref_cell["hidden"], "max": max_points,
                       "points": max_points if passed else 0.0, "passed": bool(passed)}
    return result


def reference_results(source_nb, cell_timeout, notebook_timeout, plan=None):
    """Run the instructor's solution and keep, per grade cell, the values it recorded."""
    nb, _ = rebuild(source_nb, source_nb)
    executed, ran, status = execute(nb, cell_timeout, notebook_timeout, plan)
    reference = {}
    for i, cell in enumerate(executed.cells):
        if is_test(cell):
            if i not in ran or cell_errors(cell) or any(v is None for _, v in records(cell)):
                raise RuntimeError(f"the source notebook fails its own test '{grade_id(cell)}' ({status})")
            reference[grade_id(cell)] = {"kind": "test", "cell": cell, "records": records(cell),
                                         "hidden": is_hidden(cell)}
        elif is_manual(cell):
            reference[grade_id(cell)] = {"kind": "manual", "cell": cell, "records": [], "hidden": False}
    return reference


# ----------------------------------------------------------------------------- feedback
def feedback_notebook(executed, result, notes, hidden_lines):
    """A copy safe to return: hidden test cells become their verdict, record outputs go,
    and any output that quotes a hidden test line is removed."""
    nb = copy.deepcopy(executed)
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "display_data" and RECORD_MIME in out.get("data", {}):
                    continue
                text = json.dumps(out)
                if any(line in text for line in hidden_lines):
                    kept.append(nbformat.v4.new_output(
                        "stream", name="stdout", text="[grader: output removed, it quoted a hidden test]\n"))
                    continue
                kept.append(out)
            cell.outputs = kept
        if gid in result and result[gid]["kind"] == "test":
            r = result[gid]
            verdict = "passed" if r["passed"] else "failed"
            if r["hidden"]:
                cell.source = f"# hidden test '{gid}': {verdict}, {r['points']:g} / {r['max']:g} points"
                cell.outputs = []
            else:
                cell.source = f"# test '{gid}': {verdict}, {r['points']:g} / {r['max']:g} points\n" + cell.source
    auto = sum(r["points"] for r in result.values() if r["kind"] == "test")
    auto_max = sum(r["max"] for r in result.values() if r["kind"] == "test")
    manual_max = sum(r["max"] for r in result.values() if r["kind"] == "manual")
    header = [f"# Feedback\n\nAutograded score: **{auto:g} / {auto_max:g}** points; "
              f"{manual_max:g} more points are graded by hand.\n"]
    header += [f"- {n}" for n in notes]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(header)))
    return nb


def write_html(nb, path):
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


# ----------------------------------------------------------------------------- driver
def find_submission(student_dir, assignment, nb_name, only_notebook=True):
    """The student's notebook and a note: (path or None, list of notes).

    The expected name first (in the student's folder or its <assignment>/ sub-folder). When
    the assignment has one notebook (only_notebook) and the student handed in exactly one
    other .ipynb under another name, that one is graded, with a note; links are never
    followed."""
    folders = (student_dir, student_dir / assignment)
    for folder in folders:
        path = folder / nb_name
        if path.is_file() and not path.is_symlink():
            return path, []
    others = sorted(p for folder in folders if folder.is_dir() and not folder.is_symlink()
                    for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    if only_notebook and len(others) == 1:
        return others[0], [f"graded '{others[0].name}', the only notebook handed in (expected '{nb_name}')"]
    if others:
        return None, [f"no '{nb_name}' and several other notebooks ({', '.join(p.name for p in others)}); "
                      "graded as blank"]
    return None, []


def grade_one(student, found, source_nb, reference, cell_timeout, notebook_timeout, plan):
    """found: (path or None, notes) from find_submission."""
    started = time.monotonic()
    path, notes = found[0], list(found[1])
    try:
        submitted = nbformat.read(path, as_version=4) if path else None
        if submitted is None:
            notes.append("no notebook found; graded as blank")
    except Exception as exc:
        submitted = None
        notes.append(f"the notebook could not be read ({type(exc).__name__}); graded as blank")
    nb, more = rebuild(source_nb, submitted or nbformat.v4.new_notebook())
    notes += more
    executed, ran, status = execute(nb, cell_timeout, notebook_timeout, plan)
    if status != "ok":
        notes.append(f"execution stopped: {status}")
    result = score(executed, ran, reference)
    return {"student": student, "result": result, "notes": notes, "status": status,
            "executed": executed, "seconds": time.monotonic() - started}


def grade(assignment, submissions, out, jobs=2, cell_timeout=CELL_TIMEOUT,
          notebook_timeout=NOTEBOOK_TIMEOUT, source_dir=HERE / "source", sandbox="auto"):
    """Grade every student folder in `submissions`; return a list of per-student rows.
    sandbox: "on" (required), "off", or "auto" (on where user namespaces work)."""
    out = Path(out).resolve()
    use = sandbox == "on" or (sandbox == "auto" and sandbox_works())
    if sandbox == "on" and not sandbox_works():
        raise SystemExit("--sandbox on: `unshare --user --mount --pid` does not work on this machine")
    if not use:
        print("warning: grading without the namespace sandbox; see README.md", file=sys.stderr)
    plan = sandbox_plan([Path(submissions).resolve(), out]) if use else None
    notebooks = sorted((Path(source_dir) / assignment).glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no source notebooks in {Path(source_dir) / assignment}")
    students = sorted(p.name for p in Path(submissions).iterdir() if p.is_dir() and not p.is_symlink())
    rows = []
    for nb_path in notebooks:
        source_nb = nbformat.read(nb_path, as_version=4)
        reference = reference_results(source_nb, cell_timeout, notebook_timeout, plan)
        hidden_lines = {line.strip() for c in source_nb.cells if is_hidden(c)
                        for line in c.source.split("### BEGIN HIDDEN TESTS", 1)[1].splitlines()
                        if len(line.strip()) > 20 and "HIDDEN TESTS" not in line}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(grade_one, s, find_submission(Path(submissions) / s, assignment, nb_path.name,
                                                                 only_notebook=len(notebooks) == 1),
                                   source_nb, reference, cell_timeout, notebook_timeout, plan) for s in students]
            graded = [f.result() for f in futures]
        for g in graded:
            student, result = g["student"], g["result"]
            fb = feedback_notebook(g["executed"], result, g["notes"], hidden_lines)
            write_html(fb, out / "feedback" / student / (nb_path.stem + ".html"))
            (out / "autograded" / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(g["executed"], out / "autograded" / student / nb_path.name)
            auto = sum(r["points"] for r in result.values() if r["kind"] == "test")
            auto_max = sum(r["max"] for r in result.values() if r["kind"] == "test")
            manual_max = sum(r["max"] for r in result.values() if r["kind"] == "manual")
            row = {"assignment": assignment, "notebook": nb_path.stem, "student_id": student,
                   "auto_score": auto, "auto_max": auto_max, "manual_max": manual_max,
                   "max_score": auto_max + manual_max, "status": g["status"], "sandbox": bool(plan),
                   "seconds": round(g["seconds"], 1), "notes": "; ".join(g["notes"])}
            rows.append(row)
            (out / "results").mkdir(parents=True, exist_ok=True)
            (out / "results" / f"{student}.json").write_text(json.dumps(
                {**row, "cells": result}, indent=1))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student_id"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("assignment", nargs="?")
    ap.add_argument("submissions", nargs="?", help="folder with one sub-folder per student")
    ap.add_argument("--out", default="grading", help="where grades.csv and feedback/ go")
    ap.add_argument("--jobs", type=int, default=2, help="submissions graded at once")
    ap.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT)
    ap.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT)
    ap.add_argument("--sandbox", choices=["auto", "on", "off"], default="auto",
                    help="run each kernel in its own user/mount/pid namespaces (default: where possible)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return run_worker(args.cell_timeout, args.notebook_timeout)
    if not (args.assignment and args.submissions):
        ap.error("give an assignment and a submissions folder")
    started = time.monotonic()
    rows = grade(args.assignment, args.submissions, args.out, args.jobs,
                 args.cell_timeout, args.notebook_timeout, sandbox=args.sandbox)
    for r in rows:
        print(f"{r['student_id']:>20} {r['notebook']}: {r['auto_score']:g}/{r['auto_max']:g} "
              f"(+{r['manual_max']:g} by hand) {r['status']} {r['seconds']} s")
    print(f"graded {len(rows)} notebooks in {time.monotonic() - started:.0f} s; "
          f"grades in {Path(args.out) / 'grades.csv'}")


if __name__ == "__main__":
    main()
