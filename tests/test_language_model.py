import math

import numpy as np
import pytest
import torch

from rnnlib.data import CharVocab
from rnnlib.apps.language_model import (CharLM, bits_per_char, known_word_fraction, lm_chunk_loss,
                                        next_char_probs, sample, text_chunks, words)
from rnnlib.tbptt import TBPTTLoss

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 4
VOCAB = CharVocab(TEXT)
V, H = len(VOCAB), 16


def model_for(cell, seed=0, embed=None):
    torch.manual_seed(seed)
    return CharLM(V, H, cell, embed=embed)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embed", [None, 8])
def test_forward_shapes_and_state(cell, embed):
    model = model_for(cell, embed=embed)
    x = torch.randint(0, V, (7, 3))
    logits, state = model(x)
    assert logits.shape == (7, 3, V)
    states = state if cell == "lstm" else (state,)
    assert len(states) == (2 if cell == "lstm" else 1)
    assert all(s.shape == (1, 3, H) for s in states)
    logits2, _ = model(x[:2], state)  # the returned state is accepted back
    assert logits2.shape == (2, 3, V)


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="cell"):
        CharLM(V, H, "transformer")
    with pytest.raises(ValueError, match="hidden"):
        CharLM(V, 0, "gru")
    with pytest.raises(ValueError, match="x"):
        model_for("gru")(torch.zeros(4, 2))  # floats, not ids
    with pytest.raises(ValueError, match="x"):
        model_for("gru")(torch.zeros(4, dtype=torch.long))  # (T,) instead of (T, B)


def test_lstm_starts_with_forget_bias_one():
    lstm = model_for("lstm").rnn
    forget = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[H:2 * H]
    assert torch.allclose(forget, torch.ones(H))


def test_text_chunks_are_consecutive_and_shifted():
    ids = VOCAB.encode(TEXT)
    chunks = text_chunks(ids, batch_size=4, seq_len=5)
    n = len(ids) // 4
    assert len(chunks) == (n - 1) // 5
    for i, (x, y) in enumerate(chunks):
        assert x.shape == y.shape == (5, 4) and x.dtype == torch.long
        assert torch.equal(x[1:], y[:-1])  # y is x one step later
        assert torch.equal(x[:, 1], torch.as_tensor(ids[n + 5 * i: n + 5 * i + 5]))  # column 1 reads on


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_tbptt_carries_the_state_across_chunks(cell):
    # Two chunks trained by TBPTTLoss give the losses of one pass over the whole stretch:
    # the second chunk starts from the (detached) state the first one ended in.
    model = model_for(cell).double()
    ids = VOCAB.encode(TEXT)
    (x1, y1), (x2, y2) = text_chunks(ids, batch_size=3, seq_len=6)[:2]
    loss_fn = TBPTTLoss(lm_chunk_loss)
    loss1, metrics1 = loss_fn(model, (x1, y1))
    loss2, _ = loss_fn(model, (x2, y2))
    states = loss_fn.state if cell == "lstm" else (loss_fn.state,)
    assert all(not s.requires_grad for s in states), "the carried state must be detached"

    logits, _ = model(torch.cat([x1, x2]))
    full = torch.nn.functional.cross_entropy(logits[6:].flatten(0, 1), y2.flatten())
    assert abs(loss2.item() - full.item()) < 1e-12
    fresh = torch.nn.functional.cross_entropy(model(x2)[0].flatten(0, 1), y2.flatten())
    assert abs(loss2.item() - fresh.item()) > 1e-6, "starting from zeros must differ"
    assert abs(metrics1["bpc"].item() - loss1.item() / math.log(2)) < 1e-12


def test_bits_per_char_does_not_depend_on_chunk_length():
    model = model_for("gru").double()
    ids = VOCAB.encode(TEXT)
    short = bits_per_char(model, text_chunks(ids, batch_size=2, seq_len=5))
    n = len(ids) // 2
    span = ((n - 1) // 5) * 5  # the characters the short chunks cover
    whole = bits_per_char(model, text_chunks(ids[:2 * n].reshape(2, n)[:, :span + 1].reshape(-1),
                                             batch_size=2, seq_len=span))
    assert abs(short - whole) < 1e-10
    assert model.training, "bits_per_char must restore training mode"


def test_untrained_model_is_near_uniform():
    model = model_for("lstm")
    bpc = bits_per_char(model, text_chunks(VOCAB.encode(TEXT), batch_size=4, seq_len=10))
    assert abs(bpc - math.log2(V)) < 0.15, f"untrained bpc {bpc:.3f} vs log2(V) = {math.log2(V):.3f}"


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        next_char_probs(torch.zeros(V), temperature)
    with pytest.raises(ValueError, match="temperature"):
        sample(model_for("gru"), VOCAB, "F", 5, temperature=temperature)


def test_temperature_sharpens_and_flattens():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])
    cold, one, hot = (next_char_probs(logits, t) for t in (0.5, 1.0, 2.0))
    assert torch.allclose(one, torch.softmax(logits, 0))
    assert cold[0] > one[0] > hot[0] and cold[-1] < one[-1] < hot[-1]
    assert torch.allclose(next_char_probs(logits, 1e6), torch.full((4,), 0.25), atol=1e-5)


def test_sampling_repeats_with_the_same_generator():
    model = model_for("lstm")
    draw = lambda seed, t=1.0: sample(model, VOCAB, "First", 40, t, torch.Generator().manual_seed(seed))
    a, b, c = draw(0), draw(0), draw(1)
    assert a == b and a != c
    assert len(a) == 40 and set(a) <= set(VOCAB.chars)
    # a very low temperature is (almost) greedy: the generator no longer matters
    assert draw(0, 1e-4) == draw(1, 1e-4)
    assert sample(model, VOCAB, "F", 0) == ""
    with pytest.raises(ValueError, match="prime"):
        sample(model, VOCAB, "", 5)


def test_words_and_known_word_fraction():
    assert words("Speak, speak! O'er the hill -- 'tis") == ["speak", "speak", "o'er", "the", "hill", "tis"]
    known = set(words(TEXT))
    assert known_word_fraction("speak, citizen", known) == 1.0
    assert known_word_fraction("speak xqzt", known) == 0.5
    assert np.isnan(known_word_fraction("... !!", known))
