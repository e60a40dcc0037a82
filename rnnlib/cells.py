"""Recurrent cells in torch, written from their equations: one time step each.

Parameter names and layouts are torch.nn's, so `cell.load_state_dict(nn.RNNCell(...).state_dict())`
works and the two give the same numbers.
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


class RNNCell(nn.Module):
    """The Elman cell, as torch.nn.RNNCell: h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh).

    forward(x (B, input_size), h (B, hidden_size) or None for zeros) -> h' (B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.nonlinearity = nonlinearity
        self.f = activation(nonlinearity)
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(hidden_size)) if bias else None
        init_uniform_(self, hidden_size)

    def forward(self, x, h=None):
        check_shape("x (B, input_size)", x, (None, self.input_size))
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        check_shape("h (B, hidden_size)", h, (x.shape[0], self.hidden_size))
        # h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh), with F.linear(x, W, b) = x W^T + b
        a = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        return self.f(a)

    def extra_repr(self):
        bias = ", bias=False" if self.bias_ih is None else ""
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}{bias}"
