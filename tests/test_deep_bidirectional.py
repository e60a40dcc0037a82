"""Stacked and bidirectional rnnlib layers against torch.nn, and dropout between layers."""
import pytest
import torch

from rnnlib.layers import GRU, LSTM, RNN

D, H = 4, 5
KINDS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}


def max_diff(a, b):
    return float((a - b).detach().abs().max())


def pair(kind, seed, **options):
    """(torch.nn module, ours) in float64 with the same weights."""
    ours_cls, ref_cls = KINDS[kind]
    torch.manual_seed(seed)
    ref = ref_cls(D, H, **options).double()
    ours = ours_cls(D, H, **options).double()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def as_list(state):
    return list(state) if isinstance(state, tuple) else [state]


def as_hx(kind, states):
    return tuple(states) if kind == "LSTM" else states[0]


def run_both(kind, ref, ours, x, n_rows):
    """Run both modules on copies of x and of one random initial state; return the
    leaves [x, h0 (, c0)] of each and the results [output, h_n (, c_n)] of each."""
    B = x.shape[0] if ref.batch_first else x.shape[1]
    hx = [torch.randn(n_rows, B, H, dtype=torch.float64) for _ in range(2 if kind == "LSTM" else 1)]
    leaves = [[t.clone().requires_grad_() for t in [x, *hx]] for _ in range(2)]
    results = []
    for m, xs in zip([ref, ours], leaves):
        out, state = m(xs[0], as_hx(kind, xs[1:]))
        results.append([out, *as_list(state)])
    return leaves, results


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,bias", [
    (2, True, False, True), (3, True, True, True), (2, False, False, False), (1, True, False, True),
    (2, True, True, False)])
def test_stacked_bidirectional_layers_equal_torch_nn_forward_and_backward(kind, num_layers, bidirectional,
                                                                          batch_first, bias):
    T, B = 6, 3
    ref, ours = pair(kind, seed=num_layers * 10 + bidirectional, num_layers=num_layers,
                     bidirectional=bidirectional, batch_first=batch_first, bias=bias)
    K = 2 if bidirectional else 1
    x = torch.randn((B, T, D) if batch_first else (T, B, D), dtype=torch.float64)
    leaves, results = run_both(kind, ref, ours, x, num_layers * K)
    out_shape = (B, T, K * H) if batch_first else (T, B, K * H)
    assert results[1][0].shape == out_shape
    assert all(s.shape == (num_layers * K, B, H) for s in results[1][1:])  # h_n (and c_n)
    for a, b in zip(*results):
        assert a.shape == b.shape and max_diff(a, b) < 1e-10
    douts = [torch.randn_like(r) for r in results[0]]
    for res in results:
        sum((r * d).sum() for r, d in zip(res, douts)).backward()
    for a, b in zip(*leaves):  # x, h0 (and c0)
        assert max_diff(a.grad, b.grad) < 1e-10
    ref_grads = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert max_diff(ref_grads[name].grad, p.grad) < 1e-10, name


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_parameter_names_shapes_and_repr_match_torch_nn(kind):
    ours_cls, ref_cls = KINDS[kind]
    options = dict(num_layers=2, bidirectional=True, dropout=0.25, batch_first=True)
    ours, ref = ours_cls(D, H, **options), ref_cls(D, H, **options)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "weight_ih_l1_reverse" in ours.state_dict()
    assert all(ours.state_dict()[k].shape == v.shape for k, v in ref.state_dict().items())
    ref.load_state_dict(ours.state_dict())  # and back
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_same_seed_gives_torch_nn_initial_weights(kind):
    ours_cls, ref_cls = KINDS[kind]
    torch.manual_seed(3)
    ours = ours_cls(D, H, num_layers=2, bidirectional=True)
    torch.manual_seed(3)
    ref = ref_cls(D, H, num_layers=2, bidirectional=True)
    assert all(torch.equal(p, q) for p, q in zip(ours.parameters(), ref.parameters()))


def test_reverse_direction_reads_the_sequence_backwards():
    # the backward half of output[t] depends only on inputs t..T-1, the forward half on 0..t
    torch.manual_seed(0)
    layer = GRU(D, H, bidirectional=True).double()
    x = torch.randn(7, 2, D, dtype=torch.float64)
    x2 = x.clone()
    x2[5:] += 1.0  # change the future from t = 5 on
    out, out2 = layer(x)[0], layer(x2)[0]
    assert torch.equal(out[:5, :, :H], out2[:5, :, :H])      # forward states before t = 5 unchanged
    assert not torch.allclose(out[:5, :, H:], out2[:5, :, H:])  # backward states see the future
    assert torch.equal(out[:, :, H:], layer(x)[0][:, :, H:])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_only_in_training_mode(kind):
    ref, ours = pair(kind, seed=5, num_layers=3, bidirectional=True, dropout=0.5)
    x = torch.randn(6, 3, D, dtype=torch.float64)
    ref.eval(), ours.eval()
    out_eval, state_eval = ours(x)
    out_ref, state_ref = ref(x)
    assert max_diff(out_eval, out_ref) < 1e-10  # eval mode: no dropout, equal to torch.nn
    assert all(max_diff(a, b) < 1e-10 for a, b in zip(as_list(state_eval), as_list(state_ref)))
    assert torch.equal(ours(x)[0], out_eval)  # and deterministic
    ours.train()
    torch.manual_seed(0)
    out1 = ours(x)[0]
    torch.manual_seed(1)
    out2 = ours(x)[0]
    assert not torch.allclose(out1, out_eval) and not torch.allclose(out1, out2)


def test_no_dropout_after_the_last_layer_nor_before_the_first():
    # with dropout=1 every input to layer 2 is zeroed, so the output must equal what the
    # top layer computes from an all-zero input; the first layer still sees x
    torch.manual_seed(0)
    deep = RNN(D, H, num_layers=2, dropout=1.0).double().train()
    top = RNN(H, H).double()
    top.load_state_dict({k.replace("_l1", "_l0"): v for k, v in deep.state_dict().items() if "_l1" in k})
    x = torch.randn(4, 2, D, dtype=torch.float64)
    out, h_n = deep(x)
    expected, _ = top(torch.zeros(4, 2, H, dtype=torch.float64))
    assert max_diff(out, expected) < 1e-12  # no dropout applied to the output itself
    first = RNN(D, H).double()
    first.load_state_dict({k: v for k, v in deep.state_dict().items() if "_l0" in k})
    assert max_diff(h_n[0], first(x)[1][0]) < 1e-12  # layer 1 ran on undropped x


def test_bad_options_and_state_shapes_raise_value_error():
    with pytest.raises(ValueError, match="num_layers"):
        LSTM(D, H, num_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        GRU(D, H, num_layers=2, dropout=1.5)
    with pytest.warns(UserWarning, match="num_layers=1"):
        RNN(D, H, dropout=0.3)
    layer = LSTM(D, H, num_layers=2, bidirectional=True)
    x = torch.zeros(6, 3, D)
    with pytest.raises(ValueError, match=r"h0 \(num_layers \* num_directions.*expected shape \(4, 3, 5\), got \(2, 3, 5\)"):
        layer(x, (torch.zeros(2, 3, H), torch.zeros(4, 3, H)))
    with pytest.raises(ValueError, match=r"c0.*expected shape \(4, 3, 5\), got \(1, 3, 5\)"):
        layer(x, (torch.zeros(4, 3, H), torch.zeros(1, 3, H)))
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(6, 3, 10\)"):
        layer(torch.zeros(6, 3, 2 * H))  # the second layer's input size is not the first's
