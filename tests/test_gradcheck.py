import numpy as np
import pytest
import torch

from rnnlib.gradcheck import (check_gradients, compare_with_autograd, numerical_gradient,
                              numerical_gradient_array, rel_error)


def tanh_layer(x, W):
    return np.tanh(x @ W)


def tanh_layer_backward(x, W, dout):
    dz = dout * (1 - np.tanh(x @ W) ** 2)
    return dz @ W.T, x.T @ dz


def test_rel_error_is_zero_for_equal_and_large_for_different():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(a, a[:2])


def test_numerical_gradient_of_a_quadratic():
    x = np.array([1.0, -2.0, 0.5])
    g = numerical_gradient(lambda: np.sum(x ** 2), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored after perturbing


def test_numerical_gradient_refuses_float32():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_gradcheck_accepts_a_right_backward_and_catches_a_wrong_one():
    rng = np.random.default_rng(0)
    x, W, dout = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    dx, dW = tanh_layer_backward(x, W, dout)
    f = lambda: np.sum(tanh_layer(x, W) * dout)
    errors = check_gradients(f, {"x": x, "W": W}, {"x": dx, "W": dW})
    assert max(errors.values()) < 1e-7, errors
    # a classic bug: forgetting the tanh derivative
    wrong_dW = x.T @ dout
    errors = check_gradients(f, {"W": W}, {"W": wrong_dW})
    assert errors["W"] > 1e-2, errors
    np.testing.assert_allclose(numerical_gradient_array(lambda: tanh_layer(x, W), x, dout), dx, rtol=1e-6, atol=1e-9)


def test_check_gradients_requires_every_analytic_gradient():
    x = np.zeros(2)
    with pytest.raises(ValueError, match="no analytic gradient"):
        check_gradients(lambda: 0.0, {"x": x}, {})


def test_compare_with_autograd_matches_a_right_backward_in_float64():
    rng = np.random.default_rng(1)
    x, W, dout = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    dx, dW = tanh_layer_backward(x, W, dout)
    d = torch.tensor(dout)
    diffs = compare_with_autograd(lambda x, W: (torch.tanh(x @ W) * d).sum(), {"x": x, "W": W}, {"x": dx, "W": dW})
    assert max(diffs.values()) < 1e-12, diffs
    diffs = compare_with_autograd(lambda x, W: (torch.tanh(x @ W) * d).sum(), {"x": x, "W": W}, {"x": dx, "W": 2 * dW})
    assert diffs["W"] > 1e-3


def test_compare_with_autograd_rejects_a_non_scalar_function():
    with pytest.raises(ValueError, match="scalar"):
        compare_with_autograd(lambda x: x * 2, {"x": np.ones(3)}, {"x": np.ones(3)})
