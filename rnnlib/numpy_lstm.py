"""The LSTM in numpy, float64, with hand-written backward passes.

    i_t = sigmoid(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)     input gate
    f_t = sigmoid(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)     forget gate
    g_t = tanh(x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)        candidate cell
    o_t = sigmoid(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)     output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Shapes, names and layouts follow torch.nn.LSTM: x (T, B, D), h and c (B, H), params a
dict with W_ih (4H, D), W_hh (4H, H), b_ih (4H,), b_hh (4H,), the four gates stacked in
the order i, f, g, o (W_ih = [W_ii; W_if; W_ig; W_io]). So all four gates come from one
matrix product with x and one with h, then a split. As in numpy_rnn, every forward
returns a cache and the matching backward consumes it; `params_from_torch` and
`params_to_torch` copy weights to and from torch.nn.LSTM / nn.LSTMCell.

`sigmoid`, `check_gate_params`, `check_torch_gates` and `gate_params_from_torch` are
shared with numpy_gru.
"""
import numpy as np

from .numpy_rnn import _torch_names
from .numpy_rnn import params_to_torch as _copy_params_to_torch
from .utils import check_shape

GATES = 4  # i, f, g, o


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), without overflow in exp: with
    e = exp(-|a|) <= 1 it is 1 / (1 + e) for a >= 0 and e / (1 + e) for a < 0."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


def check_gate_params(params, n_gates):
    """Raise ValueError unless params hold W_ih (G*H, D), W_hh (G*H, H), b_ih (G*H,),
    b_hh (G*H,) with G = n_gates. Returns (D, H)."""
    missing = {"W_ih", "W_hh", "b_ih", "b_hh"} - set(params)
    if missing:
        raise ValueError(f"params: missing {sorted(missing)}")
    check_shape(f"W_ih ({n_gates}H, D)", params["W_ih"], (None, None))
    GH, D = params["W_ih"].shape
    if GH % n_gates:
        raise ValueError(f"W_ih: expected shape ({n_gates}H, D), got {params['W_ih'].shape}, "
                         f"whose {GH} rows are not a multiple of {n_gates}")
    H = GH // n_gates
    check_shape(f"W_hh ({n_gates}H, H)", params["W_hh"], (GH, H))
    check_shape(f"b_ih ({n_gates}H,)", params["b_ih"], (GH,))
    check_shape(f"b_hh ({n_gates}H,)", params["b_hh"], (GH,))
    return D, H


def init_lstm_params(D, H, rng, forget_bias=0.0, scale=None):
    """LSTM parameters drawn from uniform(-scale, scale), float64.

    scale defaults to 1/sqrt(H), torch.nn.LSTM's initialisation. forget_bias is added to
    the forget gate's part of b_ih (rows H:2H): with forget_bias = 1 the forget gate
    starts mostly open (f ~ sigmoid(1) = 0.73), so the cell state, and its gradient,
    survive many steps from the start (Jozefowicz et al. 2015).
    Returns {"W_ih": (4H, D), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}.
    """
    scale = 1 / np.sqrt(H) if scale is None else scale
    shapes = {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    params = {name: rng.uniform(-scale, scale, size=shape) for name, shape in shapes.items()}
    params["b_ih"][H:2 * H] += forget_bias
    return params


def _check_states(x, states, H):
    """x (B, D) or (T, B, D); each named state (B, H) with x's batch size."""
    for name, s in states.items():
        check_shape(f"{name} (B, H)", s, (x.shape[-2], H))


def lstm_step_forward(x, h_prev, c_prev, params):
    """One time step of the LSTM (equations in the module docstring).

    x: (B, D), h_prev: (B, H), c_prev: (B, H).
    Returns h (B, H), c (B, H) and the cache for `lstm_step_backward`.
    """
    D, H = check_gate_params(params, GATES)
    check_shape("x (B, D)", x, (None, D))
    _check_states(x, {"h_prev": h_prev, "c_prev": c_prev}, H)
    # all four gates at once: a = x W_ih^T + b_ih + h_prev W_hh^T + b_hh, (B, 4H)
    a = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    a_i, a_f, a_g, a_o = np.split(a, GATES, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g          # c_t = f * c_{t-1} + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c                  # h_t = o * tanh(c_t)
    cache = (x, h_prev, c_prev, i, f, g, o, tanh_c, params["W_ih"], params["W_hh"])
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward of one step: from dL/dh (B, H) and dL/dc (B, H) to the step's inputs.

    dc is the gradient reaching c_t from outside this step's h_t (from step t+1, or
    from a loss on c_t). Returns dx (B, D), dh_prev (B, H), dc_prev (B, H) and
    grads {"W_ih", "W_hh", "b_ih", "b_hh"}.
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh = cache
    # h = o * tanh(c): c reaches the loss through h and directly (dc)
    do = dh * tanh_c
    dc = dc + dh * o * (1 - tanh_c ** 2)
    # c = f * c_prev + i * g
    di, df, dg, dc_prev = dc * g, dc * c_prev, dc * i, dc * f
    # through the activations: sigmoid' = s (1 - s), tanh' = 1 - tanh^2; in gate order
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)],
                        axis=1)
    dx = da @ W_ih            # a = x W_ih^T + ...   => dL/dx = da W_ih
    dh_prev = da @ W_hh       # a = h_prev W_hh^T + ... => dL/dh_prev = da W_hh
    grads = {"W_ih": da.T @ x, "W_hh": da.T @ h_prev,
             "b_ih": da.sum(axis=0), "b_hh": da.sum(axis=0)}
    return dx, dh_prev, dc_prev, grads


def lstm_forward(x, h0, c0, params):
    """Run the LSTM over a sequence from the initial state (h0, c0).

    x: (T, B, D), h0: (B, H), c0: (B, H). Returns hs (T, B, H) and cs (T, B, H), the
    states h_1 ... h_T and c_1 ... c_T (so torch's h_n, c_n are hs[-1], cs[-1]), and the
    cache for `lstm_backward` (a list with one step cache per time step).
    """
    D, H = check_gate_params(params, GATES)
    check_shape("x (T, B, D)", x, (None, None, D))
    _check_states(x, {"h0": h0, "c0": c0}, H)
    if len(x) == 0:
        raise ValueError("x: the sequence is empty (T = 0)")
    hs, cs, cache = [], [], []
    h, c = h0, c0
    for x_t in x:
        h, c, step_cache = lstm_step_forward(x_t, h, c, params)
        hs.append(h)
        cs.append(c)
        cache.append(step_cache)
    return np.stack(hs), np.stack(cs), cache


def lstm_backward(dhs, cache, dcs=None):
    """Backpropagation through time for the LSTM.

    dhs: (T, B, H), the gradient of the loss with respect to each output state h_t.
    dcs: (T, B, H) or None, the same for each cell state c_t; None when the loss does not
    read the cell states (only the last one is usually read, e.g. when c_T is carried
    on: set dcs[-1]). The gradient reaching (h_t, c_t) is (dhs[t], dcs[t]) plus what flows
    back from step t+1.
    Returns dx (T, B, D), dh0 (B, H), dc0 (B, H) and grads summed over time.
    """
    x, h_prev = cache[0][0], cache[0][1]
    expected = (len(cache), x.shape[0], h_prev.shape[1])
    check_shape("dhs (T, B, H)", dhs, expected)
    if dcs is not None:
        check_shape("dcs (T, B, H)", dcs, expected)
    dh_next, dc_next = np.zeros_like(h_prev), np.zeros_like(h_prev)
    grads = None
    dxs = []
    for t in reversed(range(len(cache))):
        dc = dc_next if dcs is None else dc_next + dcs[t]
        dx, dh_next, dc_next, step_grads = lstm_step_backward(dhs[t] + dh_next, dc, cache[t])
        dxs.append(dx)
        # the same weights are used at every step, so their gradients add up
        grads = step_grads if grads is None else {k: grads[k] + g for k, g in step_grads.items()}
    return np.stack(dxs[::-1]), dh_next, dc_next, grads


# --- weights to and from torch.nn.LSTM / nn.LSTMCell --------------------------------------

def check_torch_gates(module, layer, n_gates, kind):
    """torch's names for the weights of `module` (layer `layer`), after checking that its
    weight_hh has shape (n_gates * H, H); kind names the expected model in the error.
    Returns (names, H), names as numpy_rnn's: {"W_ih": "weight_ih_l0", ...}."""
    names = _torch_names(module, layer)
    W_hh = getattr(module, names["W_hh"])
    H = W_hh.shape[1]
    if W_hh.shape[0] != n_gates * H:
        raise ValueError(f"{type(module).__name__} is not {kind}: weight_hh has shape "
                         f"{tuple(W_hh.shape)}, expected ({n_gates * H}, {H})")
    return names, H


def gate_params_from_torch(module, layer, n_gates, kind):
    """Copy the weights of a torch recurrent module with n_gates gates into a float64 dict.

    module: torch.nn.LSTM/GRU (layer `layer`), nn.LSTMCell/GRUCell, or rnnlib's own.
    A module built with bias=False gives zero biases.
    """
    names, H = check_torch_gates(module, layer, n_gates, kind)
    params = {}
    for ours, theirs in names.items():
        p = getattr(module, theirs, None)
        params[ours] = np.zeros(n_gates * H) if p is None else p.detach().cpu().numpy().astype(np.float64)
    return params


def params_from_torch(module, layer=0):
    """Copy the weights of a torch.nn.LSTM (layer `layer`) or nn.LSTMCell into a float64 dict.

    Works for any module with torch.nn's parameter names (rnnlib.layers.LSTM,
    rnnlib.cells.LSTMCell). A module built with bias=False gives zero biases.
    Returns {"W_ih": (4H, D), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}.
    """
    return gate_params_from_torch(module, layer, GATES, "an LSTM")


def params_to_torch(params, module, layer=0):
    """Copy an LSTM params dict into a torch.nn.LSTM (layer `layer`) or nn.LSTMCell (or
    rnnlib's LSTM, LSTMCell), in place, keeping the module's dtype and device.
    Returns the module."""
    check_gate_params(params, GATES)
    check_torch_gates(module, layer, GATES, "an LSTM")  # refuses a GRU or an RNN
    return _copy_params_to_torch(params, module, layer)
