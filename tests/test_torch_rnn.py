import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnlib import data
from rnnlib.cells import RNNCell
from rnnlib.layers import RNN
from rnnlib.numpy_rnn import init_rnn_params, params_to_torch, rnn_forward
from rnnlib.tbptt import TBPTTLoss, detach_state, stream_loss
from rnnlib.train import fit

T, B, D, H = 6, 3, 4, 5


def max_diff(a, b):
    return float((a - b).detach().abs().max())


def grads_of(module):
    return {name: p.grad.clone() for name, p in module.named_parameters()}


@pytest.mark.parametrize("nonlinearity,bias", [("tanh", True), ("relu", True), ("tanh", False)])
def test_rnn_cell_equals_torch_rnn_cell_forward_and_backward(nonlinearity, bias):
    torch.manual_seed(0)
    ref = torch.nn.RNNCell(D, H, bias=bias, nonlinearity=nonlinearity).double()
    ours = RNNCell(D, H, bias=bias, nonlinearity=nonlinearity).double()
    ours.load_state_dict(ref.state_dict())
    x, h = torch.randn(B, D, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    xs = [x.clone().requires_grad_() for _ in range(2)]
    outs = [m(xi, h) for m, xi in zip([ref, ours], xs)]
    assert max_diff(outs[0], outs[1]) < 1e-10
    dout = torch.randn(B, H, dtype=torch.float64)
    for out in outs:
        (out * dout).sum().backward()
    assert max_diff(xs[0].grad, xs[1].grad) < 1e-10
    for name, g in grads_of(ref).items():
        assert max_diff(g, grads_of(ours)[name]) < 1e-10, name


@pytest.mark.parametrize("nonlinearity,bias", [("tanh", True), ("relu", True), ("tanh", False)])
def test_rnn_layer_equals_torch_nn_rnn_forward_and_backward(nonlinearity, bias):
    torch.manual_seed(1)
    ref = torch.nn.RNN(D, H, nonlinearity=nonlinearity, bias=bias).double()
    ours = RNN(D, H, nonlinearity=nonlinearity, bias=bias).double()
    ours.load_state_dict(ref.state_dict())
    x, h0 = torch.randn(T, B, D, dtype=torch.float64), torch.randn(1, B, H, dtype=torch.float64)
    inputs = [(x.clone().requires_grad_(), h0.clone().requires_grad_()) for _ in range(2)]
    results = [m(xi, hi) for m, (xi, hi) in zip([ref, ours], inputs)]
    (out_ref, hn_ref), (out, hn) = results
    assert out.shape == (T, B, H) and hn.shape == (1, B, H)
    assert max_diff(out_ref, out) < 1e-10 and max_diff(hn_ref, hn) < 1e-10
    dout, dhn = torch.randn(T, B, H, dtype=torch.float64), torch.randn(1, B, H, dtype=torch.float64)
    for o, hn_ in results:
        ((o * dout).sum() + (hn_ * dhn).sum()).backward()
    (x_ref, h_ref), (x_ours, h_ours) = inputs
    assert max_diff(x_ref.grad, x_ours.grad) < 1e-10 and max_diff(h_ref.grad, h_ours.grad) < 1e-10
    for name, g in grads_of(ref).items():
        assert max_diff(g, grads_of(ours)[name]) < 1e-10, name


def test_state_dicts_load_both_ways_with_torch_names():
    ours, ref = RNN(D, H), torch.nn.RNN(D, H)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())
    assert list(RNNCell(D, H).state_dict()) == list(torch.nn.RNNCell(D, H).state_dict())
    assert list(RNN(D, H, bias=False).state_dict()) == list(torch.nn.RNN(D, H, bias=False).state_dict())


def test_init_is_torch_uniform_bound():
    layer = RNN(D, 16)
    assert all(p.abs().max() <= 0.25 for p in layer.parameters())  # 1/sqrt(16)
    assert layer.weight_hh_l0.std() > 0.1  # and not all zeros


def test_missing_h0_means_zeros_and_batch_first_transposes():
    torch.manual_seed(2)
    layer = RNN(D, H).double()
    x = torch.randn(T, B, D, dtype=torch.float64)
    out, hn = layer(x)
    out0, hn0 = layer(x, torch.zeros(1, B, H, dtype=torch.float64))
    assert torch.equal(out, out0) and torch.equal(hn, hn0)
    bf = RNN(D, H, batch_first=True).double()
    bf.load_state_dict(layer.state_dict())
    out_bf, hn_bf = bf(x.transpose(0, 1))
    assert out_bf.shape == (B, T, H) and torch.equal(out_bf, out.transpose(0, 1)) and torch.equal(hn_bf, hn)
    cell = RNNCell(D, H).double()
    assert torch.equal(cell(x[0]), cell(x[0], torch.zeros(B, H, dtype=torch.float64)))


def test_numpy_forward_equals_the_torch_layer():
    params = init_rnn_params(D, H, np.random.default_rng(0))
    layer = params_to_torch(params, RNN(D, H).double())
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    out, _ = layer(torch.tensor(x), torch.tensor(h0)[None])
    assert np.max(np.abs(out.detach().numpy() - rnn_forward(x, h0, params)[0])) < 1e-10


def test_wrong_shapes_raise_value_error_naming_both_shapes():
    layer, cell = RNN(D, H), RNNCell(D, H)
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(6, 3, 2\)"):
        layer(torch.zeros(T, B, 2))
    with pytest.raises(ValueError, match=r"expected shape \(\?, \?, 4\), got \(3, 4\)"):
        layer(torch.zeros(B, D))  # a missing batch (or time) dimension
    with pytest.raises(ValueError, match=r"h0.*expected shape \(1, 3, 5\), got \(3, 5\)"):
        layer(torch.zeros(T, B, D), torch.zeros(B, H))
    with pytest.raises(ValueError, match=r"B, T, input_size.*got \(6, 3, 2\)"):
        RNN(D, H, batch_first=True)(torch.zeros(T, B, 2))
    with pytest.raises(ValueError, match=r"expected shape \(\?, 4\), got \(3, 5\)"):
        cell(torch.zeros(B, H))
    with pytest.raises(ValueError, match=r"h .*expected shape \(3, 5\), got \(2, 5\)"):
        cell(torch.zeros(B, D), torch.zeros(2, H))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(D, H, nonlinearity="sigmoid")


# --- truncated BPTT ------------------------------------------------------------------------

class TinyLM(torch.nn.Module):
    """Embedding -> RNN -> linear: model(x (T, B) ints, h) -> (logits (T, B, V), h_n)."""

    def __init__(self, V=6, H=8, rnn=RNN):
        super().__init__()
        self.embed, self.rnn, self.head = torch.nn.Embedding(V, H), rnn(H, H), torch.nn.Linear(H, V)

    def forward(self, x, h=None):
        out, h = self.rnn(self.embed(x), h)
        return self.head(out), h


def chunk_loss(model, batch, h):
    x, y = (torch.as_tensor(a) for a in batch)
    logits, h = model(x, h)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten()), h


def stream_chunks(n_chunks=4, k=5, batch=2, V=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    stream = torch.randint(0, V, (n_chunks * k + 1, batch), generator=g)
    return [(stream[i:i + k], stream[i + 1:i + k + 1]) for i in range(0, n_chunks * k, k)]


def test_tbptt_carries_the_detached_final_state_into_the_next_chunk():
    torch.manual_seed(0)
    model, chunks = TinyLM(), stream_chunks()
    seen = []

    def recording_loss(model, batch, h):
        seen.append(h)
        loss, h_n = chunk_loss(model, batch, h)
        seen.append(h_n)
        return loss, h_n

    loss_fn = TBPTTLoss(recording_loss)
    loss1 = loss_fn(model, chunks[0])
    loss2 = loss_fn(model, chunks[1])
    h0_first, hn_first, h0_second = seen[0], seen[1], seen[2]
    assert h0_first is None  # the first chunk starts from zeros
    assert torch.equal(h0_second, hn_first)  # the second starts where the first ended
    assert hn_first.requires_grad and not h0_second.requires_grad and h0_second.grad_fn is None
    loss1.backward()
    loss2.backward()  # would fail ("backward through the graph a second time") if not detached


def test_tbptt_gradient_stops_at_the_chunk_boundary():
    torch.manual_seed(0)
    model, chunks = TinyLM(), stream_chunks()
    loss_fn = TBPTTLoss(chunk_loss)
    loss_fn(model, chunks[0])
    carried = loss_fn.state.clone()
    model.zero_grad()
    loss_fn(model, chunks[1]).backward()
    tbptt_grads = grads_of(model)
    # the same chunk from a constant initial state: identical gradients, so nothing flowed
    # into the first chunk
    model.zero_grad()
    chunk_loss(model, chunks[1], carried)[0].backward()
    for name, g in grads_of(model).items():
        assert torch.equal(g, tbptt_grads[name]), name


def test_tbptt_reset_and_metrics():
    model = TinyLM()
    loss_fn = TBPTTLoss(lambda m, b, h: (*chunk_loss(m, b, h), {"n": 1.0}))
    loss, metrics = loss_fn(model, stream_chunks()[0])
    assert metrics == {"n": 1.0} and loss.dim() == 0 and loss_fn.state is not None
    loss_fn.reset()
    assert loss_fn.state is None
    with pytest.raises(ValueError, match="final_state"):
        TBPTTLoss(lambda m, b, h: chunk_loss(m, b, h)[0])(model, stream_chunks()[0])


def test_tbptt_carries_lstm_state_pairs():
    model, chunks = TinyLM(rnn=torch.nn.LSTM), stream_chunks()
    loss_fn = TBPTTLoss(chunk_loss)
    loss_fn(model, chunks[0]).backward()
    h, c = loss_fn.state
    assert h.shape == c.shape == (1, 2, 8) and not h.requires_grad and not c.requires_grad
    loss_fn(model, chunks[1]).backward()
    assert detach_state(None) is None


def test_tbptt_trains_with_fit_and_stream_loss_evaluates_with_carried_state():
    torch.manual_seed(0)
    model, chunks = TinyLM(), stream_chunks(n_chunks=4)
    loss_fn = TBPTTLoss(chunk_loss)
    before = stream_loss(model, chunk_loss, chunks)["loss"]
    history = fit(model, loss_fn, chunks, steps=24, lr=0.03, progress=False, eval_every=12,
                  evaluate=lambda m: stream_loss(m, chunk_loss, chunks))
    assert history.stop_reason == "steps" and len(history.train["loss"]) == 24
    assert history.last("loss") < before
    # stream_loss is the mean of the chunk losses with the state carried
    with torch.no_grad():
        h, losses = None, []
        for batch in chunks:
            loss, h = chunk_loss(model, batch, h)
            losses.append(float(loss))
    assert stream_loss(model, chunk_loss, chunks)["loss"] == pytest.approx(np.mean(losses), abs=1e-12)


def test_tbptt_state_follows_the_text_of_lm_batches():
    # chunks from rnnlib.data: carrying the state over two chunks gives the same states as
    # one pass over the concatenated chunk
    torch.manual_seed(0)
    model = TinyLM()
    ids = np.random.default_rng(0).integers(0, 6, size=50)
    chunks = list(data.lm_batches(data.batchify(ids, 2), seq_len=5))
    loss_fn = TBPTTLoss(chunk_loss)
    with torch.no_grad():
        loss_fn(model, chunks[0])
        loss_fn(model, chunks[1])
        joined = (np.concatenate([chunks[0][0], chunks[1][0]]), np.concatenate([chunks[0][1], chunks[1][1]]))
        _, h_joined = chunk_loss(model, joined, None)
    assert torch.allclose(loss_fn.state, h_joined, atol=1e-6)
