"""Recurrent layers in torch: a loop over time around the cell's equation.

Parameter names are torch.nn's (weight_ih_l0, ...), so `layer.load_state_dict(nn.RNN(...).state_dict())`
works and the outputs agree with torch.nn.RNN to rounding.
"""
import torch
from torch import nn
from torch.nn import functional as F

from .cells import activation, init_uniform_
from .utils import check_shape


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
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size)) if bias else None
        self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size)) if bias else None
        init_uniform_(self, hidden_size)

    def forward(self, x, h0=None):
        layout = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
        check_shape(f"x {layout}", x, (None, None, self.input_size))
        if self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ValueError("x: the sequence is empty (T = 0)")
        if h0 is None:
            h0 = x.new_zeros(1, x.shape[1], self.hidden_size)
        check_shape("h0 (1, B, hidden_size)", h0, (1, x.shape[1], self.hidden_size))
        # The input part x_t W_ih^T + b_ih does not depend on h: one matmul for all t.
        xp = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)
        h = h0[0]
        hs = []
        for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes backward O(T^2)
            h = self.f(xp_t + F.linear(h, self.weight_hh_l0, self.bias_hh_l0))
            hs.append(h)
        output = torch.stack(hs)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, h.unsqueeze(0)

    def extra_repr(self):
        bias = ", bias=False" if self.bias_ih_l0 is None else ""
        batch_first = ", batch_first=True" if self.batch_first else ""
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}{bias}{batch_first}"
