"""Recurrent layers in torch: a loop over time around the cell's equation.

Parameter names are torch.nn's (weight_ih_l0, ...), so `layer.load_state_dict(nn.RNN(...).state_dict())`
works and the outputs agree with torch.nn.RNN to rounding; the same holds for LSTM and
GRU against torch.nn.LSTM and torch.nn.GRU.

Every layer takes its steps the same way: the input part x_t W_ih^T + b_ih does not
depend on h, so it is computed for all t with one matrix product before the loop; inside
the loop, one matrix product of h with W_hh per step (all gates at once), then the
cell's equation (`rnnlib.cells.lstm_update`, `gru_update`).
"""
import torch
from torch import nn
from torch.nn import functional as F

from .cells import activation, add_gate_parameters_, describe, gru_update, lstm_update, state_or_zeros
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


def initial_state(name, state, x, hidden_size):
    """A layer's initial state (1, B, hidden_size), zeros if None, checked against the
    time-major x (T, B, input_size); returned as (B, hidden_size) for the loop."""
    return state_or_zeros(f"{name} (1, B, hidden_size)", state, (1, x.shape[1], hidden_size), x)[0]


def sequence_output(hs, batch_first):
    """The states h_1 ... h_T, a list of (B, H), as torch.nn's output: (T, B, H), or
    (B, T, H) with batch_first."""
    output = torch.stack(hs)
    return output.transpose(0, 1) if batch_first else output


class RNN(nn.Module):
    """A single-layer Elman RNN with torch.nn.RNN's interface.

        h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  f = tanh or relu

    forward(x, h0=None) -> (output, h_n)
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        h0: (1, B, hidden_size), zeros if None
        output: h_1 ... h_T, (T, B, hidden_size) (or (B, T, hidden_size) with batch_first)
        h_n: h_T, (1, B, hidden_size)
    """

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", bias=True, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.nonlinearity, self.batch_first = nonlinearity, batch_first
        self.f = activation(nonlinearity)
        add_gate_parameters_(self, input_size, hidden_size, 1, bias, suffix="_l0")

    def forward(self, x, h0=None):
        x = time_major(x, self.input_size, self.batch_first)
        h = initial_state("h0", h0, x, self.hidden_size)
        # The input part x_t W_ih^T + b_ih does not depend on h: one matmul for all t.
        xp = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)
        hs = []
        for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes backward O(T^2)
            h = self.f(xp_t + F.linear(h, self.weight_hh_l0, self.bias_hh_l0))
            hs.append(h)
        return sequence_output(hs, self.batch_first), h.unsqueeze(0)

    def extra_repr(self):
        return describe(self, "_l0", nonlinearity=self.nonlinearity)


class LSTM(nn.Module):
    """A single-layer LSTM with torch.nn.LSTM's interface.

        [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, then sigmoid (i, f, o), tanh (g)
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

    forward(x, hx=None) -> (output, (h_n, c_n))
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        hx: (h0, c0), each (1, B, hidden_size); zeros if None
        output: h_1 ... h_T, (T, B, hidden_size) (or (B, T, hidden_size) with batch_first)
        h_n, c_n: h_T and c_T, each (1, B, hidden_size)
    """

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        add_gate_parameters_(self, input_size, hidden_size, 4, bias, suffix="_l0")

    def forward(self, x, hx=None):
        x = time_major(x, self.input_size, self.batch_first)
        h0, c0 = (None, None) if hx is None else hx
        h, c = initial_state("h0", h0, x, self.hidden_size), initial_state("c0", c0, x, self.hidden_size)
        xp = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # input part of all gates, all t
        hs = []
        for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes backward O(T^2)
            h, c = lstm_update(xp_t + F.linear(h, self.weight_hh_l0, self.bias_hh_l0), c)
            hs.append(h)
        return sequence_output(hs, self.batch_first), (h.unsqueeze(0), c.unsqueeze(0))

    def extra_repr(self):
        return describe(self, "_l0")


class GRU(nn.Module):
    """A single-layer GRU with torch.nn.GRU's interface.

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    forward(x, hx=None) -> (output, h_n)
        x: (T, B, input_size), or (B, T, input_size) with batch_first=True
        hx: h0, (1, B, hidden_size), zeros if None
        output: h_1 ... h_T, (T, B, hidden_size) (or (B, T, hidden_size) with batch_first)
        h_n: h_T, (1, B, hidden_size)
    """

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        add_gate_parameters_(self, input_size, hidden_size, 3, bias, suffix="_l0")

    def forward(self, x, hx=None):
        x = time_major(x, self.input_size, self.batch_first)
        h = initial_state("h0", hx, x, self.hidden_size)
        xp = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # input part of all gates, all t
        hs = []
        for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes backward O(T^2)
            h = gru_update(xp_t, F.linear(h, self.weight_hh_l0, self.bias_hh_l0), h)
            hs.append(h)
        return sequence_output(hs, self.batch_first), h.unsqueeze(0)

    def extra_repr(self):
        return describe(self, "_l0")
