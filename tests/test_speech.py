"""Tests for rnnlib.apps.speech: numpy CTC against torch.nn.CTCLoss and autograd, decoding, edit
distance, the connected-digit utterances and their split, the baseline's segmenter, and the
shipped acoustic model (models/train_speech.py)."""
import itertools

import numpy as np
import pytest
import torch

from rnnlib.apps import audio
from rnnlib.apps import speech, speech_baseline
from rnnlib.seq2seq import ctc


def random_problem(rng, T, U, repeat=False):
    labels = rng.integers(1, speech.N_CLASSES, U)
    if repeat and U > 1:
        labels[1] = labels[0]
    logits = torch.tensor(rng.standard_normal((T, speech.N_CLASSES)), requires_grad=True)
    return logits, labels


def torch_ctc(log_probs, labels):
    T = log_probs.shape[0]
    return torch.nn.functional.ctc_loss(log_probs[:, None], torch.tensor(labels, dtype=torch.long)[None],
                                        torch.tensor([T]), torch.tensor([len(labels)]), blank=0, reduction="sum")


@pytest.mark.parametrize("T,U,repeat", [(1, 0, False), (3, 1, False), (6, 2, True), (12, 4, True),
                                        (30, 5, False), (50, 8, True), (9, 4, True)])
def test_numpy_ctc_loss_equals_torch(T, U, repeat):
    rng = np.random.default_rng(T * 100 + U)
    for _ in range(3):
        logits, labels = random_problem(rng, T, U, repeat)
        lp = torch.log_softmax(logits, -1)
        assert abs(ctc.ctc_loss(lp.detach().numpy(), labels) - torch_ctc(lp, labels).item()) < 1e-6


def test_numpy_ctc_loss_is_infinite_when_the_transcript_cannot_fit():
    lp = np.log(np.full((2, speech.N_CLASSES), 1 / speech.N_CLASSES))
    assert ctc.ctc_loss(lp, [3, 3]) == np.inf       # "3 3" needs 3 frames (a blank between)
    assert np.isfinite(ctc.ctc_loss(lp, [3, 4]))


def test_numpy_ctc_equals_the_sum_over_every_path():
    rng = np.random.default_rng(1)
    lp = torch.log_softmax(torch.tensor(rng.standard_normal((5, 3))), -1).numpy()
    for labels in [(1, 1), (1, 2), (2,), ()]:
        total = sum(np.exp(sum(lp[t, k] for t, k in enumerate(path)))
                    for path in itertools.product(range(3), repeat=5) if ctc.collapse(path) == labels)
        assert ctc.ctc_loss(lp, labels) == pytest.approx(-np.log(total), abs=1e-12)


def test_alpha_beta_give_the_same_probability_at_every_frame():
    rng = np.random.default_rng(2)
    logits, labels = random_problem(rng, 20, 5, repeat=True)
    lp = torch.log_softmax(logits, -1).detach().numpy()
    alpha, beta = ctc.ctc_alpha(lp, labels), ctc.ctc_beta(lp, labels)
    per_frame = np.logaddexp.reduce(alpha + beta, axis=1)
    np.testing.assert_allclose(per_frame, -ctc.ctc_loss(lp, labels), atol=1e-10)


@pytest.mark.parametrize("T,U,repeat", [(8, 3, True), (25, 4, False), (40, 7, True)])
def test_numpy_ctc_gradient_equals_autograd(T, U, repeat):
    rng = np.random.default_rng(T + U)
    logits, labels = random_problem(rng, T, U, repeat)
    lp = torch.log_softmax(logits, -1)
    torch_ctc(lp, labels).backward()
    np.testing.assert_allclose(ctc.ctc_grad(lp.detach().numpy(), labels), logits.grad.numpy(), atol=1e-6)


def test_collapse_merges_repeats_then_drops_blanks():
    assert ctc.collapse([1, 1, 0, 1, 2, 2, 0]) == (1, 1, 2)
    assert ctc.collapse([0, 0]) == ()
    assert ctc.collapse([3, 3, 3]) == (3,)


def test_greedy_decoding_reads_the_best_path():
    lp = np.log(np.full((6, speech.N_CLASSES), 0.01))
    for t, k in enumerate([0, 4, 4, 0, 4, 9]):
        lp[t, k] = 0.9
    assert ctc.greedy_decode(lp) == (4, 4, 9)


def test_prefix_beam_search_finds_the_transcript_greedy_misses():
    # Two frames, p(blank) = 0.55 and p(a) = 0.45 at each: the best path is "--" (0.3025), but the
    # transcript "a" collects three paths (a-, -a, aa: 0.6975) and beats "".
    y = np.array([[0.55, 0.45], [0.55, 0.45]])
    lp = np.full((2, speech.N_CLASSES), -50.0)
    lp[:, :2] = np.log(y)
    assert ctc.greedy_decode(lp) == ()
    best, score = ctc.prefix_beam_search(lp, beam=4)
    assert best == (1,)
    assert score == pytest.approx(np.log(1 - 0.55 ** 2), abs=1e-9)


def test_prefix_beam_search_scores_are_the_exact_transcript_probability_with_a_wide_beam():
    rng = np.random.default_rng(5)
    lp = torch.log_softmax(torch.tensor(rng.standard_normal((6, 4))), -1).numpy()
    lp = np.concatenate([lp, np.full((6, speech.N_CLASSES - 4), -1e9)], 1)
    best, score = ctc.prefix_beam_search(lp, beam=10_000, prune=0.0)
    assert score == pytest.approx(-ctc.ctc_loss(lp, best), abs=1e-9)
    # and it is the most probable transcript of all (every transcript of up to 6 labels from 3 digits)
    for U in range(0, 4):
        for labels in itertools.product((1, 2, 3), repeat=U):
            assert -ctc.ctc_loss(lp, labels) <= score + 1e-9


def test_edit_ops_counts_substitutions_deletions_insertions():
    assert ctc.edit_ops([1, 2, 3], [1, 2, 3]) == {"sub": 0, "del": 0, "ins": 0, "n": 3}
    assert ctc.edit_ops([1, 2, 3], [1, 5, 3]) == {"sub": 1, "del": 0, "ins": 0, "n": 3}
    assert ctc.edit_ops([1, 2, 3], [1, 3]) == {"sub": 0, "del": 1, "ins": 0, "n": 3}
    assert ctc.edit_ops([1, 3], [1, 2, 3]) == {"sub": 0, "del": 0, "ins": 1, "n": 2}
    assert ctc.edit_ops([], [4, 4]) == {"sub": 0, "del": 0, "ins": 2, "n": 0}
    assert ctc.edit_ops([4, 4], []) == {"sub": 0, "del": 2, "ins": 0, "n": 2}


def test_edit_ops_total_is_the_levenshtein_distance():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = list(rng.integers(0, 3, rng.integers(0, 6))), list(rng.integers(0, 3, rng.integers(0, 6)))
        ops = ctc.edit_ops(a, b)
        # brute-force distance by recursion
        def lev(i, j):
            if i == 0 or j == 0:
                return i + j
            return min(lev(i - 1, j - 1) + (a[i - 1] != b[j - 1]), lev(i - 1, j) + 1, lev(i, j - 1) + 1)
        assert ops["sub"] + ops["del"] + ops["ins"] == lev(len(a), len(b))
        assert len(a) - ops["del"] + ops["ins"] == len(b)


def test_error_rate_sums_over_the_corpus():
    r = ctc.error_rate([[1, 2, 3], [4]], [[1, 2], [4, 5]])
    assert (r["sub"], r["del"], r["ins"], r["n"]) == (0, 1, 1, 4)
    assert r["rate"] == 0.5 and r["exact"] == 0.0
    with pytest.raises(ValueError, match="same number"):
        ctc.error_rate([[1]], [])


@pytest.fixture(scope="module")
def fsdd():
    return audio.load_fsdd()


def test_splits_are_disjoint_by_speaker_and_take(fsdd):
    _, table = fsdd
    split = speech.splits(table)
    keys = {n: {(table["speaker"][i], table["take"][i]) for i in idx} for n, idx in split.items()}
    for a, b in itertools.combinations(keys, 2):
        assert not keys[a] & keys[b]
    assert set(table["speaker"][split["unseen"]]) == {speech.HELD_OUT}
    assert speech.HELD_OUT not in set(table["speaker"][np.concatenate([split["train"], split["val"], split["seen"]])])
    assert set(table["take"][split["train"]]).isdisjoint(table["take"][split["seen"]])
    assert sum(len(v) for v in split.values()) == 3000


def test_utterances_are_deterministic_and_from_one_speaker_of_their_pool(fsdd):
    waves, table = fsdd
    pool = speech.splits(table)["seen"]
    for cond in ("gaps", "connected"):
        a = speech.make_set(waves, table, pool, 5, 11, cond)
        b = speech.make_set(waves, table, pool, 5, 11, cond)
        for u, v in zip(a, b):
            assert u["digits"] == v["digits"] and np.array_equal(u["wave"], v["wave"])
            assert 2 <= len(u["digits"]) <= 7 and len(u["spans"]) == len(u["digits"])
            assert u["speaker"] in set(table["speaker"][pool])
        assert speech.make_set(waves, table, pool, 5, 12, cond)[0]["digits"] != a[0]["digits"] or \
            not np.array_equal(speech.make_set(waves, table, pool, 5, 12, cond)[0]["wave"], a[0]["wave"])


def test_join_places_gaps_and_crossfades():
    ms = speech.MS
    a, b = np.ones(100 * ms, np.float32), np.ones(50 * ms, np.float32)
    wave, spans = speech.join([a, b], [20])
    assert len(wave) == 170 * ms and spans == [(0, 100 * ms), (120 * ms, 170 * ms)]
    assert wave[110 * ms] == 0
    wave, spans = speech.join([a, b], [-30])
    assert len(wave) == 120 * ms and spans[1] == (70 * ms, 120 * ms)
    np.testing.assert_allclose(wave, 1.0, atol=1e-6)     # a crossfade of two equal signals is flat


def test_energy_segments_cut_at_pauses_only():
    rng = np.random.default_rng(0)
    ms = speech.MS
    word = lambda n: rng.standard_normal(n * ms).astype(np.float32) * 0.3
    wave = np.concatenate([word(200), np.zeros(60 * ms, np.float32), word(150)])
    segs = speech_baseline.energy_segments(wave, threshold_db=-30, min_gap_ms=30)
    assert len(segs) == 2 and abs(segs[0][1] - 200 * ms) <= 10 * ms and abs(segs[1][0] - 260 * ms) <= 10 * ms
    assert len(speech_baseline.energy_segments(wave, threshold_db=-30, min_gap_ms=100)) == 1


def test_features_shape_and_lengths():
    waves = [np.random.default_rng(0).standard_normal(n).astype(np.float32) for n in (8000, 4000)]
    x, lengths = speech.features(waves)
    # 1 + (n - 200) // 80 frames of 10 ms, two stacked per step
    assert x.shape == (49, 2, 80) and lengths.tolist() == [49, 24]
    assert torch.all(x[lengths[1]:, 1] == 0)


def test_shipped_model_transcribes_seen_speakers(fsdd):
    waves, table = fsdd
    model, config, history = speech.load()
    assert config == speech.CONFIG and len(history["loss"]) == config["steps"]
    assert (speech.MODELS_DIR / "speech_ctc.pt").stat().st_size < 1_000_000
    utts = speech.make_set(waves, table, speech.splits(table)["seen"], 40, 123, "connected")
    hyps = speech.transcribe(speech.posteriors(model, utts))
    assert ctc.error_rate([u["digits"] for u in utts], hyps)["rate"] < 0.1
