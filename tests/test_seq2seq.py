"""Tests for rnnlib.seq2seq: encoder padding, decoder steps, teacher forcing, greedy decoding,
beam search, scoring and the shared length experiment."""
import math

import numpy as np
import pytest
import torch

from rnnlib import seq2seq as s2s
from rnnlib.seq2seq.attention import AdditiveAttention
from rnnlib.text import BOS_ID, EOS_ID, pad_batch

V = 12


def random_sources(n, rng, lo=2, hi=7):
    return [list(rng.integers(4, V, size=int(rng.integers(lo, hi + 1)))) for _ in range(n)]


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_padded_batch_equals_each_example_alone(cell, bidirectional):
    torch.manual_seed(0)
    enc = s2s.Encoder(V, 5, 7, cell, bidirectional).eval()
    sources = random_sources(4, np.random.default_rng(0))
    src, lengths = pad_batch(sources)
    outputs, state = enc(src, lengths)
    assert outputs.shape == (src.shape[0], 4, 7 * (2 if bidirectional else 1))
    for b, seq in enumerate(sources):
        alone, alone_state = enc(torch.tensor(seq)[:, None], torch.tensor([len(seq)]))
        torch.testing.assert_close(outputs[: len(seq), b], alone[:, 0], atol=1e-6, rtol=1e-5)
        assert (outputs[len(seq):, b] == 0).all()
        states = state if cell == "lstm" else (state,)
        alone_states = alone_state if cell == "lstm" else (alone_state,)
        for s, a in zip(states, alone_states):
            assert s.shape == (4, 7)
            torch.testing.assert_close(s[b], a[0], atol=1e-6, rtol=1e-5)


def test_encoder_rejects_bad_inputs():
    enc = s2s.Encoder(V, 5, 7)
    with pytest.raises(ValueError, match=r"lengths: expected shape \(2\), got \(3,\)"):
        enc(torch.ones(4, 2, dtype=torch.int64), torch.tensor([4, 4, 4]))
    with pytest.raises(ValueError, match="int64"):
        enc(torch.ones(4, 2), torch.tensor([4, 4]))
    with pytest.raises(ValueError, match="lengths"):
        enc(torch.ones(4, 2, dtype=torch.int64), torch.tensor([5, 1]))
    with pytest.raises(ValueError, match="cell"):
        s2s.Encoder(V, 5, 7, "transformer")


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("attention", [None, "additive", "dot", "general"])
def test_decoder_step_shapes(cell, attention):
    model = s2s.make_model(V, V + 3, 6, 8, cell, attention)
    B, S = 3, 5
    src, lengths = pad_batch(random_sources(B, np.random.default_rng(1), 2, S))
    enc = model.encode(src, lengths)
    tokens = torch.full((B,), BOS_ID)
    logits, state, weights = model.decoder.step(tokens, enc.state, enc.memory, enc.mask, enc.precomputed)
    assert logits.shape == (B, V + 3)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (B, 8)
    if attention is None:
        assert weights is None and enc.memory is None
    else:
        assert weights.shape == (B, src.shape[0])
        torch.testing.assert_close(weights.sum(-1), torch.ones(B))
        assert (weights[~enc.mask] == 0).all()


def test_decoder_step_rejects_wrong_shapes():
    model = s2s.make_model(V, V, 6, 8, attention="additive")
    state = torch.zeros(3, 8)
    with pytest.raises(ValueError, match=r"tokens: expected shape \(\?\), got \(3, 1\)"):
        model.decoder.step(torch.zeros(3, 1, dtype=torch.int64), state, torch.zeros(3, 4, 8))
    with pytest.raises(ValueError, match=r"state: expected shape \(3, 8\), got \(3, 7\)"):
        model.decoder.step(torch.zeros(3, dtype=torch.int64), torch.zeros(3, 7), torch.zeros(3, 4, 8))
    with pytest.raises(ValueError, match="memory"):
        model.decoder.step(torch.zeros(3, dtype=torch.int64), state)


def test_seq2seq_checks_encoder_and_decoder_agree():
    enc = s2s.Encoder(V, 4, 8, bidirectional=True)
    with pytest.raises(ValueError, match="hidden_size"):
        s2s.Seq2Seq(enc, s2s.Decoder(V, 4, 6))
    with pytest.raises(ValueError, match="key_size"):
        s2s.Seq2Seq(enc, s2s.Decoder(V, 4, 8, attention=AdditiveAttention(8, 8, 4)))
    s2s.Seq2Seq(enc, s2s.Decoder(V, 4, 8, attention=AdditiveAttention(8, 16, 4)))


def batch_for(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    pairs = [(s, list(reversed(s))) for s in random_sources(n, rng)]
    return s2s.make_batch(pairs)


def test_make_batch_shifts_targets_with_bos_and_eos():
    b = s2s.make_batch([([5, 6, 7], [8, 9]), ([5], [10, 11, 4])])
    assert b.src[:, 0].tolist() == [5, 6, 7] and b.src_lengths.tolist() == [3, 1]
    assert b.tgt_in[:, 0].tolist() == [BOS_ID, 8, 9, 0]
    assert b.tgt_out[:, 0].tolist() == [8, 9, EOS_ID, 0]
    assert b.tgt_in[:, 1].tolist() == [BOS_ID, 10, 11, 4]


@pytest.mark.parametrize("attention", [None, "additive"])
def test_forward_shapes_and_teacher_forced_fast_path_equals_the_step_loop(attention):
    model = s2s.make_model(V, V, 6, 8, attention=attention)
    b = batch_for(model)
    logits, weights = model(b.src, b.src_lengths, b.tgt_in)
    T, B = b.tgt_in.shape
    assert logits.shape == (T, B, V)
    if attention is None:
        assert weights is None
    else:
        assert weights.shape == (T, B, b.src.shape[0])
    enc = model.encode(b.src, b.src_lengths)
    state, steps = enc.state, []
    for t in range(T):
        step_logits, state, _ = model.decode_step(b.tgt_in[t], state, enc)
        steps.append(step_logits)
    torch.testing.assert_close(logits, torch.stack(steps), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("ratio", [0.0, 0.5])
def test_teacher_forcing_below_one_with_a_fixed_generator_is_deterministic(ratio):
    model = s2s.make_model(V, V, 6, 8)
    b = batch_for(model, n=6)
    a, _ = model(b.src, b.src_lengths, b.tgt_in, ratio, torch.Generator().manual_seed(3))
    c, _ = model(b.src, b.src_lengths, b.tgt_in, ratio, torch.Generator().manual_seed(3))
    assert torch.equal(a, c)
    full, _ = model(b.src, b.src_lengths, b.tgt_in)
    assert not torch.allclose(a[1:], full[1:])  # the model's own tokens were fed somewhere


def test_teacher_forcing_zero_feeds_the_greedy_tokens():
    model = s2s.make_model(V, V, 6, 8, attention="dot")
    b = batch_for(model, n=5)
    logits, _ = model(b.src, b.src_lengths, b.tgt_in, teacher_forcing=0.0)
    enc = model.encode(b.src, b.src_lengths)
    state, tokens = enc.state, b.tgt_in[0]
    for t in range(b.tgt_in.shape[0]):
        step_logits, state, _ = model.decode_step(tokens, state, enc)
        torch.testing.assert_close(logits[t], step_logits)
        tokens = step_logits.argmax(-1)


def test_sequence_loss_ignores_padding():
    logits = torch.randn(3, 2, 5)
    targets = torch.tensor([[1, 2], [3, 0], [4, 0]])
    expected = torch.nn.functional.cross_entropy(
        torch.stack([logits[0, 0], logits[0, 1], logits[1, 0], logits[2, 0]]), torch.tensor([1, 2, 3, 4]))
    torch.testing.assert_close(s2s.sequence_loss(logits, targets), expected)
    with pytest.raises(ValueError, match="targets"):
        s2s.sequence_loss(logits, targets[:2])


@pytest.mark.parametrize("attention", [None, "additive"])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_beam_width_one_equals_greedy(attention, cell):
    model = s2s.make_model(V, V, 6, 16, cell, attention, seed=1).eval()
    sources = random_sources(8, np.random.default_rng(2))
    src, lengths = pad_batch(sources)
    greedy, weights = s2s.greedy_decode(model, src, lengths, BOS_ID, EOS_ID, max_len=9)
    for b, seq in enumerate(sources):
        beam = s2s.beam_search(model, torch.tensor(seq), BOS_ID, EOS_ID, max_len=9, beam_width=1)
        assert beam[0][0] == greedy[b]
        if attention is not None:
            assert weights[b].shape == (len(greedy[b]), len(seq))


def test_beam_scores_are_normalised_log_probabilities():
    model = s2s.make_model(V, V, 6, 16, seed=2).eval()
    src = torch.tensor([4, 5, 6, 7])
    for alpha in (0.0, 1.0):
        results = s2s.beam_search(model, src, max_len=6, beam_width=4, length_penalty=alpha)
        assert [r[1] for r in results] == sorted((r[1] for r in results), reverse=True)
        for tokens, score in results:
            if len(tokens) < 6:  # finished with EOS: L = len(tokens) + 1
                logp = s2s.sequence_log_prob(model, src, tokens)
                assert score == pytest.approx(logp / (len(tokens) + 1) ** alpha, abs=1e-4)


class BigramModel:
    """A stand-in for Seq2Seq whose next-token distribution depends on the last token only."""

    def __init__(self, table):
        self.logp = torch.log(torch.tensor(table))

    def encode(self, src, lengths):
        return s2s.Encoded(torch.zeros(1, 1), None, None, None)

    def decode_step(self, tokens, state, enc):
        return self.logp[tokens], state.expand(len(tokens), 1), None


def test_length_normalisation_changes_the_ranking_as_expected():
    # tokens: 0 pad, 1 BOS, 2 EOS, 3 "a". BOS -> EOS 0.5 or "a" 0.5; "a" -> EOS 0.6:
    #   []    : log 0.5 = -0.69 in total, -0.69 per token (L = 1): best by probability
    #   ["a"] : log 0.3 = -1.20 in total, -0.60 per token (L = 2): best per token
    table = [[0.01, 0.01, 0.49, 0.49],   # from pad (unused)
             [1e-6, 1e-6, 0.5, 0.5],    # from BOS
             [0.25, 0.25, 0.25, 0.25],  # from EOS (unused)
             [1e-6, 1e-6, 0.6, 0.4]]    # from "a"
    model = BigramModel(table)
    src = torch.tensor([4])
    by_prob = s2s.beam_search(model, src, max_len=5, beam_width=2, length_penalty=0.0)
    by_mean = s2s.beam_search(model, src, max_len=5, beam_width=2, length_penalty=1.0)
    assert by_prob[0][0] == [] and by_prob[0][1] == pytest.approx(math.log(0.5), abs=1e-5)
    assert by_mean[0][0] == [3] and by_mean[0][1] == pytest.approx(math.log(0.3) / 2, abs=1e-5)


def test_beam_search_finds_a_more_probable_output_than_greedy():
    # Greedy takes "a" (0.6) then is stuck with 0.5 per step; "b" (0.4) leads to EOS at 1.0.
    table = [[0.2] * 5,
             [1e-6, 1e-6, 1e-6, 0.6, 0.4],   # BOS -> a 0.6, b 0.4
             [0.2] * 5,
             [1e-6, 1e-6, 0.5, 0.5, 1e-6],   # a -> EOS 0.5, a 0.5
             [1e-6, 1e-6, 1.0, 1e-6, 1e-6]]  # b -> EOS
    model = BigramModel([[p / sum(r) for p in r] for r in table])
    greedy = s2s.beam_search(model, torch.tensor([4]), max_len=5, beam_width=1, length_penalty=0.0)
    beam = s2s.beam_search(model, torch.tensor([4]), max_len=5, beam_width=3, length_penalty=0.0)
    assert greedy[0][0] == [3] and beam[0][0] == [4]
    assert beam[0][1] > greedy[0][1]


def test_beam_search_rejects_a_batch():
    model = s2s.make_model(V, V, 6, 8)
    with pytest.raises(ValueError, match=r"src: expected shape \(\?, 1\), got \(3, 2\)"):
        s2s.beam_search(model, torch.ones(3, 2, dtype=torch.int64), max_len=3)


def test_exact_match_token_accuracy_and_accuracy_by_length():
    preds = [[1, 2, 3], [1, 2], [4, 5, 6, 7]]
    targets = [[1, 2, 3], [1, 3], [4, 5]]
    assert s2s.exact_match(preds, targets) == pytest.approx(1 / 3)
    assert s2s.token_accuracy(preds, targets) == pytest.approx(6 / 7)
    r = s2s.accuracy_by_length(preds, targets, [3, 2, 2], [(1, 2), (3, 3)])
    assert r["exact"] == [0.0, 1.0] and r["count"] == [2, 1]
    assert r["token"] == [pytest.approx(3 / 4), 1.0]
    with pytest.raises(ValueError, match="bucket"):
        s2s.accuracy_by_length(preds, targets, [3, 2, 2], [(5, 6)])


def test_predict_greedy_and_beam_agree_at_width_one():
    model = s2s.make_model(V, V, 6, 16, seed=3)
    sources = random_sources(5, np.random.default_rng(4))
    greedy = s2s.predict(model, sources, max_len=8)
    beam = s2s.predict(model, sources, max_len=8, beam_width=1)
    assert greedy == beam
    assert model.training  # predict restores the mode


def test_length_experiment_runs_and_reports_every_bucket():
    cfg = s2s.LENGTH_EXPERIMENT
    r = s2s.run_length_experiment(None, seed=0, steps=3, test_per_length=2)
    assert r["buckets"] == cfg["buckets"]
    assert len(r["exact"]) == len(r["token"]) == len(cfg["buckets"])
    assert sum(r["count"]) == 2 * (cfg["max_len"] - cfg["min_len"] + 1)
    assert len(r["history"].train["loss"]) == 3
    with pytest.raises(ValueError, match="unknown settings"):
        s2s.run_length_experiment(None, hiden=3)


def test_length_experiment_is_deterministic():
    a = s2s.run_length_experiment("additive", seed=1, steps=3, test_per_length=1)
    b = s2s.run_length_experiment("additive", seed=1, steps=3, test_per_length=1)
    assert a["token"] == b["token"] and a["history"].train["loss"] == b["history"].train["loss"]
