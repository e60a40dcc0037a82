import numpy as np
import pytest
import torch

from rnnlib.cells import LSTMCell
from rnnlib.gradcheck import check_gradients
from rnnlib.layers import LSTM
from rnnlib.numpy_lstm import (init_lstm_params, lstm_backward, lstm_forward, lstm_step_backward,
                               lstm_step_forward, params_from_torch, params_to_torch, sigmoid)

D, H = 4, 6
SHAPES = [(5, 3), (1, 3), (4, 1), (1, 1)]  # (T, B)
TORCH_NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}


def random_inputs(T, B, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H)),
            rng.normal(size=(T, B, H)), rng.normal(size=(T, B, H)))


@pytest.mark.parametrize("T,B", SHAPES)
def test_forward_and_backward_equal_torch_nn_lstm(T, B):
    torch.manual_seed(T * 10 + B)
    module = torch.nn.LSTM(D, H).double()
    x, h0, c0, dhs, dcs = random_inputs(T, B, seed=T + B)
    hs, cs, cache = lstm_forward(x, h0, c0, params_from_torch(module))
    # the loss reads every h_t and every c_t (torch's output gives the h_t, c_n the last c)
    dcs[:-1] = 0
    dx, dh0, dc0, grads = lstm_backward(dhs, cache, dcs)

    xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    out, (h_n, c_n) = module(xt, (h0t[None], c0t[None]))
    ((out * torch.tensor(dhs)).sum() + (c_n[0] * torch.tensor(dcs[-1])).sum()).backward()
    assert hs.dtype == cs.dtype == np.float64 and hs.shape == cs.shape == (T, B, H)
    assert np.max(np.abs(hs - out.detach().numpy())) < 1e-10
    assert np.max(np.abs(hs[-1] - h_n[0].detach().numpy())) < 1e-10
    assert np.max(np.abs(cs[-1] - c_n[0].detach().numpy())) < 1e-10
    for ours, theirs in [(dx, xt), (dh0, h0t), (dc0, c0t)]:
        assert np.max(np.abs(ours - theirs.grad.numpy())) < 1e-10
    for name, torch_name in TORCH_NAMES.items():
        assert np.max(np.abs(grads[name] - getattr(module, torch_name).grad.numpy())) < 1e-10, name


def test_gradients_pass_numerical_gradcheck():
    rng = np.random.default_rng(1)
    params = init_lstm_params(3, 4, rng, forget_bias=1.0, scale=0.7)
    x, h0, c0 = rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    dhs, dcs = rng.normal(size=(4, 2, 4)), rng.normal(size=(4, 2, 4))  # a loss on every h_t and c_t
    _, _, cache = lstm_forward(x, h0, c0, params)
    dx, dh0, dc0, grads = lstm_backward(dhs, cache, dcs)

    def loss():
        hs, cs, _ = lstm_forward(x, h0, c0, params)
        return np.sum(hs * dhs) + np.sum(cs * dcs)

    errors = check_gradients(loss, {**params, "x": x, "h0": h0, "c0": c0},
                             {**grads, "x": dx, "h0": dh0, "c0": dc0})
    assert max(errors.values()) < 1e-7, errors


def test_backward_without_dcs_means_the_loss_reads_only_h():
    x, h0, c0, dhs, _ = random_inputs(3, 2, seed=2)
    _, _, cache = lstm_forward(x, h0, c0, init_lstm_params(D, H, np.random.default_rng(2)))
    without, with_zeros = lstm_backward(dhs, cache), lstm_backward(dhs, cache, np.zeros_like(dhs))
    for a, b in zip(without[:3], with_zeros[:3]):
        np.testing.assert_array_equal(a, b)


def test_one_step_is_the_sequence_of_length_one():
    rng = np.random.default_rng(3)
    params = init_lstm_params(D, H, rng)
    x, h0, c0, dhs, dcs = random_inputs(1, 3, seed=3)
    h, c, step_cache = lstm_step_forward(x[0], h0, c0, params)
    hs, cs, cache = lstm_forward(x, h0, c0, params)
    np.testing.assert_array_equal(h, hs[0])
    np.testing.assert_array_equal(c, cs[0])
    step = lstm_step_backward(dhs[0], dcs[0], step_cache)
    seq = lstm_backward(dhs, cache, dcs)
    np.testing.assert_array_equal(step[0], seq[0][0])
    for a, b in zip(step[1:3], seq[1:3]):  # dh_prev = dh0, dc_prev = dc0
        np.testing.assert_array_equal(a, b)
    for name in step[3]:
        np.testing.assert_array_equal(step[3][name], seq[3][name])


def test_sigmoid_is_the_logistic_function_and_does_not_overflow():
    a = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-14, atol=1e-300)
    with np.errstate(over="raise"):
        assert sigmoid(np.array([-1000.0]))[0] == 0.0 and sigmoid(np.array([1000.0]))[0] == 1.0


def test_init_lstm_params_has_torch_layouts_and_default_scale():
    params = init_lstm_params(D, H, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    assert all(v.dtype == np.float64 and np.all(np.abs(v) <= 1 / np.sqrt(H)) for v in params.values())
    assert np.max(np.abs(init_lstm_params(D, H, np.random.default_rng(0), scale=0.01)["W_hh"])) <= 0.01


def test_forget_bias_shifts_only_the_forget_gate_bias():
    plain = init_lstm_params(D, H, np.random.default_rng(0))
    shifted = init_lstm_params(D, H, np.random.default_rng(0), forget_bias=1.0)
    expected = plain["b_ih"].copy()
    expected[H:2 * H] += 1.0  # gate order i, f, g, o: f is rows H:2H
    np.testing.assert_array_equal(shifted["b_ih"], expected)
    for name in ["W_ih", "W_hh", "b_hh"]:
        np.testing.assert_array_equal(shifted[name], plain[name])
    # with zero input and state the forget gate is sigmoid(b_if + b_hf): about 0.5 before,
    # about sigmoid(1) = 0.73 after, so the cell state starts out mostly kept
    def forget_gate(p):
        return sigmoid(p["b_ih"][H:2 * H] + p["b_hh"][H:2 * H]).mean()

    assert abs(forget_gate(plain) - 0.5) < 0.1 and abs(forget_gate(shifted) - 0.73) < 0.1


@pytest.mark.parametrize("module,layer,D_in", [
    (torch.nn.LSTMCell(D, H), 0, D), (torch.nn.LSTM(D, H, num_layers=2), 1, H),  # layer 1 reads h
    (LSTMCell(D, H), 0, D), (LSTM(D, H), 0, D)])
def test_weights_round_trip_through_torch_and_rnnlib_modules(module, layer, D_in):
    params = init_lstm_params(D_in, H, np.random.default_rng(4))
    params_to_torch(params, module, layer=layer)
    back = params_from_torch(module, layer=layer)
    for name in params:  # a float32 module keeps float32 precision
        np.testing.assert_allclose(back[name], params[name], rtol=1e-6, atol=1e-7)


def test_module_without_bias_gives_zero_biases_and_refuses_nonzero_ones():
    module = torch.nn.LSTM(D, H, bias=False)
    params = params_from_torch(module)
    np.testing.assert_array_equal(params["b_ih"], np.zeros(4 * H))
    params_to_torch(params, module)  # zero biases are fine
    params["b_hh"] = np.ones(4 * H)
    with pytest.raises(ValueError, match="bias=False"):
        params_to_torch(params, module)


def test_gru_and_rnn_weights_are_refused():
    for module in [torch.nn.GRU(D, H), torch.nn.RNN(D, H)]:
        with pytest.raises(ValueError, match="not an LSTM"):
            params_from_torch(module)
        with pytest.raises(ValueError, match="not an LSTM"):
            params_to_torch(init_lstm_params(D, H, np.random.default_rng(0)), module)


def test_wrong_shapes_raise_value_error_naming_both_shapes():
    params = init_lstm_params(D, H, np.random.default_rng(0))
    x, h0 = np.zeros((5, 3, D)), np.zeros((3, H))
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(5, 3, 2\)"):
        lstm_forward(np.zeros((5, 3, 2)), h0, h0, params)
    with pytest.raises(ValueError, match=r"c0.*expected shape \(3, 6\), got \(2, 6\)"):
        lstm_forward(x, h0, np.zeros((2, H)), params)
    with pytest.raises(ValueError, match=r"h_prev.*expected shape \(3, 6\), got \(3, 5\)"):
        lstm_step_forward(x[0], np.zeros((3, 5)), h0, params)
    with pytest.raises(ValueError, match=r"W_hh.*expected shape \(24, 6\), got \(24, 7\)"):
        lstm_forward(x, h0, h0, {**params, "W_hh": np.zeros((4 * H, H + 1))})
    with pytest.raises(ValueError, match="not a multiple of 4"):
        lstm_forward(x, h0, h0, {**params, "W_ih": np.zeros((4 * H + 1, D))})
    with pytest.raises(ValueError, match="empty"):
        lstm_forward(np.zeros((0, 3, D)), h0, h0, params)
    _, _, cache = lstm_forward(x, h0, h0, params)
    with pytest.raises(ValueError, match=r"dhs.*expected shape \(5, 3, 6\), got \(4, 3, 6\)"):
        lstm_backward(np.zeros((4, 3, H)), cache)
