"""Scoring decoded sequences (chapters 07-08): exact match, token accuracy, and both by
input length.
"""
import numpy as np

def exact_match(predictions, targets):
    """The fraction of predictions (id or token lists) equal to their target in full."""
    if len(predictions) != len(targets):
        raise ValueError(f"expected as many predictions as targets, got {len(predictions)} and {len(targets)}")
    return float(np.mean([list(p) == list(t) for p, t in zip(predictions, targets)]))


def token_accuracy(predictions, targets):
    """The fraction of target positions i where prediction[i] == target[i] (a missing
    position counts as wrong; extra predicted tokens are not counted)."""
    if len(predictions) != len(targets):
        raise ValueError(f"expected as many predictions as targets, got {len(predictions)} and {len(targets)}")
    hits = sum(sum(a == b for a, b in zip(p, t)) for p, t in zip(predictions, targets))
    return hits / sum(len(t) for t in targets)


def accuracy_by_length(predictions, targets, lengths, buckets):
    """Exact match and token accuracy per length bucket.

    lengths: the input length of each example; buckets: a list of (low, high),
    inclusive. Returns {"buckets": [...], "exact": [...], "token": [...], "count": [...]}.
    """
    lengths = np.asarray(lengths)
    result = {"buckets": list(buckets), "exact": [], "token": [], "count": []}
    for lo, hi in buckets:
        idx = np.flatnonzero((lengths >= lo) & (lengths <= hi))
        if idx.size == 0:
            raise ValueError(f"bucket ({lo}, {hi}) holds no example")
        p, t = [predictions[i] for i in idx], [targets[i] for i in idx]
        result["exact"].append(exact_match(p, t))
        result["token"].append(token_accuracy(p, t))
        result["count"].append(int(idx.size))
    return result
