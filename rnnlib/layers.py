"""Recurrent layers in torch: a loop over time around the cell's equation.

Parameter names are torch.nn's (weight_ih_l0, weight_hh_l1_reverse, ...), so
`layer.load_state_dict(nn.LSTM(..., num_layers=2, bidirectional=True).state_dict())` works
and the outputs agree with torch.nn to rounding; the same holds for RNN and GRU.

The core is one loop, `scan`: a single layer read in a single direction. Everything else
wraps it:
- the input part x_t W_ih^T + b_ih does not depend on h, so it is computed for all t
  with one matrix product before the loop (the RNN and the LSTM add b_hh there too: it
  is only ever added); inside the loop, one matrix product of h with W_hh per step (all
  gates at once, with W_hh transposed once, not at every step), then the cell's
  equation (`step`);
- a reverse direction is the same loop over the time-flipped sequence, its outputs
  flipped back so that output[t] belongs to input t;
- a bidirectional layer concatenates the two directions' outputs, (T, B, 2H);
- a stack feeds each layer's output to the next, with dropout between layers (not
  after the last), active only in training mode.
States are (num_layers * num_directions, B, H), row layer * num_directions + direction.
"""
import warnings

import torch
from torch import nn
from torch.nn import functional as F

from .cells import activation, add_gate_parameters_, gru_update, init_uniform_, lstm_update, state_or_zeros
from .utils import check_shape


def time_major(x, input_size, batch_first):
    """x checked and returned as (T, B, input_size); with batch_first it arrives as
    (B, T, input_size) and is transposed."""
    layout = "(B, T, input_size)" if batch_first else "(T, B, input_size)"
    check_shape(f"x {layout}", x, (None, None, input_size))
    if batch_first:
        x = x.transpose(0, 1)
    if x.shape[0] == 0:
        raise ValueError("x: the sequence is empty (T = 0)")
    return x


def scan(xp, state, step):
    """The core loop: one layer, one direction, forward in time.

    xp: (T, B, G) the input projections x_t W_ih^T + b_ih; state: a tuple of (B, H)
    tensors ((h,) or (h, c)); step(xp_t, state) -> new state, whose first entry is h_t.
    Returns (hs (T, B, H) = h_1 ... h_T, final state).
    """
    hs = []
    for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes backward O(T^2)
        state = step(xp_t, state)
        hs.append(state[0])
    return torch.stack(hs), state


class Recurrent(nn.Module):
    """What RNN, LSTM and GRU share: parameters for every layer and direction, the
    stacking and the reversing. A subclass sets `n_gates` and `n_states` (1 for h, 2 for
    (h, c)) and defines `step(xp_t, state, weight_hh_t, bias_hh) -> state`, where
    weight_hh_t is W_hh^T; with `bias_hh_in_input` (RNN, LSTM) xp_t already holds b_hh,
    and bias_hh is None."""

    n_gates, n_states, bias_hh_in_input = 1, 1, True

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        super().__init__()
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout={dropout} acts only between layers, so with num_layers=1 it does nothing")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.num_directions = bidirectional, 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                add_gate_parameters_(self, layer_input, hidden_size, self.n_gates, bias,
                                     suffix=self.suffix(layer, direction), init=False)
        init_uniform_(self, hidden_size)  # once, in torch.nn's parameter order

    @staticmethod
    def suffix(layer, direction):
        """torch.nn's parameter-name suffix: _l0, _l0_reverse, _l1, ..."""
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def initial_states(self, hx, x):
        """hx (a tensor, or a tuple for the LSTM, each (num_layers * num_directions, B, H);
        None for zeros) as a tuple of checked tensors."""
        names = ["h0", "c0"][: self.n_states]
        if hx is None:
            hx = (None,) * self.n_states
        elif self.n_states == 1:
            hx = (hx,)
        shape = (self.num_layers * self.num_directions, x.shape[1], self.hidden_size)
        return tuple(state_or_zeros(f"{name} (num_layers * num_directions, B, hidden_size)", s, shape, x)
                     for name, s in zip(names, hx))

    def run_direction(self, x, state, layer, direction):
        """One layer in one direction over x (T, B, D_layer) -> (hs (T, B, H), final state)."""
        p = self.suffix(layer, direction)
        weight_ih, weight_hh, bias_ih, bias_hh = (getattr(self, name + p) for name in
                                                  ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        if self.bias_hh_in_input and bias_hh is not None:  # b_ih + b_hh, added once for all t
            bias_ih, bias_hh = bias_ih + bias_hh, None
        xp = F.linear(x, weight_ih, bias_ih)  # x_t W_ih^T + b_ih for all t at once
        weight_hh_t = weight_hh.t()  # transposed once, for h W_hh^T at every step
        reverse = direction == 1
        if reverse:  # read the sequence from its end: h_T first, h_1 last ...
            xp = xp.flip(0)
        hs, state = scan(xp, state, lambda xp_t, s: self.step(xp_t, s, weight_hh_t, bias_hh))
        return (hs.flip(0) if reverse else hs), state  # ... and put output t back at t

    def forward(self, x, hx=None):
        x = time_major(x, self.input_size, self.batch_first)
        states = self.initial_states(hx, x)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0:  # dropout between layers, on the input of every layer but the first
                x = F.dropout(x, self.dropout, self.training)
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                hs, final = self.run_direction(x, tuple(s[k] for s in states), layer, direction)
                outputs.append(hs)
                finals.append(final)
            x = torch.cat(outputs, dim=2)  # (T, B, num_directions * H)
        output = x.transpose(0, 1) if self.batch_first else x
        final = tuple(torch.stack([f[i] for f in finals]) for i in range(self.n_states))
        return output, (final if self.n_states == 2 else final[0])

    def extra_repr(self):
        # torch.nn's order: sizes, num_layers, bias, batch_first, dropout, bidirectional
        text = f"{self.input_size}, {self.hidden_size}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        options = [("num_layers", self.num_layers, 1), ("bias", self.bias, True),
                   ("batch_first", self.batch_first, False), ("dropout", self.dropout, 0.0),
                   ("bidirectional", self.bidirectional, False)]
        return text + "".join(f", {k}={v}" for k, v, default in options if v != default)


class RNN(Recurrent):
    """An Elman RNN with torch.nn.RNN's interface.

        h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  f = tanh or relu

    RNN(input_size, hidden_size, nonlinearity="tanh", bias=True, batch_first=False,
        num_layers=1, dropout=0.0, bidirectional=False)
    forward(x, h0=None) -> (output, h_n), with L = num_layers, K = 2 if bidirectional else 1:
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        h0: (L * K, B, hidden_size), zeros if None
        output: the last layer's h_1 ... h_T, (T, B, K * hidden_size) (or (B, T, ...) with
            batch_first); bidirectional: the forward states, then the backward ones
        h_n: every layer's and direction's final state, (L * K, B, hidden_size)
    """

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", bias=True, batch_first=False,
                 num_layers=1, dropout=0.0, bidirectional=False):
        self.nonlinearity, self.f = nonlinearity, activation(nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def step(self, xp_t, state, weight_hh_t, bias_hh=None):
        (h,) = state
        # xp_t = x_t W_ih^T + b_ih + b_hh, so addmm's xp_t + h W_hh^T is the whole sum
        return (self.f(torch.addmm(xp_t, h, weight_hh_t)),)


class LSTM(Recurrent):
    """An LSTM with torch.nn.LSTM's interface.

        [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, then sigmoid (i, f, o), tanh (g)
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

    LSTM(input_size, hidden_size, bias=True, batch_first=False, num_layers=1, dropout=0.0,
         bidirectional=False)
    forward(x, hx=None) -> (output, (h_n, c_n)), with L = num_layers, K = 2 if bidirectional:
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        hx: (h0, c0), each (L * K, B, hidden_size); zeros if None
        output: the last layer's h_1 ... h_T, (T, B, K * hidden_size) (or (B, T, ...))
        h_n, c_n: every layer's and direction's final h and c, each (L * K, B, hidden_size)
    """

    n_gates, n_states = 4, 2

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False, num_layers=1,
                 dropout=0.0, bidirectional=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def step(self, xp_t, state, weight_hh_t, bias_hh=None):
        h, c = state
        # a = x_t W_ih^T + b_ih + b_hh (in xp_t) + h W_hh^T, in one addmm
        return lstm_update(torch.addmm(xp_t, h, weight_hh_t), c)


class GRU(Recurrent):
    """A GRU with torch.nn.GRU's interface.

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    GRU(input_size, hidden_size, bias=True, batch_first=False, num_layers=1, dropout=0.0,
        bidirectional=False)
    forward(x, hx=None) -> (output, h_n), with L = num_layers, K = 2 if bidirectional:
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        hx: h0, (L * K, B, hidden_size), zeros if None
        output: the last layer's h_1 ... h_T, (T, B, K * hidden_size) (or (B, T, ...))
        h_n: every layer's and direction's final state, (L * K, B, hidden_size)
    """

    n_gates = 3
    bias_hh_in_input = False  # r multiplies the hidden part of n, b_hn included

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False, num_layers=1,
                 dropout=0.0, bidirectional=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def step(self, xp_t, state, weight_hh_t, bias_hh):
        (h,) = state
        hp = h @ weight_hh_t if bias_hh is None else torch.addmm(bias_hh, h, weight_hh_t)  # h W_hh^T + b_hh
        return (gru_update(xp_t, hp, h),)
