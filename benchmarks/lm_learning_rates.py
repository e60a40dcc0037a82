"""Chapter 05's learning rates: each character language model at a grid of Adam learning rates.

    python benchmarks/lm_learning_rates.py              # writes benchmarks/lm_learning_rates.md
    python benchmarks/lm_learning_rates.py --seeds 0 1 --lrs 3e-3 5e-3 1e-2

Chapter 05 trains a vanilla RNN, a GRU and an LSTM as character language models on
Shakespeare (rnnlib.apps.language_model.CharLM: 128 units, a 32-dimensional embedding, truncated
BPTT over chunks of 32 characters in 32 streams, clipping at norm 1, 600 Adam steps) and
gives each model its own learning rate, since a shared one would favour one model over
another. This script is where those rates come from: it trains every model at every rate
of the grid, with the chapter's data, sizes and budget, and reports the held-out bits per
character after 600 steps (the chapter's section 4.4 set-up; the weights are initialised
from the seed, the data are read in the chapter's fixed order). The best rate of each
model is marked.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

import rnnlib
from rnnlib import data
from rnnlib.apps import language_model as lm

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "benchmarks" / "lm_learning_rates.md"
# the chapter's settings (chapters/05_gru.ipynb, sections 4.3-4.4)
HIDDEN, EMBED, BATCH, SEQ_LEN, STEPS = 128, 32, 32, 32, 600
CHAPTER_LR = {"rnn": 5e-3, "gru": 5e-3, "lstm": 1e-2}
NAMES = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--lrs", type=float, nargs="+", default=[3e-3, 5e-3, 1e-2, 2e-2])
    parser.add_argument("--cells", nargs="+", default=["rnn", "gru", "lstm"], choices=sorted(NAMES))
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    return parser.parse_args(argv)


def heldout_bpc(cell, lr, seed, vocab, train_chunks, heldout_chunks):
    """Held-out bits per character of one CharLM after STEPS steps at learning rate lr."""
    rnnlib.seed_everything(seed)
    model = lm.CharLM(len(vocab), HIDDEN, cell, embed=EMBED)
    rnnlib.fit(model, rnnlib.TBPTTLoss(lm.lm_chunk_loss), train_chunks, steps=STEPS, lr=lr,
               clip_norm=1.0, progress=False)
    return lm.bits_per_char(model, heldout_chunks)


def main(argv):
    args = parse_args(argv)
    text = data.load_text("tinyshakespeare.txt")
    vocab = data.CharVocab(text)
    ids = vocab.encode(text)
    split = int(0.9 * len(ids))
    train_chunks = lm.text_chunks(ids[:split], BATCH, SEQ_LEN)
    heldout_chunks = lm.text_chunks(ids[split:], 64, 100)
    start = time.perf_counter()
    results = {}
    for cell in args.cells:
        for lr in args.lrs:
            for seed in args.seeds:
                results[cell, lr, seed] = heldout_bpc(cell, lr, seed, vocab, train_chunks, heldout_chunks)
                print(f"{NAMES[cell]:12s} lr {lr:g} seed {seed}: {results[cell, lr, seed]:.3f} bpc", flush=True)
    minutes = (time.perf_counter() - start) / 60

    lines = ["# Learning rates of chapter 05's character language models", "",
             f"Command: `python benchmarks/lm_learning_rates.py{' ' + ' '.join(argv) if argv else ''}`", "",
             f"Held-out bits per character after {STEPS} Adam steps (CharLM, {HIDDEN} units, embedding "
             f"{EMBED}, chunks of {SEQ_LEN} in {BATCH} streams, clipping at norm 1), "
             f"mean over seeds {', '.join(map(str, args.seeds))}; lower is better, the best rate of each model "
             "in bold; the chapter's rate is marked with *.", "",
             "| model | " + " | ".join(f"lr {lr:g}" for lr in args.lrs) + " |",
             "|---|" + "---:|" * len(args.lrs)]
    best = {}
    for cell in args.cells:
        means = {lr: float(np.mean([results[cell, lr, s] for s in args.seeds])) for lr in args.lrs}
        best[cell] = min(means, key=means.get)
        cells = []
        for lr in args.lrs:
            text_ = f"{means[lr]:.3f}" + ("*" if lr == CHAPTER_LR[cell] else "")
            cells.append(f"**{text_}**" if lr == best[cell] else text_)
        lines.append(f"| {NAMES[cell]} | " + " | ".join(cells) + " |")
    lines += ["", f"Run time: {minutes:.1f} min ({rnnlib.__name__} on one thread, "
              f"torch {__import__('torch').__version__})."]
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_write:
        REPORT.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
