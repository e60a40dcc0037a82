"""Chapter 15's speed questions, measured side by side: the Transformer against the attention
GRU, and minGRU's log-space scan against its loop and against torch.nn.GRU.

    python benchmarks/beyond_speed.py            # about 2-4 minutes on 2 busy cores
    python benchmarks/beyond_speed.py --quick    # fewer rounds and lengths

What it measures (float32, one thread, forward plus backward, on the CPU; on CUDA as well when
a GPU is present):
1. one training step of chapter 15's two reversal models (seq2seq.LENGTH_EXPERIMENT's batch of
   64, the attention GRU of chapter 08 and the Transformer of matched size), as a ratio;
2. one layer over growing T (batch 8, width 32): a Transformer encoder layer (4 heads),
   torch.nn.GRU, minGRU run as the log-space scan and as a loop, each as a ratio to nn.GRU in
   the same round; with the numbers each stores per example, exact: 4 T^2 attention weights
   against T H recurrent states;
3. the scan's speed-up over the loop for minGRU alone, over T.

Times are only compared within one run: the candidates take turns (benchmarks/rnn_speed.py's
`race`), and a ratio is the median over rounds of the two times of one round. Writes
benchmarks/beyond_speed.md with the machine, its load and the command.
"""
import argparse
import importlib.util
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

from rnnlib import scan, seq2seq
from rnnlib.seq2seq import transformer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "beyond_speed.md"
_spec = importlib.util.spec_from_file_location("rnn_speed", ROOT / "benchmarks" / "rnn_speed.py")
rnn_speed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rnn_speed)


def fwd_bwd(layer, x):
    def run():
        out = layer(x)
        (out[0] if isinstance(out, tuple) else out).sum().backward()
        if x.is_cuda:
            torch.cuda.synchronize()
    return run


def training_steps(device, rounds):
    cfg = seq2seq.LENGTH_EXPERIMENT
    vocab = seq2seq.length_experiment_vocab()
    V, rng = len(vocab), np.random.default_rng(0)
    pairs = seq2seq.reversal_pairs(cfg["batch"], cfg["min_len"], cfg["max_len"], cfg["n_symbols"], rng)
    batch = seq2seq.make_batch(seq2seq.encode_pairs(pairs, vocab, vocab), device)
    loss_fn = seq2seq.teacher_forcing_loss()
    models = {"attention GRU": seq2seq.make_model(V, V, cfg["embed"], cfg["hidden"], "gru", "additive").to(device),
              "Transformer": transformer.length_transformer(V, 0).to(device)}

    def step(model):
        def run():
            model.zero_grad()
            loss_fn(model, batch).backward()
            if device.type == "cuda":
                torch.cuda.synchronize()
        return run
    times = rnn_speed.race({name: step(m) for name, m in models.items()}, rounds)
    return times


def layers_over_T(device, Ts, rounds):
    rows = []
    enc = transformer._Block(32, 4, 64, cross=False).to(device)
    gru, mingru = torch.nn.GRU(32, 32).to(device), scan.MinRNN(32, 32).to(device)
    for T in Ts:
        x = torch.randn(T, 8, 32, device=device)
        times = rnn_speed.race({
            "nn.GRU": fwd_bwd(gru, x),
            "Transformer layer": fwd_bwd(lambda x: enc(x.transpose(0, 1), None)[0], x),
            "minGRU scan": fwd_bwd(mingru, x),
            "minGRU loop": fwd_bwd(lambda x: mingru(x, mode="loop"), x)}, rounds)
        rows.append((T, rnn_speed.ms(times["nn.GRU"]),
                     *(rnn_speed.ratio(times, k, "nn.GRU") for k in ("Transformer layer", "minGRU scan", "minGRU loop")),
                     rnn_speed.ratio(times, "minGRU loop", "minGRU scan"), 4 * T * T, 32 * T))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rounds = 3 if args.quick else 7
    Ts = [64, 256, 1024] if args.quick else [64, 128, 256, 512, 1024, 2048]
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    lines = ["# Chapter 15: speed, side by side", "",
             f"Command: `python benchmarks/beyond_speed.py{' --quick' if args.quick else ''}`. Machine: "
             f"{platform.platform()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start, "
             f"torch {torch.__version__}, one CPU thread, float32, {rounds} rounds per measurement.", ""]
    for device in devices:
        steps = training_steps(device, rounds)
        lines += [f"## {device.type.upper()}", "",
                  "One training step of the reversal models (batch 64, forward and backward): attention GRU "
                  f"{rnn_speed.ms(steps['attention GRU']):.1f} ms, Transformer {rnn_speed.ms(steps['Transformer']):.1f} ms "
                  f"(medians); Transformer / GRU in the same round: "
                  f"{rnn_speed.ratio(steps, 'Transformer', 'attention GRU'):.2f}.", "",
                  "One layer, batch 8, width 32, forward and backward; times relative to nn.GRU in the same round; "
                  "memory: numbers stored per example (exact).", "",
                  "| T | nn.GRU ms | Transformer layer | minGRU scan | minGRU loop | scan speed-up over loop | "
                  "attention weights (4 heads) | RNN states (H = 32) |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for T, gru_ms, tf, sc, lo, speedup, att, states in layers_over_T(device, Ts, rounds):
            lines.append(f"| {T} | {gru_ms:.1f} | {tf:.2f} | {sc:.2f} | {lo:.2f} | {speedup:.2f} | {att:,d} | {states:,d} |")
        lines.append("")
    lines += [f"Load average at the end: {os.getloadavg()[0]:.1f}.", ""]
    OUT.write_text("\n".join(lines))
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
