"""The length experiment chapters 07 (no attention) and 08 (attention) share: the same
model trained on the same task and budget, its accuracy reported against input length.
"""
import numpy as np

from ..text import WordVocab
from ..train import fit
from .decoding import predict
from .metrics import accuracy_by_length
from .models import make_model
from .tasks import reversal_pairs
from .training import encode_pairs, make_batch, teacher_forcing_loss

# Chapters 07 (no attention) and 08 (attention) train the same model on the same task
# and budget and compare accuracy against input length. Reversal of random letter
# strings, lengths min_len..max_len; a GRU encoder-decoder; fresh batches every step.
LENGTH_EXPERIMENT = dict(min_len=3, max_len=15, n_symbols=10, embed=16, hidden=32, cell="gru",
                         batch=64, steps=400, lr=1e-2, clip_norm=1.0,
                         buckets=[(3, 5), (6, 8), (9, 11), (12, 15)],
                         test_per_length=40, test_seed=2024)


def length_experiment_vocab(n_symbols=None):
    """The character vocabulary of the reversal task (the same for source and target)."""
    n_symbols = LENGTH_EXPERIMENT["n_symbols"] if n_symbols is None else n_symbols
    return WordVocab(list("abcdefghijklmnopqrstuvwxyz"[:n_symbols]))


def length_test_set(cfg=None):
    """The fixed test set: test_per_length reversal pairs for every length min..max_len."""
    cfg = LENGTH_EXPERIMENT if cfg is None else cfg
    rng = np.random.default_rng(cfg["test_seed"])
    return [p for L in range(cfg["min_len"], cfg["max_len"] + 1)
            for p in reversal_pairs(cfg["test_per_length"], L, L, cfg["n_symbols"], rng)]


def run_length_experiment(attention=None, seed=0, steps=None, progress=False, device="cpu", build=None,
                          **overrides):
    """Train a reversal model with LENGTH_EXPERIMENT's settings and score it by length.

    attention: None, "additive", "dot" or "general" (see make_model). seed: the model's
    initial weights and the training batches. steps and overrides: other budgets or
    settings, LENGTH_EXPERIMENT's by default. build: None (make_model with the settings'
    sizes and `attention`), or build(vocab_size, seed) -> another model with Seq2Seq's
    interface (chapter 15's Transformer) trained and scored the same way.
    Returns a dict: "buckets", "exact", "token", "count" (accuracy_by_length on the fixed
    test set), "history" (fit's History), "model", "vocab", "test" (the test pairs),
    "predictions" (decoded test outputs as str).
    """
    unknown = set(overrides) - set(LENGTH_EXPERIMENT)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from {sorted(LENGTH_EXPERIMENT)}")
    cfg = {**LENGTH_EXPERIMENT, **overrides}
    steps = cfg["steps"] if steps is None else steps
    vocab = length_experiment_vocab(cfg["n_symbols"])
    if build is None:
        model = make_model(len(vocab), len(vocab), cfg["embed"], cfg["hidden"], cfg["cell"], attention, seed=seed)
    else:
        model = build(len(vocab), seed)
    model = model.to(device)
    rng = np.random.default_rng(seed)

    def next_batch():
        pairs = reversal_pairs(cfg["batch"], cfg["min_len"], cfg["max_len"], cfg["n_symbols"], rng)
        return make_batch(encode_pairs(pairs, vocab, vocab), device)

    history = fit(model, teacher_forcing_loss(), next_batch, steps=steps, lr=cfg["lr"],
                  clip_norm=cfg["clip_norm"], progress=progress, desc=f"reversal ({type(model).__name__ if build else attention or 'no attention'})")
    test = length_test_set(cfg)
    ids = encode_pairs(test, vocab, vocab)
    preds = predict(model, [s for s, _ in ids], max_len=cfg["max_len"] + 5, device=device)
    result = accuracy_by_length(preds, [t for _, t in ids], [len(s) for s, _ in test], cfg["buckets"])
    result.update(history=history, model=model, vocab=vocab, test=test,
                  predictions=["".join(vocab.decode(p)) for p in preds])
    return result
