import numpy as np
import pytest
import torch

from rnnlib.cells import GRUCell
from rnnlib.gradcheck import check_gradients
from rnnlib.layers import GRU
from rnnlib.numpy_gru import (gru_backward, gru_forward, gru_step_backward, gru_step_forward,
                              init_gru_params, params_from_torch, params_to_torch)

D, H = 4, 6
SHAPES = [(5, 3), (1, 3), (4, 1), (1, 1)]  # (T, B)
TORCH_NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}


def random_inputs(T, B, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))


@pytest.mark.parametrize("T,B", SHAPES)
def test_forward_and_backward_equal_torch_nn_gru(T, B):
    torch.manual_seed(T * 10 + B)
    module = torch.nn.GRU(D, H).double()
    x, h0, dhs = random_inputs(T, B, seed=T + B)
    hs, cache = gru_forward(x, h0, params_from_torch(module))
    dx, dh0, grads = gru_backward(dhs, cache)

    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, h_n = module(xt, h0t[None])
    (out * torch.tensor(dhs)).sum().backward()  # L = sum(hs * dhs), so dL/dhs = dhs
    assert hs.dtype == np.float64 and hs.shape == (T, B, H)
    assert np.max(np.abs(hs - out.detach().numpy())) < 1e-10
    assert np.max(np.abs(hs[-1] - h_n[0].detach().numpy())) < 1e-10
    assert np.max(np.abs(dx - xt.grad.numpy())) < 1e-10
    assert np.max(np.abs(dh0 - h0t.grad.numpy())) < 1e-10
    for name, torch_name in TORCH_NAMES.items():
        assert np.max(np.abs(grads[name] - getattr(module, torch_name).grad.numpy())) < 1e-10, name


def test_gradients_pass_numerical_gradcheck():
    rng = np.random.default_rng(1)
    params = init_gru_params(3, 4, rng, scale=0.7)
    x, h0, dhs = rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(4, 2, 4))
    _, cache = gru_forward(x, h0, params)
    dx, dh0, grads = gru_backward(dhs, cache)

    def loss():
        return np.sum(gru_forward(x, h0, params)[0] * dhs)

    errors = check_gradients(loss, {**params, "x": x, "h0": h0}, {**grads, "x": dx, "h0": dh0})
    assert max(errors.values()) < 1e-7, errors


def test_reset_gate_scales_the_hidden_bias_of_n_so_b_in_and_b_hn_differ():
    # torch's GRU puts b_hn inside r * (...): the two n-biases are not interchangeable
    rng = np.random.default_rng(2)
    params = init_gru_params(D, H, rng)
    x, h0, dhs = random_inputs(3, 2, seed=2)
    moved = {**params, "b_ih": params["b_ih"].copy(), "b_hh": params["b_hh"].copy()}
    moved["b_ih"][2 * H:] += moved["b_hh"][2 * H:]
    moved["b_hh"][2 * H:] = 0
    assert np.max(np.abs(gru_forward(x, h0, params)[0] - gru_forward(x, h0, moved)[0])) > 1e-3
    _, _, grads = gru_backward(dhs, gru_forward(x, h0, params)[1])
    assert np.max(np.abs(grads["b_ih"][2 * H:] - grads["b_hh"][2 * H:])) > 1e-3
    np.testing.assert_allclose(grads["b_ih"][:2 * H], grads["b_hh"][:2 * H], rtol=0, atol=1e-15)


def test_one_step_is_the_sequence_of_length_one():
    rng = np.random.default_rng(3)
    params = init_gru_params(D, H, rng)
    x, h0, dhs = random_inputs(1, 3, seed=3)
    h, step_cache = gru_step_forward(x[0], h0, params)
    hs, cache = gru_forward(x, h0, params)
    np.testing.assert_array_equal(h, hs[0])
    dx, dh_prev, grads = gru_step_backward(dhs[0], step_cache)
    dxs, dh0, seq_grads = gru_backward(dhs, cache)
    np.testing.assert_array_equal(dx, dxs[0])
    np.testing.assert_array_equal(dh_prev, dh0)
    for name in grads:
        np.testing.assert_array_equal(grads[name], seq_grads[name])


def test_init_gru_params_has_torch_layouts_and_default_scale():
    params = init_gru_params(D, H, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W_ih": (3 * H, D), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}
    assert all(v.dtype == np.float64 and np.all(np.abs(v) <= 1 / np.sqrt(H)) for v in params.values())
    assert np.max(np.abs(init_gru_params(D, H, np.random.default_rng(0), scale=0.01)["W_hh"])) <= 0.01


@pytest.mark.parametrize("module,layer,D_in", [
    (torch.nn.GRUCell(D, H), 0, D), (torch.nn.GRU(D, H, num_layers=2), 1, H),  # layer 1 reads h
    (GRUCell(D, H), 0, D), (GRU(D, H), 0, D)])
def test_weights_round_trip_through_torch_and_rnnlib_modules(module, layer, D_in):
    params = init_gru_params(D_in, H, np.random.default_rng(4))
    params_to_torch(params, module, layer=layer)
    back = params_from_torch(module, layer=layer)
    for name in params:  # a float32 module keeps float32 precision
        np.testing.assert_allclose(back[name], params[name], rtol=1e-6, atol=1e-7)


def test_module_without_bias_gives_zero_biases_and_refuses_nonzero_ones():
    module = torch.nn.GRUCell(D, H, bias=False)
    params = params_from_torch(module)
    np.testing.assert_array_equal(params["b_hh"], np.zeros(3 * H))
    params_to_torch(params, module)  # zero biases are fine
    params["b_ih"] = np.ones(3 * H)
    with pytest.raises(ValueError, match="bias=False"):
        params_to_torch(params, module)


def test_lstm_and_rnn_weights_are_refused():
    for module in [torch.nn.LSTM(D, H), torch.nn.RNNCell(D, H)]:
        with pytest.raises(ValueError, match="not a GRU"):
            params_from_torch(module)
        with pytest.raises(ValueError, match="not a GRU"):
            params_to_torch(init_gru_params(D, H, np.random.default_rng(0)), module)


def test_wrong_shapes_raise_value_error_naming_both_shapes():
    params = init_gru_params(D, H, np.random.default_rng(0))
    x, h0 = np.zeros((5, 3, D)), np.zeros((3, H))
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(5, 3, 2\)"):
        gru_forward(np.zeros((5, 3, 2)), h0, params)
    with pytest.raises(ValueError, match=r"h0.*expected shape \(3, 6\), got \(2, 6\)"):
        gru_forward(x, np.zeros((2, H)), params)
    with pytest.raises(ValueError, match=r"x \(B, D\).*expected shape \(\?, 4\), got \(5, 3, 4\)"):
        gru_step_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"b_hh.*expected shape \(18\), got \(6,\)"):
        gru_forward(x, h0, {**params, "b_hh": np.zeros(H)})
    with pytest.raises(ValueError, match=r"missing \['W_hh'\]"):
        gru_forward(x, h0, {k: v for k, v in params.items() if k != "W_hh"})
    _, cache = gru_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"dhs.*expected shape \(5, 3, 6\), got \(5, 6\)"):
        gru_backward(np.zeros((5, H)), cache)
