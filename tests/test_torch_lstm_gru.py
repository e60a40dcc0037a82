import numpy as np
import pytest
import torch

from rnnlib import numpy_gru, numpy_lstm
from rnnlib.cells import GRUCell, LSTMCell
from rnnlib.diagnostics import grad_norm_by_lag
from rnnlib.layers import GRU, LSTM

D, H = 4, 5
LAYERS = {"LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}
CELLS = {"LSTM": (LSTMCell, torch.nn.LSTMCell), "GRU": (GRUCell, torch.nn.GRUCell)}


def max_diff(a, b):
    return float((a - b).detach().abs().max())


def grads_of(module):
    return {name: p.grad for name, p in module.named_parameters()}


def pair(classes, kind, seed, **options):
    """(torch.nn module, ours) in float64 with the same weights."""
    ours_cls, ref_cls = classes[kind]
    torch.manual_seed(seed)
    ref = ref_cls(D, H, **options).double()
    ours = ours_cls(D, H, **options).double()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def random_like(tensors):
    return [torch.randn_like(t) for t in tensors]


def as_list(state):
    """LSTM's (h, c) or GRU's h, as a list of tensors."""
    return list(state) if isinstance(state, tuple) else [state]


def initial_state(kind, shape):
    n = 2 if kind == "LSTM" else 1
    return [torch.randn(shape, dtype=torch.float64, requires_grad=True) for _ in range(n)]


def as_hx(kind, states):
    return tuple(states) if kind == "LSTM" else states[0]


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_equals_torch_cell_forward_and_backward(kind, bias):
    ref, ours = pair(CELLS, kind, seed=0, bias=bias)
    x = torch.randn(3, D, dtype=torch.float64)
    hx = initial_state(kind, (3, H))
    leaves = [[t.detach().clone().requires_grad_() for t in [x, *hx]] for _ in range(2)]
    outs = [as_list(m(xs[0], as_hx(kind, xs[1:]))) for m, xs in zip([ref, ours], leaves)]
    douts = random_like(outs[0])
    for out in outs:
        sum((o * d).sum() for o, d in zip(out, douts)).backward()
    for a, b in zip(*outs):
        assert max_diff(a, b) < 1e-10
    for a, b in zip(*leaves):  # x, h (and c)
        assert max_diff(a.grad, b.grad) < 1e-10
    for name, g in grads_of(ref).items():
        assert max_diff(g, grads_of(ours)[name]) < 1e-10, name


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("T,B,batch_first,bias", [
    (6, 3, False, True), (1, 3, True, True), (4, 1, False, False), (1, 1, True, True), (5, 2, True, False)])
def test_layer_equals_torch_nn_forward_and_backward(kind, T, B, batch_first, bias):
    ref, ours = pair(LAYERS, kind, seed=T * 10 + B, batch_first=batch_first, bias=bias)
    x = torch.randn((B, T, D) if batch_first else (T, B, D), dtype=torch.float64)
    hx = initial_state(kind, (1, B, H))
    leaves = [[t.detach().clone().requires_grad_() for t in [x, *hx]] for _ in range(2)]
    results = []
    for m, xs in zip([ref, ours], leaves):
        out, state = m(xs[0], as_hx(kind, xs[1:]))
        results.append([out, *as_list(state)])  # output, h_n (and c_n)
    assert results[1][0].shape == ((B, T, H) if batch_first else (T, B, H))
    assert all(s.shape == (1, B, H) for s in results[1][1:])
    for a, b in zip(*results):
        assert max_diff(a, b) < 1e-10
    douts = random_like(results[0])  # a loss that reads the output and the final state
    for res in results:
        sum((r * d).sum() for r, d in zip(res, douts)).backward()
    for a, b in zip(*leaves):  # x, h0 (and c0)
        assert max_diff(a.grad, b.grad) < 1e-10
    for name, g in grads_of(ref).items():
        assert max_diff(g, grads_of(ours)[name]) < 1e-10, name


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_state_dicts_load_both_ways_with_torch_names(kind):
    for classes in [LAYERS, CELLS]:
        ours_cls, ref_cls = classes[kind]
        for bias in [True, False]:
            ours, ref = ours_cls(D, H, bias=bias), ref_cls(D, H, bias=bias)
            assert list(ours.state_dict()) == list(ref.state_dict())
            assert all(ours.state_dict()[k].shape == v.shape for k, v in ref.state_dict().items())
            ref.load_state_dict(ours.state_dict())
            assert all(torch.equal(p, q) for p, q in zip(ours.parameters(), ref.parameters()))
            assert repr(ours) == repr(ref)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_missing_state_means_zeros(kind):
    ref, ours = pair(LAYERS, kind, seed=1)
    x = torch.randn(3, 2, D, dtype=torch.float64)
    zeros = [torch.zeros(1, 2, H, dtype=torch.float64)] * (2 if kind == "LSTM" else 1)
    out, state = ours(x)
    out0, state0 = ours(x, as_hx(kind, zeros))
    assert torch.equal(out, out0) and all(torch.equal(a, b) for a, b in zip(as_list(state), as_list(state0)))
    _, cell = pair(CELLS, kind, seed=1)
    a, b = cell(x[0]), cell(x[0], as_hx(kind, [z[0] for z in zeros]))
    assert all(torch.equal(p, q) for p, q in zip(as_list(a), as_list(b)))


def test_init_is_torch_uniform_bound():
    for module in [LSTM(D, 16), GRU(D, 16), LSTMCell(D, 16), GRUCell(D, 16)]:
        assert all(p.abs().max() <= 0.25 for p in module.parameters())  # 1/sqrt(16)
        assert all(p.std() > 0.1 for p in module.parameters())  # and not all zeros


def test_numpy_forward_equals_the_torch_layers():
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.normal(size=(6, 3, D)), rng.normal(size=(3, H)), rng.normal(size=(3, H))
    xt, h0t, c0t = torch.tensor(x), torch.tensor(h0)[None], torch.tensor(c0)[None]

    params = numpy_lstm.init_lstm_params(D, H, rng, forget_bias=1.0)
    out, (h_n, c_n) = numpy_lstm.params_to_torch(params, LSTM(D, H).double())(xt, (h0t, c0t))
    hs, cs, _ = numpy_lstm.lstm_forward(x, h0, c0, params)
    assert np.max(np.abs(out.detach().numpy() - hs)) < 1e-10
    assert np.max(np.abs(c_n[0].detach().numpy() - cs[-1])) < 1e-10

    params = numpy_gru.init_gru_params(D, H, rng)
    out, _ = numpy_gru.params_to_torch(params, GRU(D, H).double())(xt, h0t)
    assert np.max(np.abs(out.detach().numpy() - numpy_gru.gru_forward(x, h0, params)[0])) < 1e-10


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_grad_norm_by_lag_works_and_equals_torch_nn(kind):
    ref, ours = pair(LAYERS, kind, seed=2)
    x = torch.randn(8, 3, D, dtype=torch.float64)
    expected, got = grad_norm_by_lag(ref, x), grad_norm_by_lag(ours, x)
    assert got.shape == (9,) and np.all(np.isfinite(got)) and np.all(got[1:] > 0)
    assert np.max(np.abs(got - expected)) < 1e-10
    assert all(p.grad is None for p in ours.parameters())


def test_wrong_shapes_raise_value_error_naming_both_shapes():
    lstm, gru = LSTM(D, H), GRU(D, H, batch_first=True)
    x = torch.zeros(6, 3, D)
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(6, 3, 2\)"):
        lstm(torch.zeros(6, 3, 2))
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(3, 4\)"):
        lstm(torch.zeros(3, D))  # a missing batch (or time) dimension
    with pytest.raises(ValueError, match=r"c0.*expected shape \(1, 3, 5\), got \(3, 5\)"):
        lstm(x, (torch.zeros(1, 3, H), torch.zeros(3, H)))
    with pytest.raises(ValueError, match=r"B, T, input_size.*got \(6, 3, 2\)"):
        gru(torch.zeros(6, 3, 2))
    with pytest.raises(ValueError, match=r"h0.*expected shape \(1, 6, 5\), got \(1, 3, 5\)"):
        gru(x, torch.zeros(1, 3, H))  # batch_first: x is (B=6, T=3, D)
    with pytest.raises(ValueError, match="empty"):
        gru(torch.zeros(3, 0, D))
    with pytest.raises(ValueError, match=r"x \(B, input_size\).*expected shape \(\?, 4\), got \(3, 5\)"):
        LSTMCell(D, H)(torch.zeros(3, H))
    with pytest.raises(ValueError, match=r"h \(B, hidden_size\).*expected shape \(3, 5\), got \(2, 5\)"):
        GRUCell(D, H)(torch.zeros(3, D), torch.zeros(2, H))
