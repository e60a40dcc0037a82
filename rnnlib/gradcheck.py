"""Numerical gradients, as CS231n checks hand-written backward passes.

The chapters write backward passes by hand; these helpers are how we know they are
right: compare them with central differences, and with torch autograd in float64.
"""
import numpy as np
import torch


def rel_error(a, b, eps=1e-12):
    """Largest elementwise relative error |a - b| / max(eps, |a| + |b|) (CS231n's definition).

    For float64 gradients of a smooth function, below 1e-7 means the backward pass is
    right; around 1e-2 or above means it is wrong.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function f at the array x.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h). `x` is perturbed in place and
    restored, so f may close over it (that is how parameters in a dict are checked).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("numerical_gradient: x must be a float64 numpy array "
                         f"(float32 is too coarse for h={h}), got "
                         f"{type(x).__name__} {getattr(x, 'dtype', '')}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = float(f())
        x[i] = old - h
        f_minus = float(f())
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Numerical gradient of sum(f(x) * dout) for an array-valued f: the vector-Jacobian
    product that a backward pass computes when the upstream gradient is `dout`."""
    return numerical_gradient(lambda: np.sum(f() * dout), x, h)


def check_gradients(f, inputs, analytic, h=1e-5):
    """Relative error between analytic gradients and central differences, per input.

    f: a function of no arguments returning a scalar, reading the arrays in `inputs`.
    inputs: dict name -> float64 array (perturbed in place, restored).
    analytic: dict name -> the gradient your backward pass computed.
    Returns dict name -> relative error.
    """
    missing = set(inputs) - set(analytic)
    if missing:
        raise ValueError(f"check_gradients: no analytic gradient for {sorted(missing)}")
    return {name: rel_error(analytic[name], numerical_gradient(f, x, h)) for name, x in inputs.items()}


def autograd_gradients(torch_fn, inputs):
    """Gradients of a scalar torch function with respect to each input, by autograd in float64.

    torch_fn: called as torch_fn(**tensors) with float64 tensors that require grad;
    returns a scalar tensor. inputs: dict name -> numpy array.
    Returns (value, dict name -> gradient as a numpy array).
    """
    tensors = {k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True)
               for k, v in inputs.items()}
    out = torch_fn(**tensors)
    if not torch.is_tensor(out) or out.dim() != 0:
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        raise ValueError(f"autograd_gradients: torch_fn must return a scalar tensor, got {shape}")
    out.backward()
    grads = {k: (t.grad.numpy() if t.grad is not None else np.zeros(t.shape)) for k, t in tensors.items()}
    return float(out.detach()), grads


def compare_with_autograd(torch_fn, inputs, analytic):
    """Max abs difference between hand-written gradients and torch autograd, per input.

    The same computation written in torch (torch_fn, see `autograd_gradients`) gives the
    reference; in float64 a correct backward pass agrees to about 1e-12.
    Returns dict name -> max |analytic - autograd|.
    """
    _, grads = autograd_gradients(torch_fn, inputs)
    out = {}
    for k, g in grads.items():
        a = np.asarray(analytic[k], dtype=np.float64)
        if a.shape != g.shape:
            raise ValueError(f"compare_with_autograd: gradient {k!r} has shape {a.shape}, expected {g.shape}")
        out[k] = float(np.max(np.abs(a - g))) if a.size else 0.0
    return out
