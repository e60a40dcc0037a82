"""How gradients shrink or grow as they flow back through time.

One step of an RNN, h_t = f(a_t) with a_t = x_t W_ih^T + h_{t-1} W_hh^T + b, has the
Jacobian dh_t/dh_{t-1} = diag(f'(a_t)) W_hh. A loss at the last step T reaches h_t as

    dL/dh_t = dL/dh_T  J_T J_{T-1} ... J_{t+1},    J_k = diag(f'(a_k)) W_hh,

a product of T - t Jacobians. As |f'| <= 1 (tanh, relu), the gain
||dL/dh_t|| / ||dL/dh_T|| is at most ||W_hh||_2^(T-t), and in the linear regime (small states, f' ~ 1) it grows or shrinks like
rho(W_hh)^(T-t), rho the spectral radius: below 1 the gradient from far back vanishes,
above 1 it can explode.

Every measurement here returns a numpy array indexed by lag k = T - t:
entry k belongs to h_{T-k}, from the last state (k = 0) back to the initial state (k = T).
"""
import numpy as np
import torch

from .numpy_rnn import rnn_forward, rnn_step_backward


def spectral_radius(W):
    """The largest |eigenvalue| of a square matrix (numpy array or torch tensor)."""
    if torch.is_tensor(W):
        W = W.detach().cpu().numpy()
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def scale_to_spectral_radius(W, rho):
    """W rescaled so that its spectral radius is rho (same type as W)."""
    return W * (rho / spectral_radius(W))


def _norm(grad):
    """Euclidean norm of an array, or of several together (a tuple, e.g. LSTM's (dh, dc))."""
    parts = grad if isinstance(grad, (tuple, list)) else (grad,)
    return float(np.sqrt(sum(np.sum(np.square(p)) for p in parts)))


def backprop_norms(step_backward, caches, dh_last):
    """Back-propagate dh_last from the last step to the first and record the gradient norms.

    step_backward(dh, cache) -> (dx, dh_prev, grads), caches: one per time step, as a
    numpy model's sequence forward returns them (`numpy_rnn.rnn_forward`).
    Returns norms (T + 1,): norms[k] = ||dL/dh_{T-k}||.
    """
    dh = dh_last
    norms = [_norm(dh)]
    for cache in reversed(caches):
        _, dh, _ = step_backward(dh, cache)  # dL/dh_{t-1} = dL/dh_t J_t
        norms.append(_norm(dh))
    return np.array(norms)


def numpy_grad_norm_by_lag(x, h0, params, dh_last=None, nonlinearity="tanh"):
    """||dL/dh_t|| against lag T - t for the numpy RNN, by its hand-written backward pass.

    x: (T, B, D), h0: (B, H), params as `numpy_rnn`. The loss reads only the last state:
    L = sum(dh_last * h_T), so dL/dh_T = dh_last (B, H); by default a constant matrix of
    norm 1, so the entries are the gain over the first one.
    Returns norms (T + 1,): norms[k] = ||dL/dh_{T-k}|| (Frobenius norm over the batch).
    """
    hs, caches = rnn_forward(x, h0, params, nonlinearity)
    if dh_last is None:
        dh_last = np.full(hs[-1].shape, 1 / np.sqrt(hs[-1].size))
    return backprop_norms(rnn_step_backward, caches, dh_last)


def jacobian_product_norms(x, h0, params, nonlinearity="tanh"):
    """Spectral norms of dh_T/dh_{T-k} = J_T ... J_{T-k+1}, J_t = diag(f'(a_t)) W_hh.

    Built as explicit (H, H) matrices, one per sequence in the batch, for the numpy RNN.
    x: (T, B, D), h0: (B, H). Returns norms (T + 1, B): norms[k, b] = ||dh_T/dh_{T-k}||_2
    for sequence b; norms[0] = 1 (the identity).
    """
    hs, _ = rnn_forward(x, h0, params, nonlinearity)
    T, B, H = hs.shape
    # f'(a_t) from h_t: tanh' = 1 - h^2, relu' = [h > 0]
    fprime = 1 - hs ** 2 if nonlinearity == "tanh" else (hs > 0).astype(hs.dtype)
    J = np.tile(np.eye(H), (B, 1, 1))
    norms = [np.linalg.norm(J, ord=2, axis=(1, 2))]
    for t in reversed(range(T)):
        # dh_T/dh_{t-1} = dh_T/dh_t diag(f'(a_t)) W_hh: scale the columns, then multiply
        J = (J * fprime[t][:, None, :]) @ params["W_hh"]
        norms.append(np.linalg.norm(J, ord=2, axis=(1, 2)))
    return np.array(norms)


def _map_state(fn, state):
    """fn applied to a state: one tensor, or each tensor of a tuple (LSTM's (h, c))."""
    return tuple(fn(s) for s in state) if isinstance(state, (tuple, list)) else fn(state)


def _as_tuple(state):
    return tuple(state) if isinstance(state, (tuple, list)) else (state,)


def _initial_state(module, x, h0):
    """h0, or zeros shaped like the module's state, as new leaves that require grad."""
    if h0 is None:
        with torch.no_grad():
            _, probe = module(x[:1])  # one step, only to learn the shape of the state
        h0 = _map_state(torch.zeros_like, probe)
    return _map_state(lambda s: s.detach().requires_grad_(), h0)


def grad_norm_by_lag(module, x, h0=None, loss_fn=None):
    """||dL/dh_t|| against lag T - t for a torch recurrent module, by autograd.

    module: anything with torch.nn.RNN's interface, module(x, h) -> (output, h_n):
    nn.RNN/GRU/LSTM (any number of layers; LSTM's state is the pair (h, c)) or
    rnnlib.layers.RNN. It is run one step at a time, so that every intermediate state
    is a tensor in the graph whose gradient autograd can return.
    x: (T, B, D); h0: the initial state, zeros if None.
    loss_fn(y_T) -> scalar tensor, a loss on the last output y_T (B, H); by default
    L = sum(v * y_T) with v a constant matrix of norm 1, as in `numpy_grad_norm_by_lag`.
    Returns norms (T + 1,): norms[0] = ||dL/dy_T||, norms[k] = ||dL/d state_{T-k}|| for
    k >= 1, the norm over the whole state (every layer; h and c for an LSTM).
    """
    if x.dim() != 3:
        raise ValueError(f"x: expected shape (T, B, D), got {tuple(x.shape)}")
    state = _initial_state(module, x, h0)
    states = [state]
    for x_t in x.split(1):  # one step at a time, x_t (1, B, D)
        y, state = module(x_t, state)
        states.append(state)
    y_T = y[-1]
    loss = loss_fn(y_T) if loss_fn is not None else (y_T * (1 / y_T.numel() ** 0.5)).sum()
    # The loss reads y_T, not the state after the last step, so lag 0 is y_T; then the
    # states h_{T-1}, ..., h_0, each one tensor or several (LSTM).
    groups = [(y_T,)] + [_as_tuple(s) for s in reversed(states[:-1])]
    grads = iter(torch.autograd.grad(loss, [t for g in groups for t in g], allow_unused=True))
    norms = []
    for group in groups:
        group_grads = [next(grads) for _ in group]
        # None means the loss does not depend on that tensor: a zero gradient
        norms.append(np.sqrt(sum(float(torch.sum(g.double() ** 2)) for g in group_grads if g is not None)))
    return np.array(norms)
