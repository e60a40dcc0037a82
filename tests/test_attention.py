"""Tests for rnnlib.seq2seq.attention: masked softmax, additive and multiplicative attention,
scaled dot-product attention."""
import math

import pytest
import torch

from rnnlib.seq2seq.attention import (AdditiveAttention, MultiplicativeAttention, masked_softmax,
                                      scaled_dot_product_attention)


def lengths_mask(lengths, S):
    return torch.arange(S)[None, :] < torch.tensor(lengths)[:, None]


def modules(Hq=6, Hk=6):
    torch.manual_seed(0)
    return [AdditiveAttention(Hq, Hk, 5), MultiplicativeAttention(Hq, Hk, "dot"),
            MultiplicativeAttention(Hq, Hk, "general")]


def test_masked_softmax_rows_sum_to_one_and_padding_gets_exactly_zero():
    scores = torch.randn(3, 5)
    mask = lengths_mask([5, 2, 1], 5)
    w = masked_softmax(scores, mask)
    torch.testing.assert_close(w.sum(-1), torch.ones(3))
    assert (w[~mask] == 0).all()
    torch.testing.assert_close(w[1, :2], torch.softmax(scores[1, :2], -1))


def test_masked_softmax_without_mask_is_softmax():
    scores = torch.randn(2, 4)
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, -1))


def test_masked_softmax_rejects_a_row_with_nothing_to_attend_to():
    with pytest.raises(ValueError, match="at least one"):
        masked_softmax(torch.randn(2, 3), lengths_mask([3, 0], 3))


def test_masked_softmax_rejects_a_non_bool_mask():
    with pytest.raises(ValueError, match="bool"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 3))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_attention_weights_sum_to_one_and_ignore_padding(index):
    attn = modules()[index]
    B, S = 4, 7
    query, keys = torch.randn(B, 6), torch.randn(B, S, 6)
    mask = lengths_mask([7, 3, 1, 5], S)
    context, weights = attn(query, keys, mask)
    assert context.shape == (B, 6) and weights.shape == (B, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B))
    assert (weights[~mask] == 0).all()
    # Changing what sits in the padded positions changes nothing.
    altered = keys.clone()
    altered[~mask] = 100 * torch.randn(int((~mask).sum()), 6)
    context2, weights2 = attn(query, altered, mask)
    torch.testing.assert_close(context2, context)
    torch.testing.assert_close(weights2, weights)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_attention_context_is_the_weighted_sum_of_keys(index):
    attn = modules()[index]
    query, keys = torch.randn(3, 6), torch.randn(3, 4, 6)
    context, weights = attn(query, keys)
    torch.testing.assert_close(context, torch.einsum("bs,bsh->bh", weights, keys))


def test_additive_scores_follow_the_equation():
    torch.manual_seed(1)
    attn = AdditiveAttention(3, 4, 5)
    q, k = torch.randn(2, 3), torch.randn(2, 6, 4)
    e = torch.tanh(q[:, None, :] @ attn.W_q.weight.T + k @ attn.W_k.weight.T + attn.W_k.bias) @ attn.v.weight[0]
    _, weights = attn(q, k)
    torch.testing.assert_close(weights, torch.softmax(e, -1))


def test_additive_precompute_gives_the_same_result():
    torch.manual_seed(2)
    attn = AdditiveAttention(3, 4, 5)
    q, k = torch.randn(2, 3), torch.randn(2, 6, 4)
    mask = lengths_mask([6, 2], 6)
    a = attn(q, k, mask)
    b = attn(q, k, mask, precomputed=attn.precompute(k))
    torch.testing.assert_close(a, b)


def test_general_scores_follow_the_equation():
    torch.manual_seed(3)
    attn = MultiplicativeAttention(3, 4, "general")
    q, k = torch.randn(2, 3), torch.randn(2, 5, 4)
    W_a = attn.W_a.weight  # (Hq, Hk): e_j = q^T W_a k_j
    e = torch.einsum("bq,qk,bsk->bs", q, W_a, k)
    torch.testing.assert_close(attn(q, k)[1], torch.softmax(e, -1))


def test_dot_attention_needs_equal_sizes():
    with pytest.raises(ValueError, match="query_size == key_size"):
        MultiplicativeAttention(4, 8, "dot")
    with pytest.raises(ValueError, match="score"):
        MultiplicativeAttention(4, 4, "cosine")


@pytest.mark.parametrize("index", [0, 1, 2])
def test_attention_wrong_shapes_raise_value_errors_naming_both_shapes(index):
    attn = modules()[index]
    with pytest.raises(ValueError, match=r"query: expected shape \(3, 6\), got \(3, 5\)"):
        attn(torch.randn(3, 5), torch.randn(3, 4, 6))
    with pytest.raises(ValueError, match=r"keys: expected shape"):
        attn(torch.randn(3, 6), torch.randn(3, 4, 2))
    with pytest.raises(ValueError, match=r"mask: expected shape \(3, 4\), got \(3, 5\)"):
        attn(torch.randn(3, 6), torch.randn(3, 4, 6), torch.ones(3, 5, dtype=torch.bool))


def test_scaled_dot_product_attention_matches_the_formula_and_torch():
    torch.manual_seed(4)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 4)
    out, w = scaled_dot_product_attention(q, k, v)
    ref_w = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(8), -1)
    torch.testing.assert_close(w, ref_w)
    torch.testing.assert_close(out, ref_w @ v)
    torch.testing.assert_close(out, torch.nn.functional.scaled_dot_product_attention(q, k, v))


def test_scaled_dot_product_attention_masks_padding_and_works_as_self_attention():
    torch.manual_seed(5)
    x = torch.randn(2, 4, 6)
    mask = lengths_mask([4, 2], 4)
    out, w = scaled_dot_product_attention(x, x, x, mask)
    assert out.shape == (2, 4, 6) and w.shape == (2, 4, 4)
    assert (w[1, :, 2:] == 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 4))
    causal = torch.tril(torch.ones(4, 4, dtype=torch.bool)).expand(2, 4, 4)
    _, wc = scaled_dot_product_attention(x, x, x, causal)
    assert (wc[:, 0, 1:] == 0).all()
    with pytest.raises(ValueError, match="k: expected shape"):
        scaled_dot_product_attention(x, torch.randn(2, 4, 5), x)
