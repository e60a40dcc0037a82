"""The claims ledger: every chapter over several seeds and numeric configurations.

    python benchmarks/claims.py                      # all chapters, seeds 0-4, native + avx2; resumes
    python benchmarks/claims.py chapters/03_vanishing_exploding.ipynb --seeds 0 1 2 3 4 5 6
    python benchmarks/claims.py --report             # only rebuild claims.md / claims.json
    python benchmarks/claims.py --force ...          # re-run runs already stored for this notebook

Each chapter checks its trained and sampled numbers with `rnnlib.claim(name, value,
lower=..., upper=...)`. This script executes a chapter (the file on disk is not modified)
with RNNLIB_SEED set to another seed and under another numeric configuration, with
RNNLIB_CLAIMS_LOG pointing at a file where every claim appends its value, and with
RNNLIB_CLAIMS_RECORD_ONLY set so that one failing claim does not hide the ones after it.
Each run is stored in benchmarks/claims/runs/ with the hash of the notebook's code, so an
interrupted ledger resumes where it stopped and a changed chapter is run again.

Numeric configurations (CONFIGS): "native" lets torch, oneDNN and MKL use the best
vector instructions of this machine (AVX-512 on the course servers); "avx2" caps them at
AVX2, which is what most readers' laptops have and which picks other float kernels, so
training follows another path from the same seed. "default" turns torch's own vectorised
kernels off altogether (slower; not in the default set).

The report, benchmarks/claims.md, gives for every claim its bound, the minimum, median
and maximum over all runs, and the margin between the worst run and the bound; a claim is
sound when its worst run clears the bound. benchmarks/claims.json holds the same data and
every run's values.
"""
import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "benchmarks" / "claims" / "runs"
REPORT_MD = ROOT / "benchmarks" / "claims.md"
REPORT_JSON = ROOT / "benchmarks" / "claims.json"
NUMERIC_VARIABLES = ("ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")
CONFIGS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "DNNL_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "DNNL_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}
DEFAULT_SEEDS = [0, 1, 2, 3, 4]
DEFAULT_CONFIGS = ["native", "avx2"]
CELL_TIMEOUT = 1800  # seconds; a safety guard only (the ledger may share two cores with other work)


def code_hash(path):
    """Hash of a notebook's code cells: a run is current while the code it ran is unchanged."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    text = "\n\x00".join(c.source for c in nb.cells if c.cell_type == "code")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def library_hash():
    """Hash of rnnlib's sources, stored with each run so the report can flag runs of an older library."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "rnnlib").rglob("*.py")):
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\x00" + p.read_bytes())
    return h.hexdigest()[:16]


def run_path(notebook, seed, config):
    return RUNS / f"{Path(notebook).stem}.s{seed}.{config}.json"


def environment(seed, config, log=None):
    """The environment of one run: this process's, with the seed and the numeric configuration set.
    With a log file, claims are recorded there and do not raise (the ledger); without, they raise."""
    env = {k: v for k, v in os.environ.items()
           if k not in NUMERIC_VARIABLES and k not in ("RNNLIB_CLAIMS_LOG", "RNNLIB_CLAIMS_RECORD_ONLY")}
    env.update(CONFIGS[config])
    env.update({"RNNLIB_SEED": str(seed), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"})
    if log is not None:
        env.update({"RNNLIB_CLAIMS_LOG": str(log), "RNNLIB_CLAIMS_RECORD_ONLY": "1"})
    return env


def execute_in_child(notebook, env):
    """Execute a notebook in a child process with `env` (its kernel inherits it): (error or None, seconds)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--execute", str(notebook)],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    error = None
    if proc.returncode != 0:
        lines = [l for l in (proc.stderr or "").splitlines() if l.strip()]
        error = lines[-1] if lines else f"exit code {proc.returncode}"
    return error, seconds


def execute_notebook(path):
    """Run in a child process whose environment holds the seed and configuration: execute the notebook."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        lines = [line for line in str(err).splitlines() if line.strip()]
        print(lines[-1][:300] if lines else "cell failed", file=sys.stderr)
        return 1
    return 0


def run_one(notebook, seed, config):
    """Execute one (notebook, seed, configuration) run and store its claims; returns the stored record."""
    notebook = Path(notebook)
    RUNS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "claims.jsonl"
        log.touch()
        error, seconds = execute_in_child(notebook, environment(seed, config, log))
        claims = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    record = {"notebook": notebook.name, "seed": seed, "config": config, "env": CONFIGS[config],
              "code_hash": code_hash(notebook), "library_hash": library_hash(),
              "seconds": round(seconds, 1), "error": error, "claims": claims,
              "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    run_path(notebook, seed, config).write_text(json.dumps(record, indent=1) + "\n")
    return record


def stored(notebook, seed, config):
    path = run_path(notebook, seed, config)
    return json.loads(path.read_text()) if path.exists() else None


def fmt(x):
    if x is None:
        return ""
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def bound_text(lower, upper):
    if lower is not None and upper is not None:
        return f"({fmt(lower)}, {fmt(upper)})"
    return f"> {fmt(lower)}" if lower is not None else f"< {fmt(upper)}"


def breaks(value, lower, upper):
    """Whether one run's value breaks its claim's strict bounds (as rnnlib.claim would judge it)."""
    return not (lower is None or value > lower) or not (upper is None or value < upper)


def summarise(values, lower, upper):
    """Min, median, max, and the margin by which the worst run clears the bound (negative: a failure)."""
    lo, hi = min(values), max(values)
    med = statistics.median(values)
    margins = []
    if lower is not None:
        margins.append((lo - lower, abs(lower) or abs(med) or 1.0))
    if upper is not None:
        margins.append((upper - hi, abs(upper) or abs(med) or 1.0))
    margin, scale = min(margins, key=lambda m: m[0] / m[1])
    # The margin in run-to-run standard deviations: how far a new seed or machine would have to
    # stray to break the claim (infinite when every run gave the same value). Quantities that span
    # orders of magnitude over the runs (gradient norms, exploding losses) are measured in log10.
    bounds = [b for b in (lower, upper) if b is not None]
    log = lo > 0 and all(b > 0 for b in bounds) and hi / lo > 10
    f = math.log10 if log else (lambda v: v)
    sd = statistics.stdev([f(v) for v in values]) if len(values) > 1 else 0.0
    distances = []
    if lower is not None:
        distances.append(f(lo) - f(lower))
    if upper is not None:
        distances.append(f(upper) - f(hi))
    worst_distance = min(distances)
    spread_units = worst_distance / sd if sd > 0 else (math.inf if worst_distance > 0 else -math.inf)
    return {"min": lo, "median": med, "max": hi, "sd": sd, "margin": margin, "log_scale": log,
            "relative_margin": margin / scale, "margin_in_sd": spread_units}


def collect(notebooks, seeds, configs):
    """The ledger's rows from the stored runs of the current notebooks."""
    lib = library_hash()
    chapters = []
    for nb in notebooks:
        current = code_hash(nb)
        runs, missing, stale = [], [], []
        for config in configs:
            for seed in seeds:
                rec = stored(nb, seed, config)
                if rec is None or rec["code_hash"] != current:
                    missing.append((seed, config))
                else:
                    runs.append(rec)
                    if rec["library_hash"] != lib:
                        stale.append((seed, config))
        order, bounds, values = [], {}, {}
        for rec in runs:
            for c in rec["claims"]:
                if c["name"] not in bounds:
                    order.append(c["name"])
                bounds[c["name"]] = (c["lower"], c["upper"])
                values.setdefault(c["name"], []).append((rec["seed"], rec["config"], c["value"]))
        rows = []
        for name in order:
            lower, upper = bounds[name]
            vals = [v for _, _, v in values[name]]
            row = {"claim": name, "lower": lower, "upper": upper, "runs": len(vals),
                   "failures": sum(breaks(v, lower, upper) for v in vals),
                   "values": values[name]}
            row.update(summarise(vals, lower, upper))
            rows.append(row)
        chapters.append({"notebook": Path(nb).name, "code_hash": current, "runs": len(runs),
                         "missing_runs": missing, "runs_of_older_library": stale,
                         "errors": [(r["seed"], r["config"], r["error"]) for r in runs if r["error"]],
                         "seconds": [r["seconds"] for r in runs], "claims": rows})
    return chapters


def write_report(chapters, seeds, configs):
    rows = [(ch["notebook"], r) for ch in chapters for r in ch["claims"]]
    total_runs = sum(ch["runs"] for ch in chapters)
    seconds = sum(sum(ch["seconds"]) for ch in chapters)
    failing = [(nb, r) for nb, r in rows if r["failures"]]
    lines = [
        "# Claims ledger",
        "",
        "Generated by `python benchmarks/claims.py` (do not edit by hand). Every number a chapter asserts",
        "about a trained or sampled quantity goes through `rnnlib.claim`; this table is each of those",
        f"claims over seeds {', '.join(map(str, seeds))} and the numeric configurations "
        f"{', '.join(configs)} ({'; '.join(f'{c}: ' + (' '.join(f'{k}={v}' for k, v in CONFIGS[c].items()) or 'this machine as it is') for c in configs)}).",
        "Margin: how far the worst run stays inside the bound (negative: some run breaks the claim);",
        "relative: that distance divided by the bound (or by the median where the bound is 0); in sd: that",
        "distance in run-to-run standard deviations (inf: every run gave the same value; \"log\": measured",
        "in log10, for quantities that span orders of magnitude), which says how far a new seed or machine",
        "would have to stray to break the claim.",
        "",
        f"**{len(rows)} claims x {total_runs} chapter runs = {sum(r['runs'] for _, r in rows)} checked values; "
        f"{len(failing)} claims broken by some run.** Run time of the stored runs: {seconds / 60:.1f} min "
        "of single-threaded notebook execution (the script runs two at a time).",
        "",
    ]
    tight = sorted(rows, key=lambda nr: (nr[1]["margin_in_sd"], nr[1]["relative_margin"]))[:8]
    lines += ["## Tightest margins (in run-to-run standard deviations)", "",
              "| chapter | claim | bound | worst | median | margin in sd | relative margin |",
              "|---|---|---|---|---|---|---|"]
    for nb, r in tight:
        worst = r["min"] if r["lower"] is not None and (r["upper"] is None or
                                                        (r["min"] - r["lower"]) <= (r["upper"] - r["max"])) else r["max"]
        lines.append(f"| {nb[:2]} | {r['claim']} | {bound_text(r['lower'], r['upper'])} | {fmt(worst)} | "
                     f"{fmt(r['median'])} | {r['margin_in_sd']:.1f}{' log' * r['log_scale']} | {r['relative_margin']:.2f} |")
    lines.append("")
    for ch in chapters:
        lines += [f"## {ch['notebook']}", ""]
        note = f"{ch['runs']} runs, {statistics.median(ch['seconds']) if ch['seconds'] else 0:.0f} s median each"
        if ch["missing_runs"]:
            note += f"; **not run for the current code: {', '.join(f's{s}/{c}' for s, c in ch['missing_runs'])}**"
        if ch["runs_of_older_library"]:
            note += f"; {len(ch['runs_of_older_library'])} runs used an older rnnlib"
        lines += [note + ".", ""]
        for seed, config, err in ch["errors"]:
            lines.append(f"- **error** seed {seed} / {config}: `{err}`")
        if ch["errors"]:
            lines.append("")
        if not ch["claims"]:
            lines += ["No claims recorded.", ""]
            continue
        lines += ["| claim | bound | runs | min | median | max | margin | relative | in sd | broken by |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in ch["claims"]:
            broken = [f"s{s}/{c}" for s, c, v in r["values"] if breaks(v, r["lower"], r["upper"])]
            lines.append(f"| {r['claim']} | {bound_text(r['lower'], r['upper'])} | {r['runs']} | {fmt(r['min'])} | "
                         f"{fmt(r['median'])} | {fmt(r['max'])} | {fmt(r['margin'])} | {r['relative_margin']:.2f} | "
                         f"{r['margin_in_sd']:.1f}{' log' * r['log_scale']} | {', '.join(broken)} |")
        lines.append("")
    REPORT_MD.write_text("\n".join(lines))
    REPORT_JSON.write_text(json.dumps({"seeds": seeds, "configs": {c: CONFIGS[c] for c in configs},
                                       "chapters": chapters}, indent=1) + "\n")
    return failing


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=DEFAULT_SEEDS)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=DEFAULT_CONFIGS)
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2, one per core)")
    parser.add_argument("--force", action="store_true", help="re-run runs already stored for the current code")
    parser.add_argument("--report", action="store_true", help="only rebuild the report from stored runs")
    parser.add_argument("--execute", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute:
        return execute_notebook(args.execute)

    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters").glob("*.ipynb"))
    if not args.report:
        todo = []
        for nb in notebooks:
            current = code_hash(nb)
            for config in args.configs:
                for seed in args.seeds:
                    rec = stored(nb, seed, config)
                    if args.force or rec is None or rec["code_hash"] != current:
                        todo.append((nb, seed, config))
        print(f"{len(todo)} runs to do ({args.jobs} at a time)", flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(run_one, *job): job for job in todo}
            for i, fut in enumerate(as_completed(futures), 1):
                rec = fut.result()
                bad = [c["name"] for c in rec["claims"] if not c["ok"]]
                status = f"ERROR {rec['error']}" if rec["error"] else ("broken: " + "; ".join(bad) if bad else "ok")
                print(f"[{i}/{len(todo)}] {rec['notebook']:32s} seed {rec['seed']} {rec['config']:7s} "
                      f"{rec['seconds']:6.1f} s  {len(rec['claims'])} claims  {status}", flush=True)
        print(f"ran {len(todo)} runs in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    # The report covers every chapter, whichever ones this call ran.
    all_notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
    chapters = collect(all_notebooks, args.seeds, args.configs)
    failing = write_report(chapters, args.seeds, args.configs)
    requested = {n.name for n in notebooks}
    failing = [(nb, r) for nb, r in failing if nb in requested]
    for nb, r in failing:
        print(f"BROKEN {nb}: {r['claim']} {bound_text(r['lower'], r['upper'])}, min {fmt(r['min'])} max {fmt(r['max'])}")
    errors = [(ch["notebook"], e) for ch in chapters if ch["notebook"] in requested for e in ch["errors"]]
    for nb, e in errors:
        print(f"ERROR {nb}: seed {e[0]} {e[1]}: {e[2]}")
    print(f"wrote {REPORT_MD.relative_to(ROOT)} and {REPORT_JSON.relative_to(ROOT)}")
    return 1 if failing or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
