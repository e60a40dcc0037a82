"""Claims: a number the prose states, checked where it is computed and recorded for the ledger.

A trained or sampled number changes with the seed and with the machine's float kernels
(an AVX2 laptop sums in another order than an AVX-512 server, and training amplifies the
last bit). So the book never asserts one run's digits; it asserts a property, a bound
that every seed and machine we checked clears with a margin:

    rnnlib.claim("LSTM test MSE on the adding problem", mse, upper=0.01)

`claim` is the notebook's assert and the ledger's probe in one line: it raises an
AssertionError naming the claim, the value and the bound when the bound fails, and, when
the environment variable RNNLIB_CLAIMS_LOG names a file, appends the value and its bounds
to that file as one JSON line. `benchmarks/claims.py` runs every chapter over several
seeds (RNNLIB_SEED, read by `book_seed`) and numeric configurations and collects those
lines into `benchmarks/claims.md`.
"""
import json
import math
import os

SEED_VARIABLE = "RNNLIB_SEED"
LOG_VARIABLE = "RNNLIB_CLAIMS_LOG"
# Set by the ledger so that one run records every claim even after one fails.
RECORD_ONLY_VARIABLE = "RNNLIB_CLAIMS_RECORD_ONLY"


def book_seed(default=0):
    """The notebook's one seed: `default`, unless the environment variable RNNLIB_SEED is set.

    Every chapter calls `rnnlib.seed_everything(rnnlib.book_seed(0))` once at the top, so
    the committed outputs come from seed 0 while the claims ledger and CI re-run the same
    notebook, unedited, with other seeds.
    """
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return default
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {text!r}") from None
    if seed < 0:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {text!r}")
    if seed != default:
        print(f"{SEED_VARIABLE}={seed}: this run uses seed {seed}, not the chapter's {default}; "
              "numbers in the prose come from seed 0")
    return seed


def _fmt(x):
    return f"{x:.4g}"


def claim(name, value, lower=None, upper=None):
    """Check lower < value < upper (either bound may be None) and record it for the ledger.

    name: what the number is, unique within its chapter ("tanh RNN test MSE, adding T=50").
    value: a real number (a Python or numpy float, an int, or a one-element tensor/array).
    Returns the value as a float, so a cell can write `mse = claim("...", mse, upper=0.01)`.

    Bounds are strict. A NaN or infinite value fails every claim: a diverged model must not
    pass by accident. Raises AssertionError with the claim, the value and the violated bound.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"claim needs a non-empty name, got {name!r}")
    if lower is None and upper is None:
        raise ValueError(f"claim {name!r}: give a lower bound, an upper bound or both")
    if lower is not None and upper is not None and not lower < upper:
        raise ValueError(f"claim {name!r}: lower bound {lower} is not below upper bound {upper}")
    try:
        value = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"claim {name!r}: the value must be one real number, got {value!r}") from err

    problem = None
    if not math.isfinite(value):
        problem = f"value is {value}"
    elif lower is not None and not value > lower:
        problem = f"{_fmt(value)} is not above its lower bound {_fmt(lower)}"
    elif upper is not None and not value < upper:
        problem = f"{_fmt(value)} is not below its upper bound {_fmt(upper)}"

    log = os.environ.get(LOG_VARIABLE)
    if log:
        record = {"name": name, "value": value, "lower": lower, "upper": upper, "ok": problem is None}
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if problem and not os.environ.get(RECORD_ONLY_VARIABLE):
        raise AssertionError(f"claim failed: {name}: {problem}")
    return value
