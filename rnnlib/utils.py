"""Seeding, device choice, showing source code, and input checks shared by rnnlib."""
import inspect
import os
import random

import numpy as np
import torch


def seed_everything(seed, threads=1):
    """Seed Python, numpy and torch (CPU and CUDA) and return a numpy Generator.

    Every notebook calls this once at the top, so a re-run gives the same numbers on
    the same machine. Returns `np.random.default_rng(seed)` for code that prefers an
    explicit generator (all rnnlib data functions take one).

    threads: the number of CPU threads torch may use (None leaves torch's choice).
    The default, one, is deliberate: the book's models are small, and on a 2-core
    laptop that is doing anything else a second thread makes small matmuls several
    times slower, not faster; and a fixed thread count keeps float sums in the same
    order, so the numbers repeat whatever the machine's core count.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    # cuBLAS needs this workspace setting to be deterministic on a GPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return np.random.default_rng(seed)


def default_device():
    """The device the book trains on: CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def in_jupyter():
    """Whether this runs in a Jupyter kernel (JupyterLab, nbclient), not a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(obj):
    """Render the source code of a function, class or module.

    In Jupyter the code is shown with syntax highlighting; elsewhere it is printed as
    plain text. The chapters use it to put rnnlib's code next to the math it implements.
    Returns the source as a string.
    """
    try:
        source = inspect.getsource(obj)
    except TypeError as err:
        raise TypeError(f"show() needs a function, class or module, got {type(obj).__name__}") from err
    if in_jupyter():
        from IPython.display import Code, display
        display(Code(source, language="python"))
    else:
        print(source)
    return source


def check_shape(name, array, expected):
    """Raise ValueError unless `array.shape` matches `expected`.

    `expected` is a tuple whose entries are ints or None (any size). The message names
    the expected and the received shape, e.g. "x: expected shape (T, 2) = (?, 2), got (5, 3)".
    """
    shape = tuple(array.shape)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        want = "(" + ", ".join("?" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {shape}")


def check_dtype(name, array, kinds):
    """Raise ValueError unless a numpy array's dtype kind is in `kinds` ('f' float, 'i' int, ...)."""
    if np.asarray(array).dtype.kind not in kinds:
        names = {"f": "float", "i": "signed int", "u": "unsigned int", "b": "bool"}
        want = " or ".join(names.get(k, k) for k in kinds)
        raise ValueError(f"{name}: expected a {want} array, got dtype {np.asarray(array).dtype}")


def check_int(name, value, minimum=1):
    """Raise ValueError unless `value` is an int >= minimum (bool is not an int here)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


def check_rng(rng):
    # A Generator, not a seed or np.random itself: the caller owns the random stream,
    # so two calls with one generator give different data and a re-run gives the same.
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng: expected a numpy.random.Generator (e.g. rnnlib.seed_everything(0) "
                         f"or np.random.default_rng(0)), got {type(rng).__name__}")
    return rng
