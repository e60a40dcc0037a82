"""How fast are rnnlib's from-scratch layers? Measured against torch.nn, side by side.

    python benchmarks/rnn_speed.py             # full run, about 2-3 minutes on 2 cores
    python benchmarks/rnn_speed.py --quick     # fewer repeats, smaller grid (under a minute)
    python benchmarks/rnn_speed.py --threads 1 2 --no-write     # also two threads; print only
    python benchmarks/rnn_speed.py --baseline /tmp/old/rnnlib  # time an older rnnlib beside this one

What it measures (float32 unless said otherwise, forward plus backward, the same weights
in both implementations, checked to give the same output before any timing):
1. rnnlib.RNN / LSTM / GRU against torch.nn.RNN / LSTM / GRU at the book's reference size
   T=100, B=32, D=32, H=128, for each thread count asked for (default 1, what the book
   uses: rnnlib.seed_everything sets it), and beside torch.nn with its fused oneDNN
   kernels turned off;
2. the same ratios over a small grid of sequence lengths T and hidden sizes H (one thread);
3. the numpy float64 references (rnnlib.numpy_rnn / numpy_lstm / numpy_gru, forward and
   hand-written backward) against torch.nn in float64;
4. the arithmetic rate each layer reaches, in GFLOP/s, against plain matrix products
   with the same arithmetic: three large ones (the ceiling: what the hardware does with
   products as large as a whole sequence), and 3T of one time step's size (what a loop
   over time has to multiply).

The machine is shared and noisy (the same run can take 3x longer a minute later), so
times are only compared within one run: the candidates take turns, one call each per
round, and a ratio is the median over rounds of (rnnlib time / torch.nn time) in the same
round. Absolute times are medians too and are only a rough guide.

Writes benchmarks/RESULTS.md (the tables, the machine, its load average and the command),
keeping any text below the line "## Notes" of the existing file.
"""
import argparse
import contextlib
import importlib.util
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

# numpy's BLAS (OpenBLAS) runs its own threads; give it one, as torch has in the book, so
# that section 3 compares one core with one core. It must be set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib import numpy_gru, numpy_lstm, numpy_rnn  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
REFERENCE = dict(T=100, B=32, D=32, H=128)


# --- timing ------------------------------------------------------------------------------

def race(candidates, rounds, warmup=2):
    """Time each candidate (a dict name -> callable) `rounds` times, taking turns.

    Returns name -> list of seconds, one entry per round, so that entry k of every list
    was measured in the same round, under the same machine load."""
    for f in candidates.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, f in candidates.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return times


def ratio(times, name, baseline):
    """Median over rounds of times[name] / times[baseline] (the same round's pair)."""
    return statistics.median(a / b for a, b in zip(times[name], times[baseline]))


def ms(seconds):
    return 1e3 * statistics.median(seconds)


def rounds_for(seconds_per_round, budget, least=5, most=40):
    """How many rounds fit in `budget` seconds, between `least` and `most`."""
    return int(min(most, max(least, budget / max(seconds_per_round, 1e-6))))


# --- the layers --------------------------------------------------------------------------

def layer_pair(kind, D, H, dtype=torch.float32, library=rnnlib):
    """torch.nn's layer and rnnlib's (or `library`'s), with the same weights."""
    reference = getattr(nn, kind)(D, H).to(dtype)
    ours = getattr(library.layers, kind)(D, H).to(dtype)
    ours.load_state_dict(reference.state_dict())
    return reference, ours


def forward_backward(layer, x, dout, onednn=True):
    """One training step's worth of work: output, then every gradient (x, weights).

    onednn=False turns off torch's oneDNN kernels, which fuse a whole LSTM layer on the
    CPU; torch.nn.LSTM then runs its C++ loop over time with one aten operation per
    piece of the equations, the same operations rnnlib's Python loop calls."""
    def run():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        with torch.backends.mkldnn.flags(enabled=False) if not onednn else contextlib.nullcontext():
            out, _ = layer(x)
            out.backward(dout)
    return run


def compare_layers(kind, T, B, D, H, budget, baseline=None, unfused=True):
    """rnnlib against torch.nn for one kind and size. Returns (medians in ms, ratios to
    torch.nn), dicts keyed "rnnlib", "torch.nn", "torch.nn, no oneDNN" (if unfused) and
    "baseline" (if a baseline library is given)."""
    reference, ours = layer_pair(kind, D, H)
    x = torch.randn(T, B, D, requires_grad=True)
    dout = torch.randn(T, B, H)
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], reference(x)[0], rtol=1e-4, atol=1e-5)
    candidates = {"rnnlib": forward_backward(ours, x, dout), "torch.nn": forward_backward(reference, x, dout)}
    if unfused:
        candidates["torch.nn, no oneDNN"] = forward_backward(reference, x, dout, onednn=False)
    if baseline is not None:
        candidates["baseline"] = forward_backward(layer_pair(kind, D, H, library=baseline)[1], x, dout)
    start = time.perf_counter()
    for f in candidates.values():
        f()
    times = race(candidates, rounds_for(time.perf_counter() - start, budget))
    return ({name: ms(t) for name, t in times.items()},
            {name: ratio(times, name, "torch.nn") for name in times})


def load_baseline(path):
    """Import another copy of the rnnlib package (a folder, e.g. an older commit's
    rnnlib/) under the name rnnlib_baseline, to time it beside the current one."""
    path = Path(path).resolve()
    spec = importlib.util.spec_from_file_location("rnnlib_baseline", path / "__init__.py",
                                                  submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnnlib_baseline"] = module
    spec.loader.exec_module(module)
    return module


# --- numpy float64 against torch float64 -------------------------------------------------

NUMPY = {
    "RNN": (numpy_rnn.params_from_torch,
            lambda x, h0, p: numpy_rnn.rnn_forward(x, h0, p),
            lambda dhs, out: numpy_rnn.rnn_backward(dhs, out[1])),
    "LSTM": (numpy_lstm.params_from_torch,
             lambda x, h0, p: numpy_lstm.lstm_forward(x, h0, h0, p),
             lambda dhs, out: numpy_lstm.lstm_backward(dhs, out[2])),
    "GRU": (numpy_gru.params_from_torch,
            lambda x, h0, p: numpy_gru.gru_forward(x, h0, p),
            lambda dhs, out: numpy_gru.gru_backward(dhs, out[1])),
}


def compare_numpy(kind, T, B, D, H, budget):
    """numpy float64 forward + hand-written backward against torch.nn in float64."""
    reference, _ = layer_pair(kind, D, H, torch.float64)
    from_torch, forward, backward = NUMPY[kind]
    params = from_torch(reference)
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    dout = torch.randn(T, B, H, dtype=torch.float64)
    x_np, dout_np, h0 = x.detach().numpy(), dout.numpy(), np.zeros((B, H))
    np.testing.assert_allclose(forward(x_np, h0, params)[0], reference(x)[0].detach().numpy(), atol=1e-10)
    candidates = {"numpy": lambda: backward(dout_np, forward(x_np, h0, params)),
                  "torch.nn": forward_backward(reference, x, dout)}
    times = race(candidates, rounds_for(0.2, budget))
    return ms(times["numpy"]), ms(times["torch.nn"]), ratio(times, "numpy", "torch.nn")


# --- arithmetic rate ---------------------------------------------------------------------

def layer_flops(kind, T, B, D, H):
    """Multiply-add operations (x2) of one forward plus backward pass, matrix products only.

    Forward: x W_ih^T and h W_hh^T at every step, 2 T B G H (D + H). Backward: two products
    of the same size (to the inputs, and to the weights), so three times the forward."""
    return 3 * 2 * T * B * GATES[kind] * H * (D + H)


def arithmetic_rates(kind, T, B, D, H, budget):
    """GFLOP/s of rnnlib's and torch.nn's forward + backward, raced against two sets of
    plain matrix products with exactly the same arithmetic: three (T*B, D+H) @ (D+H, GH)
    products (the ceiling: all steps at once, as large products run best), and 3T products
    of one step's size, (B, D+H) @ (D+H, GH) (what a loop over time has to multiply).
    Returns name -> GFLOP/s (median) and name -> share of the ceiling (median over rounds)."""
    reference, ours = layer_pair(kind, D, H)
    x, dout = torch.randn(T, B, D, requires_grad=True), torch.randn(T, B, H)
    G = GATES[kind]
    big, w = torch.randn(T * B, D + H), torch.randn(D + H, G * H)
    out = torch.empty(T * B, G * H)  # written in place: a fresh 6 MB result each time would
    small = list(zip(big.view(T, B, D + H).unbind(0), out.view(T, B, G * H).unbind(0)))  # time page faults

    def big_products():
        for _ in range(3):
            torch.mm(big, w, out=out)

    def step_products():
        for _ in range(3):
            for s, o in small:
                torch.mm(s, w, out=o)
    candidates = {"torch.nn": forward_backward(reference, x, dout), "rnnlib": forward_backward(ours, x, dout),
                  "one large product": big_products, "step-sized products": step_products}
    times = race(candidates, rounds_for(0.1, budget))
    flops = layer_flops(kind, T, B, D, H)
    return ({name: flops / statistics.median(t) / 1e9 for name, t in times.items()},
            {name: 1 / ratio(times, name, "one large product") for name in times})


# --- report ------------------------------------------------------------------------------

def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}; {os.cpu_count()} CPUs; {platform.platform()}; Python {platform.python_version()}; "
            f"torch {torch.__version__}; numpy {np.__version__}")


def load_average():
    try:
        return "{:.2f}, {:.2f}, {:.2f} (1, 5, 15 min)".format(*os.getloadavg())
    except OSError:
        return "unavailable"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller grid")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="torch thread counts for the reference size (default: 1; try 1 2)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another rnnlib package folder (say, an older commit's) to time beside this one")
    args = parser.parse_args(argv)
    baseline = load_baseline(args.baseline) if args.baseline else None
    warnings.filterwarnings("ignore", message=".*TF32.*")  # torch warns when oneDNN flags are set
    budget = 0.6 if args.quick else 2.5           # seconds of timing per comparison
    grid_T = [25, 100] if args.quick else [25, 100, 400]
    grid_H = [64, 256] if args.quick else [64, 128, 256]
    T, B, D, H = (REFERENCE[k] for k in "TBDH")
    command = " ".join(["python benchmarks/rnn_speed.py"] + (sys.argv[1:] if argv is None else list(argv)))
    load_before, started = load_average(), time.perf_counter()
    sections = []

    def emit(title, text):
        print(f"\n## {title}\n\n{text}", flush=True)
        sections.append(f"## {title}\n\n{text}")

    torch.manual_seed(0)
    rows, one_thread = [], {}
    names = ["rnnlib", "torch.nn", "torch.nn, no oneDNN"] + (["baseline"] if baseline else [])
    for threads in args.threads:
        torch.set_num_threads(threads)
        for kind in GATES:
            times, ratios = compare_layers(kind, T, B, D, H, 2 * budget, baseline)  # the headline: more rounds
            if threads == 1:
                one_thread[kind] = times
            rows.append([kind, threads] + [f"{times[n]:.1f}" for n in names] + [f"**{ratios['rnnlib']:.2f}**"]
                        + [f"{ratios[n]:.2f}" for n in names[2:]])
    emit(f"1. rnnlib against torch.nn, forward + backward, T={T}, B={B}, D={D}, H={H}",
         table(["layer", "threads"] + [f"{n} ms" for n in names] + [f"{n} / torch.nn" for n in ["rnnlib"] + names[2:]],
               rows)
         + "\n\n\"no oneDNN\": torch.nn with torch.backends.mkldnn disabled, so that it runs its loop over "
           "time in C++ with the same unfused operations that rnnlib runs from Python (only the LSTM has a "
           "oneDNN kernel; for the RNN and GRU the two are the same code)."
         + (f" \"baseline\": the rnnlib package in `{args.baseline}`." if baseline else ""))

    torch.set_num_threads(1)
    rows = []
    for kind in GATES:
        for t in grid_T:
            row = [kind, t]
            for h in grid_H:
                row.append(f"{compare_layers(kind, t, B, D, h, budget / 2, unfused=False)[1]['rnnlib']:.2f}")
            rows.append(row)
    emit(f"2. Ratio rnnlib / torch.nn over T and H (B={B}, D={D}, one thread)",
         table(["layer", "T"] + [f"H={h}" for h in grid_H], rows))

    rows = []
    for kind in GATES:
        mine, ref, r = compare_numpy(kind, T, B, D, H, budget)
        rows.append([kind, f"{mine:.1f}", f"{ref:.1f}", f"{r:.2f}"])
    emit(f"3. numpy float64 reference against torch.nn float64, forward + backward, T={T}, B={B}, D={D}, H={H}, one thread",
         table(["layer", "numpy ms", "torch.nn ms", "ratio numpy / torch.nn"], rows))

    rows = []
    for kind in GATES:
        rates, shares = arithmetic_rates(kind, T, B, D, H, budget)
        rows.append([kind, f"{layer_flops(kind, T, B, D, H) / 1e9:.2f}"]
                    + [f"{rates[n]:.0f}" for n in ["torch.nn", "rnnlib", "one large product", "step-sized products"]]
                    + [f"{100 * shares[n]:.0f}%" for n in ["torch.nn", "rnnlib", "step-sized products"]])
    emit(f"4. Arithmetic rate, GFLOP/s, forward + backward, T={T}, B={B}, D={D}, H={H}, one thread",
         table(["layer", "GFLOP", "torch.nn", "rnnlib", "ceiling: 3 large products", f"{3 * T} step-sized products",
                "torch.nn % of ceiling", "rnnlib % of ceiling", "step-sized % of ceiling"], rows)
         + f"\n\nGFLOP counts only the matrix products (3 x 2 T B G H (D + H); G = 1, 4, 3 gates). The "
           f"ceiling does the same arithmetic as three ({T * B}, {D + H}) @ ({D + H}, G H) products; "
           f"\"step-sized\" as {3 * T} products of one step's size, ({B}, {D + H}) @ ({D + H}, G H). "
           "Shares of the ceiling are medians over rounds of (ceiling time / time).")

    header = "\n".join([
        "# rnnlib speed against torch.nn",
        "",
        "Written by `benchmarks/rnn_speed.py`; do not edit above the Notes section by hand.",
        "",
        f"- command: `{command}` (from the repository root)",
        f"- machine: {machine()}",
        f"- load average before: {load_before}; after: {load_average()}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}; run time {time.perf_counter() - started:.0f} s",
        "- ratios are medians over rounds of (rnnlib time / torch.nn time) measured in the same",
        "  round; below 1 means rnnlib is faster. Millisecond figures are medians and depend on",
        "  the machine's load at the time; only the ratios compare.",
    ])
    print(f"\n{header}")
    if not args.no_write:
        notes = ""
        if RESULTS.exists() and "\n## Notes" in RESULTS.read_text():
            notes = "## Notes" + RESULTS.read_text().split("\n## Notes", 1)[1]
        RESULTS.write_text(header + "\n\n" + "\n\n".join(sections) + "\n" + ("\n" + notes if notes else ""))
        print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
