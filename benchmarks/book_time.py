"""Execute every chapter notebook and report its wall time.

    python benchmarks/book_time.py                 # all chapters
    python benchmarks/book_time.py chapters/00_sequences.ipynb

Each notebook runs in a fresh kernel with nbclient, from the chapters/ folder, exactly as
a reader's "Run All" does; the notebooks on disk are not modified. Prints a table and
writes it to benchmarks/book_time.md together with the machine's description. Budgets
(CONTRIBUTING.md): each notebook under 90 s and the whole book under 10 minutes on 2 cores.
The machine is shared and noisy, so treat one run as one sample.
"""
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 90


def run_notebook(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def machine():
    return (f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"torch {torch.__version__} (the notebooks run torch on one thread: rnnlib.seed_everything), "
            f"CUDA {'yes' if torch.cuda.is_available() else 'no'}")


def main(args):
    paths = [Path(a).resolve() for a in args] or sorted((ROOT / "chapters").glob("*.ipynb"))
    rows, failed = [], False
    for path in paths:
        try:
            seconds = run_notebook(path)
            status = "ok" if seconds < BUDGET_S else f"over {BUDGET_S} s"
        except Exception as err:  # report every notebook, then fail
            seconds, status, failed = float("nan"), f"error: {type(err).__name__}", True
        rows.append((path.name, seconds, status))
        print(f"{path.name:32s} {seconds:7.1f} s  {status}", flush=True)
    total = sum(s for _, s, _ in rows if s == s)
    lines = [f"# Book execution time", "", f"Machine: {machine()}", "",
             "Command: `" + " ".join(["python benchmarks/book_time.py", *args]) + "`",
             "", "| notebook | seconds | status |", "|---|---:|---|"]
    lines += [f"| {name} | {s:.1f} | {st} |" for name, s, st in rows]
    lines += [f"| **total** | {total:.1f} | {'ok' if total < 600 else 'over 600 s'} |", ""]
    (ROOT / "benchmarks" / "book_time.md").write_text("\n".join(lines))
    print(f"{'total':32s} {total:7.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
