"""The Hopfield network (chapter 15; Hopfield 1982), the recurrent network the history of
RNNs starts with, and its modern continuous form (Ramsauer et al. 2020), whose update is
softmax attention.

Binary states s in {-1, +1}^N, patterns (P, N) in {-1, +1}, float64 numpy throughout.
"""
import numpy as np

from .utils import check_rng


def _check_patterns(patterns):
    patterns = np.asarray(patterns, dtype=np.float64)
    if patterns.ndim != 2 or not np.all(np.abs(patterns) == 1):
        raise ValueError(f"patterns: expected a (P, N) array of -1/+1, got shape {patterns.shape}")
    return patterns


def hebbian_weights(patterns):
    """W = (1/N) sum_mu xi_mu xi_mu^T with a zero diagonal (Hebb's rule): (N, N), symmetric."""
    patterns = _check_patterns(patterns)
    W = patterns.T @ patterns / patterns.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def energy(W, s):
    """E(s) = -1/2 s^T W s, for one state s (N,) or a batch (M, N) -> (M,)."""
    s = np.asarray(s, dtype=np.float64)
    return -0.5 * np.einsum("...i,ij,...j->...", s, W, s)


def async_sweep(W, states, rng, energies=None):
    """One asynchronous sweep: every unit once, in a random order, each set to the sign of
    its input, s_i <- sign(sum_j W_ij s_j) (kept as it is when the input is exactly 0).

    states: (M, N), updated in place, each row its own network (the order is shared).
    energies: a list; if given, each row's energy after every single-unit update is
    appended, (M,) at a time. Returns the number of units that changed.
    """
    check_rng(rng)
    changed = 0
    for i in rng.permutation(W.shape[0]):
        h = states @ W[:, i]
        new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, states[:, i]))
        changed += int(np.sum(new != states[:, i]))
        states[:, i] = new
        if energies is not None:
            energies.append(energy(W, states))
    return changed


def recall(W, probes, rng, max_sweeps=20):
    """Run asynchronous sweeps from probes (M, N) until no unit changes (a fixed point) or
    max_sweeps. Returns (states (M, N), sweeps used)."""
    states = np.array(probes, dtype=np.float64, ndmin=2)
    for sweep in range(1, max_sweeps + 1):
        if async_sweep(W, states, rng) == 0:
            return states, sweep
    return states, max_sweeps


def corrupt(patterns, fraction, rng):
    """Copies of patterns (P, N) with round(fraction * N) units of each flipped at random."""
    patterns = _check_patterns(patterns)
    out = patterns.copy()
    n = int(round(fraction * patterns.shape[1]))
    for row in out:
        row[rng.choice(patterns.shape[1], size=n, replace=False)] *= -1
    return out


def overlap(a, b):
    """m = (1/N) sum_i a_i b_i per row: 1 for the same pattern, -1 for its negative, ~0 unrelated."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).mean(axis=-1)


def capacity_curve(N, loads, rng, trials=2, flip=0.1, max_sweeps=20):
    """Mean overlap after recall against the load alpha = P / N.

    For each load, `trials` times: P = max(1, round(alpha N)) random patterns are stored,
    each is corrupted (a fraction `flip` of its units flipped) and recalled; the overlap of
    the result with the stored pattern is averaged over all patterns and trials.
    Returns an array of mean overlaps, one per load.
    """
    check_rng(rng)
    out = []
    for alpha in loads:
        P = max(1, int(round(alpha * N)))
        m = []
        for _ in range(trials):
            patterns = rng.choice([-1.0, 1.0], size=(P, N))
            states, _ = recall(hebbian_weights(patterns), corrupt(patterns, flip, rng), rng, max_sweeps)
            m.append(overlap(states, patterns))
        out.append(float(np.mean(m)))
    return np.array(out)


def modern_hopfield_update(X, xi, beta):
    """One update of the modern continuous Hopfield network (Ramsauer et al. 2020):

        xi_new = X^T softmax(beta X xi)

    X: (P, d) stored patterns (rows), xi: (M, d) state patterns; returns (M, d). With
    beta = 1/sqrt(d) this is scaled dot-product attention with queries xi and keys = values X.
    """
    X, xi = np.asarray(X, dtype=np.float64), np.atleast_2d(np.asarray(xi, dtype=np.float64))
    if X.ndim != 2 or xi.shape[1] != X.shape[1]:
        raise ValueError(f"X (P, d) and xi (M, d) must share d, got {X.shape} and {xi.shape}")
    scores = beta * xi @ X.T
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)) @ X
