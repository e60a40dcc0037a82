import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnlib.gradcheck import check_gradients
from rnnlib.numpy_rnn import (init_output_params, init_rnn_params, output_backward, output_forward,
                              params_from_torch, params_to_torch, rnn_backward, rnn_forward,
                              rnn_sample, rnn_step_backward, rnn_step_forward, softmax_cross_entropy)

T, B, D, H = 5, 3, 4, 6


def torch_rnn_and_inputs(nonlinearity, seed=0):
    torch.manual_seed(seed)
    module = torch.nn.RNN(D, H, nonlinearity=nonlinearity).double()
    rng = np.random.default_rng(seed)
    return module, rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_forward_equals_torch_nn_rnn(nonlinearity):
    module, x, h0, _ = torch_rnn_and_inputs(nonlinearity)
    hs, _ = rnn_forward(x, h0, params_from_torch(module), nonlinearity)
    expected, h_n = module(torch.tensor(x), torch.tensor(h0)[None])
    assert hs.dtype == np.float64
    assert np.max(np.abs(hs - expected.detach().numpy())) < 1e-10
    assert np.max(np.abs(hs[-1] - h_n[0].detach().numpy())) < 1e-10


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_backward_equals_torch_autograd(nonlinearity):
    module, x, h0, dhs = torch_rnn_and_inputs(nonlinearity)
    hs, cache = rnn_forward(x, h0, params_from_torch(module), nonlinearity)
    dx, dh0, grads = rnn_backward(dhs, cache)

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    out, _ = module(xt, h0t[None])
    (out * torch.tensor(dhs)).sum().backward()  # L = sum(hs * dhs), so dL/dhs = dhs
    expected = {"W_ih": module.weight_ih_l0.grad, "W_hh": module.weight_hh_l0.grad,
                "b_ih": module.bias_ih_l0.grad, "b_hh": module.bias_hh_l0.grad}
    assert np.max(np.abs(dx - xt.grad.numpy())) < 1e-10
    assert np.max(np.abs(dh0 - h0t.grad.numpy())) < 1e-10
    for name, g in expected.items():
        assert np.max(np.abs(grads[name] - g.numpy())) < 1e-10, name


def test_gradients_pass_numerical_gradcheck():
    rng = np.random.default_rng(1)
    params = init_rnn_params(3, 4, rng, scale=0.5)
    x, h0, dhs = rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(4, 2, 4))
    _, cache = rnn_forward(x, h0, params)
    dx, dh0, grads = rnn_backward(dhs, cache)

    def loss():
        return np.sum(rnn_forward(x, h0, params)[0] * dhs)

    errors = check_gradients(loss, {**params, "x": x, "h0": h0}, {**grads, "x": dx, "h0": dh0})
    assert max(errors.values()) < 1e-7, errors


def test_one_step_is_the_sequence_of_length_one():
    rng = np.random.default_rng(2)
    params = init_rnn_params(D, H, rng)
    x, h0, dh = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    h, step_cache = rnn_step_forward(x, h0, params)
    hs, cache = rnn_forward(x[None], h0, params)
    np.testing.assert_array_equal(h, hs[0])
    dx, dh_prev, grads = rnn_step_backward(dh, step_cache)
    dxs, dh0, seq_grads = rnn_backward(dh[None], cache)
    np.testing.assert_array_equal(dx, dxs[0])
    np.testing.assert_array_equal(dh_prev, dh0)
    for name in grads:
        np.testing.assert_array_equal(grads[name], seq_grads[name])


def test_init_rnn_params_has_torch_layouts_and_default_scale():
    params = init_rnn_params(D, H, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
    assert all(v.dtype == np.float64 and np.all(np.abs(v) <= 1 / np.sqrt(H)) for v in params.values())
    assert np.max(np.abs(init_rnn_params(D, H, np.random.default_rng(0), scale=0.01)["W_hh"])) <= 0.01


def test_weights_round_trip_through_torch_rnn_and_rnn_cell():
    rng = np.random.default_rng(3)
    cases = [(torch.nn.RNNCell(D, H), 0, init_rnn_params(D, H, rng)),
             (torch.nn.RNN(D, H, num_layers=2), 1, init_rnn_params(H, H, rng))]  # layer 1 reads h
    for module, layer, params in cases:
        params_to_torch(params, module, layer=layer)
        back = params_from_torch(module, layer=layer)
        for name in params:  # a float32 module keeps float32 precision
            np.testing.assert_allclose(back[name], params[name], rtol=1e-6, atol=1e-7)


def test_module_without_bias_gives_zero_biases_and_refuses_nonzero_ones():
    module = torch.nn.RNN(D, H, bias=False)
    params = params_from_torch(module)
    np.testing.assert_array_equal(params["b_ih"], np.zeros(H))
    params_to_torch(params, module)  # zero biases are fine
    params["b_hh"] = np.ones(H)
    with pytest.raises(ValueError, match="bias=False"):
        params_to_torch(params, module)


def test_lstm_weights_are_refused():
    with pytest.raises(ValueError, match="not a vanilla RNN"):
        params_from_torch(torch.nn.LSTM(D, H))


def test_wrong_shapes_raise_value_error_naming_both_shapes():
    rng = np.random.default_rng(0)
    params = init_rnn_params(D, H, rng)
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(5, 3, 2\)"):
        rnn_forward(np.zeros((5, 3, 2)), np.zeros((3, H)), params)
    with pytest.raises(ValueError, match=r"h0.*expected shape \(3, 6\), got \(2, 6\)"):
        rnn_forward(np.zeros((5, 3, D)), np.zeros((2, H)), params)
    with pytest.raises(ValueError, match="W_hh"):
        rnn_step_forward(np.zeros((3, D)), np.zeros((3, H)), {**params, "W_hh": np.zeros((H, H + 1))})
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_forward(np.zeros((5, 3, D)), np.zeros((3, H)), params, nonlinearity="sigmoid")


def test_softmax_cross_entropy_equals_torch_and_its_gradient_is_right():
    rng = np.random.default_rng(4)
    logits, targets = rng.normal(size=(3, 2, 5)) * 3, rng.integers(0, 5, size=(3, 2))
    loss, dlogits = softmax_cross_entropy(logits, targets)
    lt = torch.tensor(logits, requires_grad=True)
    expected = F.cross_entropy(lt.reshape(-1, 5), torch.tensor(targets).reshape(-1))
    expected.backward()
    assert abs(loss - expected.item()) < 1e-12
    assert np.max(np.abs(dlogits - lt.grad.numpy())) < 1e-12
    # large logits must not overflow
    assert np.isfinite(softmax_cross_entropy(logits * 1000, targets)[0])


def test_output_layer_gradients_pass_gradcheck():
    rng = np.random.default_rng(5)
    params = init_output_params(4, 5, rng)
    hs, targets = rng.normal(size=(3, 2, 4)), rng.integers(0, 5, size=(3, 2))
    y, cache = output_forward(hs, params)
    _, dy = softmax_cross_entropy(y, targets)
    dhs, grads = output_backward(dy, cache)

    def loss():
        return softmax_cross_entropy(output_forward(hs, params)[0], targets)[0]

    errors = check_gradients(loss, {**params, "hs": hs}, {**grads, "hs": dhs})
    assert max(errors.values()) < 1e-7, errors


def test_character_model_in_numpy_learns_a_repeating_sequence():
    # the pieces of chapter 01's model fit together: the loss on "0 1 2 3 0 1 2 3 ..." falls
    rng = np.random.default_rng(0)
    V, Hs, steps = 4, 16, 60
    params = {**init_rnn_params(V, Hs, rng), **init_output_params(Hs, V, rng)}
    seq = np.arange(13) % V
    x, targets = np.eye(V)[seq[:-1]][:, None, :], seq[1:, None]  # (12, 1, V), (12, 1)
    losses = []
    for _ in range(steps):
        hs, cache = rnn_forward(x, np.zeros((1, Hs)), params)
        y, out_cache = output_forward(hs, params)
        loss, dy = softmax_cross_entropy(y, targets)
        dhs, out_grads = output_backward(dy, out_cache)
        _, _, grads = rnn_backward(dhs, cache)
        for name, g in {**grads, **out_grads}.items():
            params[name] -= 0.5 * g
        losses.append(loss)
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])
    # and sampling from it continues the cycle
    h, _ = rnn_forward(x[:3], np.zeros((1, Hs)), params)  # has read 0 1 2; feed 3 next
    assert rnn_sample(params, h[-1], 3, 4, np.random.default_rng(0)) == [0, 1, 2, 3]


def test_sampling_is_reproducible_and_in_range():
    rng = np.random.default_rng(6)
    params = {**init_rnn_params(7, 5, rng), **init_output_params(5, 7, rng)}
    a = rnn_sample(params, np.zeros((1, 5)), 0, 20, np.random.default_rng(1))
    b = rnn_sample(params, np.zeros((1, 5)), 0, 20, np.random.default_rng(1))
    assert a == b and len(a) == 20 and all(isinstance(i, int) and 0 <= i < 7 for i in a)
