"""Recurrent cells in torch, written from their equations: one time step each.

Parameter names and layouts are torch.nn's, so `cell.load_state_dict(nn.RNNCell(...).state_dict())`
works and the two give the same numbers; the same holds for LSTMCell and GRUCell. The
equations of one step (`lstm_update`, `gru_update`) are functions, so that the sequence
layers in rnnlib.layers use the very same code.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .utils import check_shape

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


def activation(nonlinearity):
    """The function named by `nonlinearity` ("tanh" or "relu")."""
    if nonlinearity not in ACTIVATIONS:
        raise ValueError(f"nonlinearity must be one of {tuple(ACTIVATIONS)}, got {nonlinearity!r}")
    return ACTIVATIONS[nonlinearity]


def init_uniform_(module, hidden_size):
    """torch.nn's initialisation for recurrent layers: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1 / math.sqrt(hidden_size)
    for p in module.parameters():
        nn.init.uniform_(p, -bound, bound)


def add_gate_parameters_(module, input_size, hidden_size, n_gates, bias, suffix="", init=True):
    """Give `module` torch.nn's recurrent parameters, initialised as torch.nn does.

    weight_ih (G, input_size), weight_hh (G, hidden_size), bias_ih (G,), bias_hh (G,) with
    G = n_gates * hidden_size (1 for the Elman RNN, 4 for the LSTM, 3 for the GRU), the
    gates stacked in rows; biases are None when bias=False. suffix is "" for a cell and
    "_l0" for a layer (weight_ih_l0, ...), so state dicts match torch.nn's. A stacked
    layer adds several sets with init=False and initialises them once at the end, in
    torch.nn's order, so that the same seed gives torch.nn's initial weights.
    """
    G = n_gates * hidden_size
    shapes = {"weight_ih": (G, input_size), "weight_hh": (G, hidden_size), "bias_ih": (G,), "bias_hh": (G,)}
    for name, shape in shapes.items():
        keep = bias or name.startswith("weight")
        module.register_parameter(name + suffix, nn.Parameter(torch.empty(shape)) if keep else None)
    if init:
        init_uniform_(module, hidden_size)


def state_or_zeros(name, state, shape, like):
    """`state` after checking its shape, or zeros of that shape (with like's dtype and
    device) if it is None."""
    if state is None:
        return like.new_zeros(shape)
    check_shape(name, state, shape)
    return state


def describe(module, suffix="", **options):
    """extra_repr text as torch.nn writes it: the sizes, the given options, then bias and
    batch_first when they are not the default."""
    text = f"{module.input_size}, {module.hidden_size}"
    text += "".join(f", {k}={v!r}" for k, v in options.items())
    if getattr(module, "bias_ih" + suffix) is None:
        text += ", bias=False"
    if getattr(module, "batch_first", False):
        text += ", batch_first=True"
    return text


class RNNCell(nn.Module):
    """The Elman cell, as torch.nn.RNNCell: h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh).

    forward(x (B, input_size), h (B, hidden_size) or None for zeros) -> h' (B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.nonlinearity = nonlinearity
        self.f = activation(nonlinearity)
        add_gate_parameters_(self, input_size, hidden_size, 1, bias)

    def forward(self, x, h=None):
        check_shape("x (B, input_size)", x, (None, self.input_size))
        h = state_or_zeros("h (B, hidden_size)", h, (x.shape[0], self.hidden_size), x)
        # h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh), with F.linear(x, W, b) = x W^T + b
        a = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        return self.f(a)

    def extra_repr(self):
        return describe(self, nonlinearity=self.nonlinearity)


# --- LSTM -------------------------------------------------------------------------------

def lstm_update(a, c):
    """One LSTM step from its gate pre-activations to the new state (h', c').

    a: (B, 4H) = x W_ih^T + b_ih + h W_hh^T + b_hh, the gates in torch's order i, f, g, o;
    c: (B, H), the cell state before the step.
    """
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c = f * c + i * g           # c' = f * c + i * g
    h = o * torch.tanh(c)       # h' = o * tanh(c')
    return h, c


class LSTMCell(nn.Module):
    """The LSTM cell, as torch.nn.LSTMCell:

        [i, f, g, o] = x W_ih^T + b_ih + h W_hh^T + b_hh, then sigmoid (i, f, o), tanh (g)
        c' = f * c + i * g,   h' = o * tanh(c')

    Parameters weight_ih (4H, input_size), weight_hh (4H, H), bias_ih, bias_hh (4H,).
    forward(x (B, input_size), hx=(h, c) each (B, hidden_size), or None for zeros)
    -> (h', c'), each (B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        add_gate_parameters_(self, input_size, hidden_size, 4, bias)

    def forward(self, x, hx=None):
        check_shape("x (B, input_size)", x, (None, self.input_size))
        h, c = (None, None) if hx is None else hx
        shape = (x.shape[0], self.hidden_size)
        h = state_or_zeros("h (B, hidden_size)", h, shape, x)
        c = state_or_zeros("c (B, hidden_size)", c, shape, x)
        a = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        return lstm_update(a, c)

    def extra_repr(self):
        return describe(self)


# --- GRU --------------------------------------------------------------------------------

def gru_update(xp, hp, h):
    """One GRU step from the input and hidden projections to the new state h'.

    xp: (B, 3H) = x W_ih^T + b_ih, hp: (B, 3H) = h W_hh^T + b_hh, the gates in torch's
    order r, z, n; h: (B, H), the state before the step. The two projections stay apart
    because r multiplies only the hidden part of n.
    """
    x_r, x_z, x_n = xp.chunk(3, dim=1)
    h_r, h_z, h_n = hp.chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)   # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    return torch.lerp(n, h, z)      # h' = (1 - z) * n + z * h = n + z * (h - n), one operation


class GRUCell(nn.Module):
    """The GRU cell, as torch.nn.GRUCell:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

    Parameters weight_ih (3H, input_size), weight_hh (3H, H), bias_ih, bias_hh (3H,).
    forward(x (B, input_size), hx (B, hidden_size) or None for zeros) -> h' (B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        add_gate_parameters_(self, input_size, hidden_size, 3, bias)

    def forward(self, x, hx=None):
        check_shape("x (B, input_size)", x, (None, self.input_size))
        h = state_or_zeros("h (B, hidden_size)", hx, (x.shape[0], self.hidden_size), x)
        xp = F.linear(x, self.weight_ih, self.bias_ih)   # x W_ih^T + b_ih
        hp = F.linear(h, self.weight_hh, self.bias_hh)   # h W_hh^T + b_hh
        return gru_update(xp, hp, h)

    def extra_repr(self):
        return describe(self)
