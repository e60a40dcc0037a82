"""Recurrence without a loop (chapter 15): the linear recurrence h_t = a_t h_{t-1} + b_t
computed for all t at once by a prefix scan in log space, the minimal gated RNNs built on it
(minGRU and minLSTM; Feng et al. 2024), and linear attention run in parallel and as a
recurrence (Katharopoulos et al. 2020).

Shapes: the recurrences are time first, (T, B, H), as torch.nn.GRU; linear attention is
batch first, (B, T, d), as rnnlib.seq2seq.attention.
"""
import torch
from torch import nn
from torch.nn import functional as F

from .utils import check_shape


def linear_recurrence_loop(a, b, h0=None):
    """h_t = a_t * h_{t-1} + b_t for t = 1..T, one step at a time (the reference).

    a, b: (T, ...) of one shape; h0: (...) or None (zeros). Returns h (T, ...).
    """
    check_shape("b", b, tuple(a.shape))
    h = torch.zeros_like(a[0]) if h0 is None else h0
    out = []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0)):
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out)


def log_cumsum_exp(x):
    """log sum_{j<=t} exp(x_j) for every t along dim 0, by a parallel prefix scan
    (Hillis & Steele 1986): log2(T) rounds, round k combining each position with the one
    2^k steps back, x_t <- logaddexp(x_t, x_{t-2^k}). Every round is one elementwise
    operation over the whole sequence: O(log T) deep instead of T steps."""
    shift = 1
    while shift < x.shape[0]:
        x = torch.cat([x[:shift], torch.logaddexp(x[shift:], x[:-shift])], dim=0)
        shift *= 2
    return x


def log_space_scan(log_a, log_b, log_h0=None):
    """The same recurrence for positive a, b, h0, all T steps at once (Heinsen 2023):

        h_t = (prod_{s<=t} a_s) (h_0 + sum_{j<=t} b_j / prod_{s<=j} a_s), so with
        A_t = sum_{s<=t} log a_s:   log h_t = A_t + log_cumsum_exp_j (log b_j - A_j).

    log_a, log_b: (T, ...); log_h0: (...) or None (h_0 = 0). Returns log h (T, ...).
    A cumulative sum and a cumulative log-sum-exp: both prefix scans, O(log T) deep, and
    working with logs keeps the products of many gates from underflowing.
    """
    check_shape("log_b", log_b, tuple(log_a.shape))
    A = torch.cumsum(log_a, dim=0)
    terms = log_b - A
    if log_h0 is not None:  # h_0 enters as a term at "time 0", where A = 0
        terms = torch.cat([log_h0.unsqueeze(0), terms], dim=0)
        return A + log_cumsum_exp(terms)[1:]
    return A + log_cumsum_exp(terms)


def _log_g(x):
    """log g(x) for minGRU's positive candidate g(x) = x + 0.5 (x >= 0), sigmoid(x) (x < 0)."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def _g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


class MinRNN(nn.Module):
    """minGRU or minLSTM (Feng et al. 2024): gates that read the input only, so the
    recurrence is linear in h and runs as a scan. Time first, nn.GRU's interface.

    minGRU:   z_t = sigmoid(W_z x_t),  h~_t = g(W_h x_t),   h_t = (1 - z_t) h_{t-1} + z_t h~_t
    minLSTM:  f_t = sigmoid(W_f x_t), i_t = sigmoid(W_i x_t), h~_t = g(W_h x_t),
              f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t),  h_t = f'_t h_{t-1} + i'_t h~_t
    with g(x) = x + 0.5 for x >= 0, sigmoid(x) below: positive, so the scan runs in log space.
    num_layers: layers stacked as in nn.GRU, each reading the sequence of the one below.
    forward(x (T, B, D), h0=None or (num_layers, B, H) positive, mode="scan" or "loop")
        -> (h (T, B, H) of the top layer, h_T (num_layers, B, H)).
    Both modes compute the same numbers: "scan" with log_space_scan, "loop" step by step.
    """

    def __init__(self, input_size, hidden_size, kind="gru", num_layers=1):
        super().__init__()
        if kind not in ("gru", "lstm"):
            raise ValueError(f"kind: expected 'gru' or 'lstm', got {kind!r}")
        self.input_size, self.hidden_size, self.kind, self.batch_first = input_size, hidden_size, kind, False
        self.num_layers = num_layers
        n = (2 if kind == "gru" else 3) * hidden_size
        self.linears = nn.ModuleList(nn.Linear(input_size if i == 0 else hidden_size, n) for i in range(num_layers))

    def gates(self, x, layer=0):
        """log a_t, log b_t of layer `layer`'s recurrence h_t = a_t h_{t-1} + b_t, each (T, B, H)."""
        parts = self.linears[layer](x).chunk(2 if self.kind == "gru" else 3, dim=-1)
        log_cand = _log_g(parts[-1])
        if self.kind == "gru":  # log(1 - z) = -softplus(k), log z = -softplus(-k)
            return -F.softplus(parts[0]), -F.softplus(-parts[0]) + log_cand
        diff = F.softplus(-parts[0]) - F.softplus(-parts[1])  # log i - log f
        return -F.softplus(diff), -F.softplus(-diff) + log_cand

    def forward(self, x, h0=None, mode="scan"):
        check_shape("x", x, (None, None, self.input_size))
        if h0 is not None:
            check_shape("h0", h0, (self.num_layers, x.shape[1], self.hidden_size))
        if mode not in ("scan", "loop"):
            raise ValueError(f"mode: expected 'scan' or 'loop', got {mode!r}")
        last = []
        for layer in range(self.num_layers):
            log_a, log_b = self.gates(x, layer)
            start = None if h0 is None else h0[layer]
            if mode == "scan":
                x = torch.exp(log_space_scan(log_a, log_b, None if start is None else torch.log(start)))
            else:
                x = linear_recurrence_loop(torch.exp(log_a), torch.exp(log_b), start)
            last.append(x[-1])
        return x, torch.stack(last)


def initial_state(num_layers, batch, hidden_size):
    """A positive initial state for MinRNN, g(0) = 0.5 everywhere (the log scan needs h0 > 0)."""
    return _g(torch.zeros(num_layers, batch, hidden_size))


def feature_map(x):
    """phi(x) = elu(x) + 1 > 0, the feature map of Katharopoulos et al. 2020."""
    return F.elu(x) + 1


def linear_attention_parallel(q, k, v):
    """Causal linear attention over whole sequences: q, k (B, T, d), v (B, T, dv) ->

        out_i = sum_{j<=i} (phi(q_i) . phi(k_j)) v_j / sum_{j<=i} phi(q_i) . phi(k_j)

    as matrices: A = tril(phi(Q) phi(K)^T), out = (A V) / (A 1) - a (T, T) matrix, like softmax
    attention, with exp(q . k) replaced by phi(q) . phi(k).
    """
    check_shape("k", k, tuple(q.shape))
    check_shape("v", v, (q.shape[0], q.shape[1], None))
    A = torch.tril(feature_map(q) @ feature_map(k).transpose(1, 2))
    return (A @ v) / A.sum(dim=-1, keepdim=True)


def linear_attention_recurrent(q, k, v):
    """The same outputs as a recurrence with a constant-size state (an RNN):

        S_i = S_{i-1} + phi(k_i) v_i^T   (d, dv),   z_i = z_{i-1} + phi(k_i)   (d,),
        out_i = phi(q_i)^T S_i / phi(q_i)^T z_i.
    Returns (out (B, T, dv), state (S (B, d, dv), z (B, d))).
    """
    check_shape("k", k, tuple(q.shape))
    check_shape("v", v, (q.shape[0], q.shape[1], None))
    B, T, d = q.shape
    S = q.new_zeros(B, d, v.shape[2])
    z = q.new_zeros(B, d)
    out = []
    for q_i, k_i, v_i in zip(feature_map(q).unbind(1), feature_map(k).unbind(1), v.unbind(1)):
        S = S + k_i[:, :, None] * v_i[:, None, :]
        z = z + k_i
        out.append((q_i[:, None, :] @ S)[:, 0] / (q_i * z).sum(dim=-1, keepdim=True))
    return torch.stack(out, dim=1), (S, z)
