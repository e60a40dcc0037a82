"""The vanilla (Elman) RNN in numpy, float64, with hand-written backward passes.

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

Shapes and names follow torch.nn.RNN: x (T, B, D), h (B, H), params a dict with
W_ih (H, D), W_hh (H, H), b_ih (H,), b_hh (H,). As in CS231n's layers, every forward
returns a cache and the matching backward consumes it. `params_from_torch` and
`params_to_torch` copy weights to and from torch.nn.RNN / nn.RNNCell, so checking this
code against torch is one assertion.

For a character model the file also has an output layer (y_t = h_t W_hy^T + b_y),
softmax cross-entropy with its gradient, and sampling.
"""
import numpy as np
import torch

from .utils import check_shape

ACTIVATIONS = ("tanh", "relu")


def init_rnn_params(D, H, rng, scale=None):
    """RNN parameters drawn from uniform(-scale, scale), float64.

    scale defaults to 1/sqrt(H), torch.nn.RNN's initialisation.
    Returns {"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}.
    """
    scale = 1 / np.sqrt(H) if scale is None else scale
    shapes = {"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
    return {name: rng.uniform(-scale, scale, size=shape) for name, shape in shapes.items()}


def check_rnn_params(params):
    """Raise ValueError unless params hold W_ih (H, D), W_hh (H, H), b_ih (H,), b_hh (H,).
    Returns (D, H)."""
    missing = {"W_ih", "W_hh", "b_ih", "b_hh"} - set(params)
    if missing:
        raise ValueError(f"params: missing {sorted(missing)}")
    H, D = params["W_ih"].shape
    check_shape("W_hh", params["W_hh"], (H, H))
    check_shape("b_ih", params["b_ih"], (H,))
    check_shape("b_hh", params["b_hh"], (H,))
    return D, H


def _check_step_inputs(x, h_prev, params, nonlinearity):
    if nonlinearity not in ACTIVATIONS:
        raise ValueError(f"nonlinearity must be one of {ACTIVATIONS}, got {nonlinearity!r}")
    D, H = check_rnn_params(params)
    check_shape("x (B, D)", x, (None, D))
    check_shape("h_prev (B, H)", h_prev, (x.shape[0], H))


def rnn_step_forward(x, h_prev, params, nonlinearity="tanh"):
    """One time step: h = f(x W_ih^T + b_ih + h_prev W_hh^T + b_hh), f = tanh or relu.

    x: (B, D), h_prev: (B, H). Returns h (B, H) and the cache for `rnn_step_backward`.
    """
    _check_step_inputs(x, h_prev, params, nonlinearity)
    a = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    cache = (x, h_prev, h, params["W_ih"], params["W_hh"], nonlinearity)
    return h, cache


def rnn_step_backward(dh, cache):
    """Backward of one step: from dL/dh (B, H) to the gradients of its inputs.

    Returns dx (B, D), dh_prev (B, H) and grads {"W_ih", "W_hh", "b_ih", "b_hh"}.
    """
    x, h_prev, h, W_ih, W_hh, nonlinearity = cache
    # da = dh * f'(a): tanh'(a) = 1 - h^2, relu'(a) = [a > 0] = [h > 0]
    da = dh * (1 - h ** 2) if nonlinearity == "tanh" else dh * (h > 0)
    dx = da @ W_ih            # a = x W_ih^T + ...   => dL/dx = da W_ih
    dh_prev = da @ W_hh       # a = h_prev W_hh^T + ... => dL/dh_prev = da W_hh
    grads = {"W_ih": da.T @ x, "W_hh": da.T @ h_prev,
             "b_ih": da.sum(axis=0), "b_hh": da.sum(axis=0)}
    return dx, dh_prev, grads


def rnn_forward(x, h0, params, nonlinearity="tanh"):
    """Run the RNN over a sequence from the initial state h0.

    x: (T, B, D), h0: (B, H). Returns hs (T, B, H), the states h_1 ... h_T, and the
    cache for `rnn_backward` (a list with one step cache per time step).
    """
    D, H = check_rnn_params(params)
    check_shape("x (T, B, D)", x, (None, None, D))
    check_shape("h0 (B, H)", h0, (x.shape[1], H))
    if len(x) == 0:
        raise ValueError("x: the sequence is empty (T = 0)")
    hs, cache = [], []
    h = h0
    for x_t in x:
        h, step_cache = rnn_step_forward(x_t, h, params, nonlinearity)
        hs.append(h)
        cache.append(step_cache)
    return np.stack(hs), cache


def rnn_backward(dhs, cache, step_backward=None):
    """Backpropagation through time.

    dhs: (T, B, H), the gradient of the loss with respect to each output state h_t
    (the loss reads h_t directly, e.g. through an output layer). The gradient reaching
    h_t is dhs[t] plus what flows back from h_{t+1}.
    Returns dx (T, B, D), dh0 (B, H) and grads summed over time.
    step_backward: one step's backward, `rnn_step_backward` by default; numpy_gru's
    `gru_backward` runs this same loop with `gru_step_backward`.
    """
    step_backward = step_backward or rnn_step_backward
    if len(dhs) != len(cache):
        raise ValueError(f"dhs: expected {len(cache)} time steps, got {len(dhs)}")
    dh_next = np.zeros_like(dhs[0])
    grads = None
    dxs = []
    for t in reversed(range(len(cache))):
        dx, dh_next, step_grads = step_backward(dhs[t] + dh_next, cache[t])
        dxs.append(dx)
        # the same weights are used at every step, so their gradients add up
        grads = step_grads if grads is None else {k: grads[k] + g for k, g in step_grads.items()}
    return np.stack(dxs[::-1]), dh_next, grads


# --- weights to and from torch.nn.RNN / nn.RNNCell --------------------------------------

def _torch_names(module, layer):
    """torch.nn.RNN names its weights weight_ih_l0, ...; nn.RNNCell weight_ih, ..."""
    suffix = f"_l{layer}" if hasattr(module, f"weight_ih_l{layer}") else ""
    if not hasattr(module, "weight_ih" + suffix):
        raise ValueError(f"{type(module).__name__} has no weight_ih_l{layer} or weight_ih")
    return {"W_ih": "weight_ih" + suffix, "W_hh": "weight_hh" + suffix,
            "b_ih": "bias_ih" + suffix, "b_hh": "bias_hh" + suffix}


def params_from_torch(module, layer=0):
    """Copy the weights of a torch.nn.RNN (layer `layer`) or nn.RNNCell into a float64 dict.

    Works for any module with torch.nn's parameter names (rnnlib.layers.RNN,
    rnnlib.cells.RNNCell). A module built with bias=False gives zero biases.
    """
    names = _torch_names(module, layer)
    W_hh = getattr(module, names["W_hh"])
    H = W_hh.shape[1]
    if W_hh.shape[0] != H:
        raise ValueError(f"{type(module).__name__} is not a vanilla RNN: weight_hh has shape "
                         f"{tuple(W_hh.shape)}, expected ({H}, {H})")
    params = {}
    for ours, theirs in names.items():
        p = getattr(module, theirs, None)
        params[ours] = np.zeros(H) if p is None else p.detach().cpu().numpy().astype(np.float64)
    return params


def params_to_torch(params, module, layer=0):
    """Copy a params dict into a torch.nn.RNN (layer `layer`) or nn.RNNCell, in place,
    keeping the module's dtype and device. Returns the module."""
    names = _torch_names(module, layer)
    with torch.no_grad():
        for ours, theirs in names.items():
            p = getattr(module, theirs, None)
            if p is None:
                if np.any(params[ours] != 0):
                    raise ValueError(f"the module has no {theirs} (bias=False) but {ours} is not zero")
                continue
            check_shape(ours, params[ours], tuple(p.shape))
            p.copy_(torch.as_tensor(params[ours]))
    return module


# --- output layer, loss and sampling for a character model -----------------------------

def init_output_params(H, V, rng):
    """Output layer parameters, uniform(-1/sqrt(H), 1/sqrt(H)) as torch.nn.Linear(H, V).
    Returns {"W_hy": (V, H), "b_y": (V,)}."""
    bound = 1 / np.sqrt(H)
    return {"W_hy": rng.uniform(-bound, bound, size=(V, H)), "b_y": rng.uniform(-bound, bound, size=V)}


def output_forward(hs, params):
    """Scores from states: y = h W_hy^T + b_y. hs: (..., H) -> y (..., V) and a cache."""
    return hs @ params["W_hy"].T + params["b_y"], (hs, params["W_hy"])


def output_backward(dy, cache):
    """Backward of `output_forward`. dy: (..., V). Returns dhs (..., H), grads {"W_hy", "b_y"}."""
    hs, W_hy = cache
    dy_flat, hs_flat = dy.reshape(-1, dy.shape[-1]), hs.reshape(-1, hs.shape[-1])
    grads = {"W_hy": dy_flat.T @ hs_flat, "b_y": dy_flat.sum(axis=0)}
    return dy @ W_hy, grads


def softmax_cross_entropy(logits, targets):
    """Mean cross-entropy of softmax(logits) against integer targets, and its gradient.

    logits: (..., V), targets: ints of shape (...). L = mean over positions of
    -log p[target], p = softmax(logits). Returns (L, dL/dlogits of shape (..., V)).
    """
    targets = np.asarray(targets)
    check_shape("targets", targets, logits.shape[:-1])
    z = logits - logits.max(axis=-1, keepdims=True)  # same softmax, no overflow in exp
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    log_p_target = np.take_along_axis(log_p, targets[..., None], axis=-1)
    # dL/dlogits = (softmax(logits) - onehot(target)) / number of positions
    onehot = np.zeros_like(log_p)
    np.put_along_axis(onehot, targets[..., None], 1.0, axis=-1)
    n = targets.size
    return -log_p_target.sum() / n, (np.exp(log_p) - onehot) / n


def rnn_sample(params, h, index, n, rng, nonlinearity="tanh"):
    """Sample n symbols from a character RNN, feeding each sample back as one-hot input.

    params: the RNN and output parameters in one dict (W_ih (H, V), ..., W_hy (V, H), b_y).
    h: the state to start from, (1, H); index: the symbol before the first sample.
    Returns a list of n ints.
    """
    V = params["W_ih"].shape[1]
    out = []
    for _ in range(n):
        x = np.zeros((1, V))
        x[0, index] = 1
        h, _ = rnn_step_forward(x, h, params, nonlinearity)
        y, _ = output_forward(h, params)
        p = np.exp(y[0] - y[0].max())  # softmax
        index = int(rng.choice(V, p=p / p.sum()))
        out.append(index)
    return out
