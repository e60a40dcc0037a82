"""Chapter 15's equalities: multi-head attention against torch, the positional encoding's
offset property, the Transformer's incremental decoding, the log-space scan against the loop,
linear attention parallel against recurrent, the Hopfield energy and the modern update."""
import numpy as np
import pytest
import torch

from rnnlib import hopfield, scan
from rnnlib.seq2seq import greedy_decode, make_batch, scaled_dot_product_attention, teacher_forcing_loss
from rnnlib.seq2seq.transformer import (MultiHeadAttention, kv_cache_size, make_transformer, offset_rotation,
                                        positional_encoding)


@pytest.mark.parametrize("heads", [1, 4])
def test_multi_head_attention_equals_torch(heads):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(16, heads, batch_first=True)
    mine = MultiHeadAttention(16, heads)
    mine.load_state_dict(ref.state_dict())
    q, kv = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[1, 4:] = False
    out, w = mine(q, kv, kv, mask)
    ref_out, ref_w = ref(q, kv, kv, key_padding_mask=~mask, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(w, ref_w, atol=1e-6, rtol=1e-5)
    assert torch.all(w[1, :, :, 4:] == 0)


def test_multi_head_attention_rejects_bad_shapes():
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match="query"):
        mha(torch.randn(2, 3, 6), torch.randn(2, 3, 8), torch.randn(2, 3, 8))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


def test_positional_encoding_offset_is_a_rotation():
    pe = positional_encoding(64, 16)
    assert torch.allclose(pe[:, 0], torch.sin(torch.arange(64.0, dtype=torch.float64)))
    for k in (1, 5, 17):
        M = offset_rotation(k, 16)
        torch.testing.assert_close(pe[:-k] @ M.T, pe[k:], rtol=0, atol=1e-12)
        torch.testing.assert_close(M @ M.T, torch.eye(16, dtype=torch.float64), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="even"):
        positional_encoding(4, 5)


def test_transformer_incremental_decoding_equals_the_parallel_pass():
    model = make_transformer(9, 9, d_model=16, heads=2, ff=32, layers=2, seed=0).eval()
    batch = make_batch([([4, 5, 6], [6, 5, 4]), ([7, 8, 4, 5, 6], [6, 5, 4, 8, 7])])
    logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
    enc = model.encode(batch.src, batch.src_lengths)
    state, steps = enc.state, []
    for t in range(batch.tgt_in.shape[0]):
        step_logits, state, w = model.decode_step(batch.tgt_in[t], state, enc)
        steps.append(step_logits)
        assert kv_cache_size(state) == 2 * 2 * 2 * (t + 1) * 16  # K and V, 2 layers, B = 2
        assert torch.allclose(w.sum(-1), torch.ones(2))
    torch.testing.assert_close(torch.stack(steps), logits, atol=1e-5, rtol=1e-4)
    # Padding does not change an example's outputs.
    alone = make_batch([([4, 5, 6], [6, 5, 4])])
    torch.testing.assert_close(model(alone.src, alone.src_lengths, alone.tgt_in)[0][:, 0], logits[:4, 0],
                               atol=1e-5, rtol=1e-4)
    loss = teacher_forcing_loss()(model, batch)
    loss.backward()
    out, _ = greedy_decode(model, batch.src, batch.src_lengths, max_len=6)
    assert len(out) == 2


@pytest.mark.parametrize("h0", [False, True])
def test_log_space_scan_equals_the_loop(h0):
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(50, 3, 4, generator=g, dtype=torch.float64), torch.rand(50, 3, 4, generator=g,
                                                                              dtype=torch.float64)
    start = torch.rand(3, 4, generator=g, dtype=torch.float64) if h0 else None
    ref = scan.linear_recurrence_loop(a, b, start)
    got = torch.exp(scan.log_space_scan(a.log(), b.log(), None if start is None else start.log()))
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=0)


def test_log_cumsum_exp_equals_torch():
    x = torch.randn(37, 3, dtype=torch.float64)
    torch.testing.assert_close(scan.log_cumsum_exp(x), torch.logcumsumexp(x, dim=0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_min_rnn_scan_equals_loop(kind):
    torch.manual_seed(0)
    layer = scan.MinRNN(3, 8, kind, num_layers=2).double()
    x = torch.randn(40, 2, 3, dtype=torch.float64)
    h0 = scan.initial_state(2, 2, 8).double()
    for start in (None, h0):
        h_scan, last = layer(x, start)
        h_loop, _ = layer(x, start, mode="loop")
        torch.testing.assert_close(h_scan, h_loop, rtol=1e-10, atol=1e-12)
        assert last.shape == (2, 2, 8)
    with pytest.raises(ValueError, match="mode"):
        layer(x, mode="fast")


def test_linear_attention_parallel_equals_recurrent():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 30, 4, generator=g, dtype=torch.float64) for _ in range(3))
    par = scan.linear_attention_parallel(q, k, v)
    rec, (S, z) = scan.linear_attention_recurrent(q, k, v)
    torch.testing.assert_close(par, rec, rtol=1e-10, atol=1e-12)
    assert S.shape == (2, 4, 4) and z.shape == (2, 4)


def test_hopfield_energy_never_rises_and_stored_patterns_are_recalled():
    rng = np.random.default_rng(0)
    patterns = rng.choice([-1.0, 1.0], size=(5, 100))
    W = hopfield.hebbian_weights(patterns)
    assert np.allclose(W, W.T) and np.all(np.diag(W) == 0)
    states = hopfield.corrupt(patterns, 0.2, rng)
    energies = [hopfield.energy(W, states)]
    hopfield.async_sweep(W, states, rng, energies)
    hopfield.async_sweep(W, states, rng, energies)
    assert np.all(np.diff(np.array(energies), axis=0) <= 1e-12)
    recalled, _ = hopfield.recall(W, states, rng)
    assert np.all(hopfield.overlap(recalled, patterns) == 1.0)
    with pytest.raises(ValueError, match="-1/\\+1"):
        hopfield.hebbian_weights(np.zeros((2, 3)))


def test_capacity_curve_falls_with_the_load():
    m = hopfield.capacity_curve(100, [0.05, 0.3], np.random.default_rng(1), trials=1)
    assert m[0] > 0.95 and m[1] < 0.8


def test_modern_hopfield_update_is_attention():
    rng = np.random.default_rng(0)
    X, xi = rng.normal(size=(6, 8)), rng.normal(size=(3, 8))
    new = hopfield.modern_hopfield_update(X, xi, beta=1 / np.sqrt(8))
    Xt = torch.as_tensor(X)[None]
    out, _ = scaled_dot_product_attention(torch.as_tensor(xi)[None], Xt, Xt)
    np.testing.assert_allclose(new, out[0].numpy(), rtol=1e-12, atol=1e-12)
