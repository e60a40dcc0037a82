"""Attention (chapter 08): additive (Bahdanau) and multiplicative (Luong dot and general)
attention with padding masks, returning the weights; scaled dot-product attention.

Shapes (batch first inside attention: each decoder step looks at one whole source per
example): query (B, Hq), keys = values (B, S, Hk), mask (B, S) bool with True = a real
token, False = padding. Every module returns (context (B, Hk), weights (B, S)); the
weights are a probability distribution over the S source positions that gives padding
exactly zero weight, so they can be plotted as an alignment heatmap.

Each score function also has `precompute(keys)`: work that depends on the keys only and
can be done once per source sentence instead of once per decoder step (the W_k k term of
additive attention). `forward(query, keys, mask, precomputed=precompute(keys))` gives
the same result as `forward(query, keys, mask)`, only faster in a decoding loop.
"""
import math

import torch
from torch import nn

from ..utils import check_shape


def _check_mask(mask, shape):
    if mask.dtype != torch.bool:
        raise ValueError(f"mask: expected a bool tensor (True = real token), got dtype {mask.dtype}")
    check_shape("mask", mask, shape)
    return mask


def masked_softmax(scores, mask=None):
    """Softmax over the last axis that gives masked-out positions exactly zero weight.

    scores: (B, S) or (B, Tq, S). mask: None, or bool with True = keep, of the same
    shape as scores or (B, S) (then shared by every query row). Each row of the result
    sums to 1 over its kept positions:
        a_j = exp(e_j) / sum_{k kept} exp(e_k)   for kept j,   a_j = 0 otherwise.
    A row with no kept position is an error (ValueError): there is nothing to attend to.
    """
    if mask is None:
        return torch.softmax(scores, dim=-1)
    if mask.dim() == 2 and scores.dim() == 3:
        mask = _check_mask(mask, (scores.shape[0], scores.shape[2]))[:, None, :]
    else:
        _check_mask(mask, tuple(scores.shape))
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("mask: every row needs at least one True (real) position")
    # exp(-inf) = 0 exactly, so padding gets no weight at all, not merely a tiny one.
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def _attend(scores, keys, mask):
    """weights = masked_softmax(scores); context = sum_j weights_j keys_j. (B, S) -> (B, Hk)."""
    weights = masked_softmax(scores, mask)
    # A broadcast product and a sum: on the CPU faster than B tiny matrix products (bmm).
    context = (weights.unsqueeze(-1) * keys).sum(dim=1)
    return context, weights


class AdditiveAttention(nn.Module):
    """Additive attention (Bahdanau, Cho & Bengio 2015), a one-hidden-layer MLP score:

        e_j = v^T tanh(W_q q + W_k k_j + b),   a = masked_softmax(e),   c = sum_j a_j k_j

    query_size Hq, key_size Hk, attn_size A: W_q (A, Hq), W_k (A, Hk), b (A,), v (A,).
    forward(query (B, Hq), keys (B, S, Hk), mask (B, S) or None, precomputed=None)
        -> (context (B, Hk), weights (B, S)).
    precompute(keys) -> W_k k + b (B, S, A): the part of the score that does not change
    from one decoder step to the next.
    """

    def __init__(self, query_size, key_size, attn_size):
        super().__init__()
        self.query_size, self.key_size, self.attn_size = query_size, key_size, attn_size
        self.W_q = nn.Linear(query_size, attn_size, bias=False)
        self.W_k = nn.Linear(key_size, attn_size)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def precompute(self, keys):
        check_shape("keys", keys, (None, None, self.key_size))
        return self.W_k(keys)

    def forward(self, query, keys, mask=None, precomputed=None):
        check_shape("keys", keys, (None, None, self.key_size))
        B, S, _ = keys.shape
        check_shape("query", query, (B, self.query_size))
        proj_keys = self.precompute(keys) if precomputed is None else precomputed
        scores = self.v(torch.tanh(self.W_q(query).unsqueeze(1) + proj_keys)).squeeze(-1)  # (B, S)
        return _attend(scores, keys, mask)


class MultiplicativeAttention(nn.Module):
    """Multiplicative attention (Luong, Pham & Manning 2015):

        dot:      e_j = q^T k_j            (needs Hq == Hk)
        general:  e_j = q^T W_a k_j = (W_a^T q)^T k_j,   W_a (Hq, Hk)

    then a = masked_softmax(e), c = sum_j a_j k_j. For "general" the query is projected
    (W_a^T q, one (B, Hk) product per step) rather than every key, which is cheaper and
    gives the same score.
    forward(query (B, Hq), keys (B, S, Hk), mask=None, precomputed=None)
        -> (context (B, Hk), weights (B, S)).
    precompute(keys) returns None: nothing is worth caching.
    """

    def __init__(self, query_size, key_size, score="dot"):
        super().__init__()
        if score not in ("dot", "general"):
            raise ValueError(f"score: expected 'dot' or 'general', got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and {key_size} "
                             "(use score='general')")
        self.query_size, self.key_size, self.score = query_size, key_size, score
        self.W_a = nn.Linear(key_size, query_size, bias=False) if score == "general" else None

    def precompute(self, keys):
        return None

    def forward(self, query, keys, mask=None, precomputed=None):
        check_shape("keys", keys, (None, None, self.key_size))
        B, S, _ = keys.shape
        check_shape("query", query, (B, self.query_size))
        # nn.Linear(key_size, query_size).weight is W_a (Hq, Hk), so query @ weight = W_a^T q.
        q = query if self.W_a is None else query @ self.W_a.weight  # (B, Hk)
        scores = (keys * q.unsqueeze(1)).sum(dim=-1)  # (B, S): e_j = q . k_j
        return _attend(scores, keys, mask)


def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention (Vaswani et al. 2017), batch first:

        weights = softmax(q k^T / sqrt(d)),   out = weights v

    q (B, Tq, d), k (B, S, d), v (B, S, dv); mask None, (B, S) or (B, Tq, S), True = may
    attend. Returns (out (B, Tq, dv), weights (B, Tq, S)). Self-attention is q = k = v.
    The 1/sqrt(d) keeps the scores' variance near 1 when q and k have unit-variance
    entries, so the softmax does not saturate as d grows.
    """
    if q.dim() != 3:
        raise ValueError(f"q: expected shape (B, Tq, d), got {tuple(q.shape)}")
    B, Tq, d = q.shape
    check_shape("k", k, (B, None, d))
    check_shape("v", v, (B, k.shape[1], None))
    scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(d)  # (B, Tq, S)
    weights = masked_softmax(scores, mask)
    return torch.bmm(weights, v), weights
