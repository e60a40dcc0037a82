"""The GRU in numpy, float64, with hand-written backward passes.

    r_t = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)          reset gate
    z_t = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)          update gate
    n_t = tanh(x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))     candidate state
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Shapes, names and layouts follow torch.nn.GRU: x (T, B, D), h (B, H), params a dict
with W_ih (3H, D), W_hh (3H, H), b_ih (3H,), b_hh (3H,), the gates stacked in the order
r, z, n. Note that r multiplies the whole hidden part of n, bias b_hn included, as in
torch (and cuDNN); so the hidden part of n has to be kept apart from the input part,
and b_hn gets a different gradient from b_in. As in numpy_rnn and numpy_lstm, every
forward returns a cache and the matching backward consumes it.
"""
import numpy as np

from .numpy_lstm import check_gate_params, check_torch_gates, gate_params_from_torch, sigmoid
from .numpy_rnn import params_to_torch as _copy_params_to_torch
from .numpy_rnn import rnn_backward
from .utils import check_shape

GATES = 3  # r, z, n


def init_gru_params(D, H, rng, scale=None):
    """GRU parameters drawn from uniform(-scale, scale), float64.

    scale defaults to 1/sqrt(H), torch.nn.GRU's initialisation.
    Returns {"W_ih": (3H, D), "W_hh": (3H, H), "b_ih": (3H,), "b_hh": (3H,)}.
    """
    scale = 1 / np.sqrt(H) if scale is None else scale
    shapes = {"W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}
    return {name: rng.uniform(-scale, scale, size=shape) for name, shape in shapes.items()}


def gru_step_forward(x, h_prev, params):
    """One time step of the GRU (equations in the module docstring).

    x: (B, D), h_prev: (B, H). Returns h (B, H) and the cache for `gru_step_backward`.
    """
    D, H = check_gate_params(params, GATES)
    check_shape("x (B, D)", x, (None, D))
    check_shape("h_prev (B, H)", h_prev, (x.shape[0], H))
    # the input and the hidden parts of all three gates, one matrix product each, (B, 3H)
    xp = x @ params["W_ih"].T + params["b_ih"]
    hp = h_prev @ params["W_hh"].T + params["b_hh"]
    x_r, x_z, x_n = np.split(xp, GATES, axis=1)
    h_r, h_z, h_n = np.split(hp, GATES, axis=1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)      # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h = (1 - z) * n + z * h_prev    # h_t = (1 - z) * n + z * h_{t-1}
    cache = (x, h_prev, r, z, n, h_n, params["W_ih"], params["W_hh"])
    return h, cache


def gru_step_backward(dh, cache):
    """Backward of one step: from dL/dh (B, H) to the gradients of its inputs.

    Returns dx (B, D), dh_prev (B, H) and grads {"W_ih", "W_hh", "b_ih", "b_hh"}.
    """
    x, h_prev, r, z, n, h_n, W_ih, W_hh = cache
    # h = (1 - z) * n + z * h_prev
    dn, dz, dh_direct = dh * (1 - z), dh * (h_prev - n), dh * z
    # n = tanh(x_n + r * h_n)
    da_n = dn * (1 - n ** 2)
    dr, dh_n = da_n * h_n, da_n * r
    # r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z): sigmoid' = s (1 - s)
    da_r, da_z = dr * r * (1 - r), dz * z * (1 - z)
    # gradients of the input part xp and of the hidden part hp, in gate order r, z, n:
    # they differ only in n, where r scales the hidden part
    dxp = np.concatenate([da_r, da_z, da_n], axis=1)
    dhp = np.concatenate([da_r, da_z, dh_n], axis=1)
    dx = dxp @ W_ih                       # xp = x W_ih^T + b_ih
    dh_prev = dh_direct + dhp @ W_hh      # hp = h_prev W_hh^T + b_hh, and h_prev's own path
    grads = {"W_ih": dxp.T @ x, "W_hh": dhp.T @ h_prev,
             "b_ih": dxp.sum(axis=0), "b_hh": dhp.sum(axis=0)}
    return dx, dh_prev, grads


def gru_forward(x, h0, params):
    """Run the GRU over a sequence from the initial state h0.

    x: (T, B, D), h0: (B, H). Returns hs (T, B, H), the states h_1 ... h_T, and the
    cache for `gru_backward` (a list with one step cache per time step).
    """
    D, H = check_gate_params(params, GATES)
    check_shape("x (T, B, D)", x, (None, None, D))
    check_shape("h0 (B, H)", h0, (x.shape[1], H))
    if len(x) == 0:
        raise ValueError("x: the sequence is empty (T = 0)")
    hs, cache = [], []
    h = h0
    for x_t in x:
        h, step_cache = gru_step_forward(x_t, h, params)
        hs.append(h)
        cache.append(step_cache)
    return np.stack(hs), cache


def gru_backward(dhs, cache):
    """Backpropagation through time for the GRU.

    dhs: (T, B, H), the gradient of the loss with respect to each output state h_t.
    The gradient reaching h_t is dhs[t] plus what flows back from h_{t+1}.
    Returns dx (T, B, D), dh0 (B, H) and grads summed over time.
    """
    x, h_prev = cache[0][0], cache[0][1]
    check_shape("dhs (T, B, H)", dhs, (len(cache), x.shape[0], h_prev.shape[1]))
    # the same loop as the vanilla RNN's: only the step differs
    return rnn_backward(dhs, cache, step_backward=gru_step_backward)


# --- weights to and from torch.nn.GRU / nn.GRUCell ----------------------------------------

def params_from_torch(module, layer=0):
    """Copy the weights of a torch.nn.GRU (layer `layer`) or nn.GRUCell into a float64 dict.

    Works for any module with torch.nn's parameter names (rnnlib.layers.GRU,
    rnnlib.cells.GRUCell). A module built with bias=False gives zero biases.
    Returns {"W_ih": (3H, D), "W_hh": (3H, H), "b_ih": (3H,), "b_hh": (3H,)}.
    """
    return gate_params_from_torch(module, layer, GATES, "a GRU")


def params_to_torch(params, module, layer=0):
    """Copy a GRU params dict into a torch.nn.GRU (layer `layer`) or nn.GRUCell (or
    rnnlib's GRU, GRUCell), in place, keeping the module's dtype and device.
    Returns the module."""
    check_gate_params(params, GATES)
    check_torch_gates(module, layer, GATES, "a GRU")  # refuses an LSTM or an RNN
    return _copy_params_to_torch(params, module, layer)
