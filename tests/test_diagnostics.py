import numpy as np
import pytest
import torch

from rnnlib.diagnostics import (grad_norm_by_lag, jacobian_product_norms, numpy_grad_norm_by_lag,
                                scale_to_spectral_radius, spectral_radius)
from rnnlib.layers import RNN
from rnnlib.numpy_rnn import init_rnn_params, params_to_torch, rnn_backward, rnn_forward

T, B, D, H = 20, 2, 3, 8


def params_with_radius(rho, seed=0):
    rng = np.random.default_rng(seed)
    params = init_rnn_params(D, H, rng)
    params["W_hh"] = scale_to_spectral_radius(rng.normal(size=(H, H)), rho)
    params["b_ih"][:] = params["b_hh"][:] = 0
    return params


def test_spectral_radius_of_numpy_and_torch_matrices():
    W = np.diag([0.5, -2.0, 1.0])
    assert spectral_radius(W) == pytest.approx(2.0)
    assert spectral_radius(torch.tensor(W)) == pytest.approx(2.0)
    rotation = np.array([[0.0, -3.0], [3.0, 0.0]])  # eigenvalues +-3i
    assert spectral_radius(rotation) == pytest.approx(3.0)
    scaled = scale_to_spectral_radius(torch.randn(5, 5), 0.9)
    assert torch.is_tensor(scaled) and spectral_radius(scaled) == pytest.approx(0.9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_norm_decays_with_lag_for_small_spectral_radius(seed):
    # around the zero state tanh' = 1, so the gradient shrinks like 0.5^lag
    params = params_with_radius(0.5, seed)
    norms = numpy_grad_norm_by_lag(np.zeros((T, B, D)), np.zeros((B, H)), params)
    assert norms.shape == (T + 1,) and norms[0] == pytest.approx(1.0)
    assert norms[-1] < 1e-3 * norms[0]
    # with real inputs tanh' < 1 only makes it shrink faster
    x = np.random.default_rng(seed).normal(size=(T, B, D))
    assert numpy_grad_norm_by_lag(x, np.zeros((B, H)), params)[-1] < 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_norm_grows_with_lag_for_large_spectral_radius(seed):
    params = params_with_radius(1.5, seed)
    norms = numpy_grad_norm_by_lag(np.zeros((T, B, D)), np.zeros((B, H)), params)
    assert norms[-1] > 1e2 * norms[0]
    assert norms[10:].mean() > norms[:10].mean()


def test_numpy_norms_are_the_norms_of_the_full_backward_pass():
    rng = np.random.default_rng(3)
    params = init_rnn_params(D, H, rng)
    x, h0, dh_last = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    norms = numpy_grad_norm_by_lag(x, h0, params, dh_last=dh_last)
    _, cache = rnn_forward(x, h0, params)
    dhs = np.zeros((T, B, H))
    dhs[-1] = dh_last  # the loss reads h_T only
    _, dh0, _ = rnn_backward(dhs, cache)
    assert norms[0] == pytest.approx(np.linalg.norm(dh_last))
    assert norms[-1] == pytest.approx(np.linalg.norm(dh0), rel=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_torch_norms_equal_numpy_norms_for_the_same_weights(nonlinearity):
    rng = np.random.default_rng(4)
    params = init_rnn_params(D, H, rng, scale=0.6)
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    expected = numpy_grad_norm_by_lag(x, h0, params, nonlinearity=nonlinearity)
    xt, h0t = torch.tensor(x), torch.tensor(h0)[None]
    for module in [torch.nn.RNN(D, H, nonlinearity=nonlinearity), RNN(D, H, nonlinearity=nonlinearity)]:
        params_to_torch(params, module.double())
        got = grad_norm_by_lag(module, xt, h0t)
        assert got.shape == (T + 1,) and np.max(np.abs(got - expected)) < 1e-10


def test_torch_norms_work_for_lstm_multilayer_and_a_custom_loss():
    torch.manual_seed(0)
    x = torch.randn(10, B, D)
    lstm_norms = grad_norm_by_lag(torch.nn.LSTM(D, H), x)  # zero initial (h, c)
    assert lstm_norms.shape == (11,) and np.all(np.isfinite(lstm_norms)) and np.all(lstm_norms[1:] > 0)
    assert lstm_norms[0] == pytest.approx(1.0, rel=1e-6)
    deep = grad_norm_by_lag(torch.nn.GRU(D, H, num_layers=2), x, loss_fn=lambda y: (y ** 2).sum())
    assert deep.shape == (11,) and np.all(deep > 0)


def test_torch_norms_do_not_touch_parameter_gradients():
    module = torch.nn.RNN(D, H)
    grad_norm_by_lag(module, torch.randn(5, B, D))
    assert all(p.grad is None for p in module.parameters())


def test_jacobian_norms_at_the_zero_state_are_norms_of_powers_of_w_hh():
    params = params_with_radius(0.9)
    norms = jacobian_product_norms(np.zeros((6, 1, D)), np.zeros((1, H)), params)
    assert norms.shape == (7, 1)
    for k in range(7):
        expected = np.linalg.norm(np.linalg.matrix_power(params["W_hh"], k), 2)
        assert norms[k, 0] == pytest.approx(expected, rel=1e-12)


def test_jacobian_norm_bounds_the_gradient_norm():
    rng = np.random.default_rng(5)
    params = init_rnn_params(D, H, rng, scale=0.8)
    x, h0 = rng.normal(size=(T, 1, D)), np.zeros((1, H))
    grad_norms = numpy_grad_norm_by_lag(x, h0, params)  # ||dh_last|| = 1
    jac_norms = jacobian_product_norms(x, h0, params)[:, 0]
    assert np.all(grad_norms <= jac_norms * (1 + 1e-12))
