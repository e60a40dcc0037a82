"""Connectionist Temporal Classification (chapter 11) in numpy: training a network to emit a
label sequence when nobody says which frame belongs to which label (Graves, Fernandez, Gomez
& Schmidhuber, ICML 2006).

The forward (alpha) and backward (beta) recursions in log space over the labels with blanks
between them, the loss and its gradient with respect to the logits; best-path (greedy) and
prefix beam-search decoding; edit distance with its substitution, deletion and insertion
counts, the error rate speech papers report, and a bootstrap interval for it.

log_probs: (T, C) float64 log-probabilities per frame; class BLANK = 0 is the blank.
"""
from collections import defaultdict

import numpy as np

BLANK = 0


# ---------------------------------------------------------------- CTC in numpy

def extend_labels(labels):
    """l' = (blank, l1, blank, l2, ..., lU, blank): the 2U + 1 states of the lattice."""
    ext = np.full(2 * len(labels) + 1, BLANK, dtype=np.int64)
    ext[1::2] = labels
    return ext


def _can_skip(ext):
    """State s may be entered from s - 2 (skipping a blank) iff l'_s is a label unlike l'_{s-2}."""
    skip = np.zeros(len(ext), dtype=bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    return skip


def ctc_alpha(log_probs, labels):
    """Forward variables, log alpha_t(s) (T, 2U + 1): log-probability of all prefixes of paths
    that emit frames 0..t and are in state s at t. log_probs (T, C): per-frame log-softmax.

    alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2) if skip]) y_t(l'_s)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    ext = extend_labels(labels)
    T, S = len(log_probs), len(ext)
    skip = _can_skip(ext)
    alpha = np.full((T, S), -np.inf)
    alpha[0, 0] = log_probs[0, ext[0]]
    if S > 1:
        alpha[0, 1] = log_probs[0, ext[1]]
    for t in range(1, T):
        prev = alpha[t - 1]
        one = np.concatenate(([-np.inf], prev[:-1]))
        two = np.where(skip, np.concatenate(([-np.inf, -np.inf], prev[:-2]))[:S], -np.inf)
        alpha[t] = np.logaddexp(np.logaddexp(prev, one), two) + log_probs[t, ext]
    return alpha


def ctc_beta(log_probs, labels):
    """Backward variables, log beta_t(s) (T, 2U + 1): log-probability of emitting frames
    t+1..T-1 and finishing in one of the last two states, given state s at t (the emission at t
    excluded, so alpha_t(s) beta_t(s) sums the paths through state s at time t)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    ext = extend_labels(labels)
    T, S = len(log_probs), len(ext)
    skip = _can_skip(ext)
    beta = np.full((T, S), -np.inf)
    beta[T - 1, S - 1] = 0.0
    if S > 1:
        beta[T - 1, S - 2] = 0.0
    for t in range(T - 2, -1, -1):
        nxt = beta[t + 1] + log_probs[t + 1, ext]          # in state s' at t + 1, emitting there
        one = np.concatenate((nxt[1:], [-np.inf]))
        two = np.concatenate((np.where(skip, nxt, -np.inf)[2:], [-np.inf, -np.inf]))[:S]
        beta[t] = np.logaddexp(np.logaddexp(nxt, one), two)
    return beta


def ctc_loss(log_probs, labels):
    """-log p(labels | x) = -log(alpha_{T-1}(S-1) + alpha_{T-1}(S-2)); inf if too few frames."""
    alpha = ctc_alpha(log_probs, labels)
    return -np.logaddexp.reduce(alpha[-1, -2:])


def ctc_grad(log_probs, labels):
    """Gradient of ctc_loss with respect to the logits a_t(k), when log_probs = log_softmax(a):
    dL/da_t(k) = y_t(k) - gamma_t(k), gamma_t(k) = sum_{s: l'_s = k} alpha_t(s) beta_t(s) / p(l|x),
    the posterior probability that frame t is labelled k. Returns (T, C)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    alpha, beta = ctc_alpha(log_probs, labels), ctc_beta(log_probs, labels)
    log_p = np.logaddexp.reduce(alpha[-1, -2:])
    occupancy = np.exp(alpha + beta - log_p)                 # (T, S), each row sums to 1
    gamma = np.zeros_like(log_probs)
    np.add.at(gamma.T, extend_labels(labels), occupancy.T)   # sum the states that share a class
    return np.exp(log_probs) - gamma


# ---------------------------------------------------------------- decoding

def collapse(path):
    """The CTC map B: merge repeated classes, then drop blanks. (1,1,0,1,2,2) -> (1,1,2)."""
    path = np.asarray(path)
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = path[1:] != path[:-1]
    return tuple(int(k) for k in path[keep] if k != BLANK)


def greedy_decode(log_probs):
    """Best path: the most probable class at each frame, collapsed. log_probs (T, C)."""
    return collapse(np.asarray(log_probs).argmax(1))


def prefix_beam_search(log_probs, beam=8, prune=1e-3):
    """CTC prefix beam search (Graves & Jaitly 2014; Hannun et al. 2014), in log space.

    Each prefix keeps two scores: paths that end in a blank (pb) and in its last label (pnb),
    because a repeated label only extends the prefix after a blank. Classes below `prune`
    probability at a frame are not tried (the frame's best class always is).
    Returns (labels tuple, log p(prefix) summed over the alignments the beam kept)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    beams = {(): (0.0, -np.inf)}
    for lp in log_probs:
        tried = np.flatnonzero((lp > (np.log(prune) if prune > 0 else -np.inf)) | (lp == lp.max()))
        nxt = defaultdict(lambda: [-np.inf, -np.inf])
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            for k in tried:
                if k == BLANK:
                    nxt[prefix][0] = np.logaddexp(nxt[prefix][0], total + lp[k])
                elif prefix and prefix[-1] == k:
                    nxt[prefix][1] = np.logaddexp(nxt[prefix][1], pnb + lp[k])   # repeat: same label
                    nxt[prefix + (k,)][1] = np.logaddexp(nxt[prefix + (k,)][1], pb + lp[k])
                else:
                    nxt[prefix + (int(k),)][1] = np.logaddexp(nxt[prefix + (int(k),)][1], total + lp[k])
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam]
        beams = {p: tuple(s) for p, s in ranked}
    best, (pb, pnb) = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))
    return best, float(np.logaddexp(pb, pnb))


# ---------------------------------------------------------------- evaluation

def edit_ops(ref, hyp):
    """Levenshtein alignment of hyp to ref: dict with "sub", "del", "ins" counts and "n" = len(ref).

    Dynamic programme D[i, j] = fewest edits turning ref[:i] into hyp[:j]; the backtrace prefers
    a match or substitution, then a deletion, then an insertion, so the counts are well defined."""
    ref, hyp = list(ref), list(hyp)
    D = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=np.int64)
    D[:, 0], D[0, :] = np.arange(len(ref) + 1), np.arange(len(hyp) + 1)
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            D[i, j] = min(D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), D[i - 1, j] + 1, D[i, j - 1] + 1)
    ops = {"sub": 0, "del": 0, "ins": 0, "n": len(ref)}
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and D[i, j] == D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            ops["sub"] += int(ref[i - 1] != hyp[j - 1])
            i, j = i - 1, j - 1
        elif i and D[i, j] == D[i - 1, j] + 1:
            ops["del"], i = ops["del"] + 1, i - 1
        else:
            ops["ins"], j = ops["ins"] + 1, j - 1
    return ops


def error_rate(refs, hyps):
    """Digit error rate over a corpus, as speech papers report it: (S + D + I) / N, with the
    totals and the fraction of utterances transcribed exactly. Returns a dict."""
    if len(refs) != len(hyps):
        raise ValueError(f"refs and hyps: expected the same number of utterances, got {len(refs)} and {len(hyps)}")
    tot = {"sub": 0, "del": 0, "ins": 0, "n": 0}
    for r, h in zip(refs, hyps):
        for key, v in edit_ops(r, h).items():
            tot[key] += v
    tot["rate"] = (tot["sub"] + tot["del"] + tot["ins"]) / max(tot["n"], 1)
    tot["exact"] = float(np.mean([tuple(r) == tuple(h) for r, h in zip(refs, hyps)]))
    return tot


def bootstrap_interval(refs, hyps, rng, n=1000, level=0.95):
    """A percentile bootstrap interval of the digit error rate, resampling whole utterances."""
    ops = [edit_ops(r, h) for r, h in zip(refs, hyps)]
    errors = np.array([o["sub"] + o["del"] + o["ins"] for o in ops])
    digits = np.array([o["n"] for o in ops])
    idx = rng.integers(0, len(ops), (n, len(ops)))
    rates = errors[idx].sum(1) / digits[idx].sum(1)
    return tuple(np.quantile(rates, [(1 - level) / 2, (1 + level) / 2]))
