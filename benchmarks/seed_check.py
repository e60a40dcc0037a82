"""Re-run chapter notebooks with other seeds: every claim and assert must still hold.

    python benchmarks/seed_check.py                       # every chapter, seeds 1 2 3
    python benchmarks/seed_check.py chapters/01_vanilla_rnn.ipynb --seeds 4 5 6 --config avx2

A chapter seeds everything once, with `rnnlib.seed_everything(rnnlib.book_seed(0))` in its
first code cell; `book_seed` returns the environment variable RNNLIB_SEED when it is set.
This script executes each notebook (the file on disk is not modified) in a child process
and kernel whose environment sets RNNLIB_SEED (the ledger's own runner, without recording), so the data, the initial weights and the training batches all
change, and reports for each seed whether every cell, and so every `rnnlib.claim` and
`assert`, passed. A claim that holds for seed 0 only is an accident, not a result. The
claims ledger (benchmarks/claims.py) does the same over more seeds and records the values.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from claims import CONFIGS, environment, execute_in_child  # noqa: E402

SEED_CALL = re.compile(r"seed_everything\(")
BOOK_SEED = re.compile(r"rnnlib\.book_seed\(")


def check_seeded_once(nb):
    """Raise ValueError unless the chapter calls seed_everything exactly once, in a cell that takes
    its seed from rnnlib.book_seed (`seed_everything(rnnlib.book_seed(0))`, or `SEED =
    rnnlib.book_seed(0)` then `seed_everything(SEED)`), so RNNLIB_SEED reaches every random draw."""
    calls = [c for c in nb.cells if c.cell_type == "code" for _ in SEED_CALL.finditer(c.source)]
    if len(calls) != 1 or not BOOK_SEED.search(calls[0].source):
        raise ValueError(f"expected exactly one seed_everything call, seeded from rnnlib.book_seed, found "
                         f"{len(calls)} call(s){'' if not calls else ', the first without book_seed' if not BOOK_SEED.search(calls[0].source) else ''}")
    return nb


def run(path, seed, config="native"):
    """Execute the notebook with RNNLIB_SEED=seed under a numeric configuration: ("ok" or "FAILED: ...", seconds)."""
    check_seeded_once(nbformat.read(path, as_version=4))
    error, seconds = execute_in_child(path, environment(seed, config))
    return ("ok" if error is None else f"FAILED: {error[:160]}"), seconds


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="native")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters").glob("*.ipynb"))
    failed = False
    for path in paths:
        for seed in args.seeds:
            status, seconds = run(path, seed, args.config)
            failed |= status != "ok"
            print(f"{path.name:32s} seed {seed:3d} {args.config:7s} {seconds:6.1f} s  {status}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
