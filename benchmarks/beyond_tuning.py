"""Chapter 15's side-by-side tuned both models the same way, on validation data.

    python benchmarks/beyond_tuning.py     # about 5 minutes on 2 cores; writes benchmarks/beyond_tuning.md

The length experiment (rnnlib.seq2seq.LENGTH_EXPERIMENT: reversal, 400 Adam steps of 64
fresh pairs) for the attention GRU of chapter 08 and chapter 15's Transformer of matched
size (rnnlib.seq2seq.transformer.LENGTH_TRANSFORMER), over a grid of learning rates (and,
for the Transformer, with and without Vaswani et al.'s sqrt(d_model) embedding scale).
Every run is scored on a validation set drawn like the test set but from another seed
(test_seed=7; the chapter's test set uses LENGTH_EXPERIMENT's test_seed), with a training
seed (1) the chapter does not use. The chapter uses the setting with the best mean token
accuracy over the validation set.
"""
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from rnnlib import seq2seq
from rnnlib.seq2seq.transformer import length_transformer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "beyond_tuning.md"
VALIDATION_SEED, TRAIN_SEED, LRS = 7, 1, (3e-3, 1e-2, 3e-2)


def main():
    torch.set_num_threads(1)
    assert VALIDATION_SEED != seq2seq.LENGTH_EXPERIMENT["test_seed"], "validation must not be the test set"
    rows = []
    candidates = [("attention GRU (additive)", None, {})]
    candidates += [(f"Transformer, scale_embedding={s}", "transformer", {"scale_embedding": s})
                   for s in (False, True)]
    for name, kind, options in candidates:
        for lr in LRS:
            build = None if kind is None else (lambda V, seed, o=options: length_transformer(V, seed, **o))
            run = seq2seq.run_length_experiment("additive", seed=TRAIN_SEED, build=build, lr=lr,
                                                test_seed=VALIDATION_SEED)
            rows.append((name, lr, float(np.mean(run["token"])), run["token"][-1], run["exact"][-1]))
            print(rows[-1], flush=True)
    lines = ["# Chapter 15: tuning the attention GRU and the Transformer on validation data", "",
             f"Command: `python benchmarks/beyond_tuning.py`. Machine: {platform.platform()}, torch "
             f"{torch.__version__}, one thread. Reversal (seq2seq.LENGTH_EXPERIMENT, 400 steps), "
             f"training seed {TRAIN_SEED}, validation set test_seed={VALIDATION_SEED} (the chapter's test set "
             f"is test_seed={seq2seq.LENGTH_EXPERIMENT['test_seed']}).", "",
             "| model | lr | mean token accuracy | token acc. 12-15 | exact 12-15 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {n} | {lr:g} | {m:.3f} | {t:.3f} | {e:.3f} |" for n, lr, m, t, e in rows]
    lines += ["", "Best per model (mean token accuracy):", ""]
    for name in dict.fromkeys(r[0] for r in rows):
        best = max((r for r in rows if r[0] == name), key=lambda r: r[2])
        lines.append(f"- {name}: lr {best[1]:g} ({best[2]:.3f})")
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    sys.exit(main())
