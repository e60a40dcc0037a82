"""The Transformer (chapter 15; Vaswani et al. 2017): multi-head attention written from the
equations, sinusoidal positional encoding, and a small encoder-decoder with Seq2Seq's
interface, so rnnlib.seq2seq's training batches, loss, greedy decoding, beam search and the
length experiment run it unchanged.

Shapes: attention is batch first, (B, T, E), as in rnnlib.seq2seq.attention; the model
takes and returns time-first ids and logits, as Seq2Seq does. Masks: True = may attend.
"""
import math

import torch
from torch import nn

from ..utils import check_int, check_shape
from .attention import scaled_dot_product_attention
from .models import Encoded, _check_ids


def positional_encoding(T, d, dtype=torch.float64):
    """Sinusoidal positional encoding (T, d), d even:

        PE[t, 2i] = sin(t w_i),   PE[t, 2i+1] = cos(t w_i),   w_i = 10000^(-2i/d).
    """
    check_int("T", T, 1)
    if not isinstance(d, int) or d < 2 or d % 2:
        raise ValueError(f"d: expected an even int >= 2, got {d!r}")
    t = torch.arange(T, dtype=dtype)[:, None]
    w = 10000.0 ** (-torch.arange(0, d, 2, dtype=dtype) / d)
    pe = torch.empty(T, d, dtype=dtype)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * w), torch.cos(t * w)
    return pe


def offset_rotation(k, d, dtype=torch.float64):
    """The matrix M_k (d, d) with PE[t + k] = M_k PE[t] for every t: block diagonal, one
    2x2 rotation per frequency, [sin(a+b), cos(a+b)] = [[cos b, sin b], [-sin b, cos b]]
    [sin a, cos a] with a = t w_i, b = k w_i. It depends on the offset k, not on t."""
    w = 10000.0 ** (-torch.arange(0, d, 2, dtype=dtype) / d)
    c, s = torch.cos(k * w), torch.sin(k * w)
    M = torch.zeros(d, d, dtype=dtype)
    i = torch.arange(0, d, 2)
    M[i, i], M[i, i + 1], M[i + 1, i], M[i + 1, i + 1] = c, s, -s, c
    return M


class MultiHeadAttention(nn.Module):
    """Multi-head attention, torch.nn.MultiheadAttention's parameters and layout:

        head_h = softmax(Q_h K_h^T / sqrt(d_k)) V_h,  Q_h = q W_q,h^T + b_q,h (and K_h, V_h),
        out = [head_1; ...; head_H] W_o^T + b_o,      d_k = E / H.

    in_proj_weight (3E, E) stacks W_q, W_k, W_v; in_proj_bias (3E,); out_proj (E -> E).
    Loading torch.nn.MultiheadAttention(E, H, batch_first=True)'s state_dict copies its weights.
    forward(query (B, Tq, E), key (B, S, E), value (B, S, E), mask None, (B, S) or
    (B, Tq, S), True = may attend, cache=None) -> (out (B, Tq, E), weights (B, H, Tq, S)).
    cache: the projected keys and values of earlier positions, (K, V) each (B, H, S0, d_k);
    the new ones are appended (incremental self-attention). forward returns
    (out, weights, (K, V)) when a cache is given.
    """

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x, part):
        """Project x (B, T, E) with W_part and split: (B, H, T, d_k)."""
        E = self.embed_dim
        y = x @ self.in_proj_weight[part * E:(part + 1) * E].T + self.in_proj_bias[part * E:(part + 1) * E]
        return y.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query, key, value, mask=None, cache=None):
        check_shape("query", query, (None, None, self.embed_dim))
        B, Tq, E = query.shape
        check_shape("key", key, (B, None, E))
        check_shape("value", value, tuple(key.shape))
        q, k, v = self._heads(query, 0), self._heads(key, 1), self._heads(value, 2)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        H, S = self.num_heads, k.shape[2]
        if mask is not None:  # one mask per example, shared by its H heads
            mask = (mask[:, None, :].expand(B, Tq, S) if mask.dim() == 2 else mask)
            check_shape("mask", mask, (B, Tq, S))
            mask = mask.repeat_interleave(H, dim=0)
        out, w = scaled_dot_product_attention(q.reshape(B * H, Tq, -1), k.reshape(B * H, S, -1),
                                              v.reshape(B * H, S, -1), mask)
        out = self.out_proj(out.view(B, H, Tq, -1).transpose(1, 2).reshape(B, Tq, E))
        w = w.view(B, H, Tq, S)
        return (out, w) if cache is None else (out, w, (k, v))


class _Block(nn.Module):
    """One pre-norm Transformer layer: x + SelfAttn(LN x) [+ CrossAttn(LN x, memory)] + FF(LN x)."""

    def __init__(self, d, heads, ff, cross):
        super().__init__()
        self.self_attn, self.norm1 = MultiHeadAttention(d, heads), nn.LayerNorm(d)
        self.cross_attn = MultiHeadAttention(d, heads) if cross else None
        self.norm2 = nn.LayerNorm(d) if cross else None
        self.ff, self.norm3 = nn.Sequential(nn.Linear(d, ff), nn.ReLU(), nn.Linear(ff, d)), nn.LayerNorm(d)

    def forward(self, x, self_mask, memory=None, memory_mask=None, cache=None):
        h = self.norm1(x)
        out = self.self_attn(h, h, h, self_mask, cache=cache)
        x = x + out[0]
        weights = None
        if self.cross_attn is not None:
            h = self.norm2(x)
            a, weights = self.cross_attn(h, memory, memory, memory_mask)
            x = x + a
        x = x + self.ff(self.norm3(x))
        return x, weights, (out[2] if cache is not None else None)


class Transformer(nn.Module):
    """A Transformer encoder-decoder with Seq2Seq's interface (pre-norm layers, no dropout).

    forward(src (S, B), src_lengths (B,), tgt_in (T, B)) -> (logits (T, B, V), None): all T
      target positions at once, each seeing only earlier ones (a causal mask).
    encode(src, src_lengths) -> Encoded(state, memory (B, S, d), mask (B, S), None); state
      is the empty key-value cache.
    decode_step(tokens (B,), state, enc) -> (logits (B, V), state, weights (B, S)): one token,
      its keys and values appended to the cache (state: a tuple of 2 x layers tensors,
      (B, heads, t, d_k)); weights are the last layer's cross-attention, mean over heads.
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=32, heads=4, ff=64, layers=2, max_len=512,
                 scale_embedding=False):
        super().__init__()
        self.d_model, self.heads, self.layers = d_model, heads, layers
        # Vaswani et al. multiply the embeddings by sqrt(d_model); at the book's small d the
        # unscaled sum trained better on validation data (benchmarks/beyond_tuning.md).
        self.embed_scale = math.sqrt(d_model) if scale_embedding else 1.0
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=0)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=0)
        self.register_buffer("pe", positional_encoding(max_len, d_model, torch.float32), persistent=False)
        self.encoder = nn.ModuleList(_Block(d_model, heads, ff, cross=False) for _ in range(layers))
        self.decoder = nn.ModuleList(_Block(d_model, heads, ff, cross=True) for _ in range(layers))
        self.enc_norm, self.dec_norm = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, tgt_vocab_size)

    def _embed(self, embedding, ids, start=0):
        """ids (B, T) -> embedding * embed_scale + PE[start:start+T]."""
        if start + ids.shape[1] > self.pe.shape[0]:
            raise ValueError(f"sequence of length {start + ids.shape[1]} exceeds max_len {self.pe.shape[0]}")
        return embedding(ids) * self.embed_scale + self.pe[start:start + ids.shape[1]]

    def encode(self, src, src_lengths):
        _check_ids("src", src, (None, None))
        S, B = src.shape
        check_shape("src_lengths", src_lengths, (B,))
        mask = torch.arange(S, device=src.device)[None, :] < src_lengths[:, None]  # (B, S)
        x = self._embed(self.src_embedding, src.T)
        for block in self.encoder:
            x = block(x, mask)[0]
        empty = torch.zeros(B, self.heads, 0, self.d_model // self.heads, device=src.device)
        return Encoded((empty,) * (2 * self.layers), self.enc_norm(x), mask, None)

    def forward(self, src, src_lengths, tgt_in, teacher_forcing=1.0, generator=None):
        _check_ids("tgt_in", tgt_in, (None, src.shape[1]))
        if teacher_forcing != 1.0:
            raise ValueError("Transformer trains with teacher forcing only (teacher_forcing=1.0)")
        enc = self.encode(src, src_lengths)
        T = tgt_in.shape[0]
        causal = torch.ones(T, T, dtype=torch.bool, device=src.device).tril()
        x = self._embed(self.tgt_embedding, tgt_in.T)
        causal = causal.expand(x.shape[0], T, T)
        for block in self.decoder:
            x = block(x, causal, enc.memory, enc.mask)[0]
        return self.out(self.dec_norm(x)).transpose(0, 1), None

    def decode_step(self, tokens, state, enc):
        _check_ids("tokens", tokens, (None,))
        x = self._embed(self.tgt_embedding, tokens[:, None], start=state[0].shape[2])
        new_state = []
        for i, block in enumerate(self.decoder):
            x, weights, kv = block(x, None, enc.memory, enc.mask, cache=state[2 * i:2 * i + 2])
            new_state += kv
        return self.out(self.dec_norm(x))[:, 0], tuple(new_state), weights.mean(dim=1)[:, 0]


def kv_cache_size(state):
    """The number of numbers a Transformer decoder's key-value cache holds (all layers)."""
    return sum(t.numel() for t in state)


def make_transformer(src_vocab_size, tgt_vocab_size, d_model=32, heads=4, ff=64, layers=2, seed=0,
                     scale_embedding=False):
    """A Transformer with weights drawn from `seed` only (the global torch state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Transformer(src_vocab_size, tgt_vocab_size, d_model, heads, ff, layers,
                           scale_embedding=scale_embedding)


# Chapter 15's Transformer for the length experiment: 16,110 parameters against the
# attention GRU's 16,142 (seq2seq.LENGTH_EXPERIMENT with additive attention).
LENGTH_TRANSFORMER = dict(d_model=16, heads=2, ff=64, layers=2)


def length_transformer(vocab_size, seed, **overrides):
    """make_transformer with LENGTH_TRANSFORMER's sizes: the `build` of run_length_experiment."""
    return make_transformer(vocab_size, vocab_size, seed=seed, **{**LENGTH_TRANSFORMER, **overrides})
