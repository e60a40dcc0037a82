"""Tests for rnnlib.data: the shipped-data folder, loaders, vocabulary, batching, synthetic tasks.

The loaders of the applications' corpora are tested with their modules (test_forecast.py,
test_translation.py, ...); the seq2seq tasks (date_pairs, reversal_pairs) in test_seq2seq_tasks.py."""
import numpy as np
import pytest

from rnnlib import data
from rnnlib.apps import forecast, translation


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- loaders

def test_data_dir_is_the_repository_data_folder():
    assert data.DATA_DIR.name == "data"
    assert (data.DATA_DIR.parent / "rnnlib" / "data.py").is_file()


def test_load_text_returns_all_of_tiny_shakespeare():
    text = data.load_text()
    assert len(text) == 1_115_394
    assert text.startswith("First Citizen:")


@pytest.mark.parametrize("load", [
    lambda: data.load_text(),
    lambda: forecast.load_series("airline-passengers"),
    lambda: translation.load_translation_pairs(),
])
def test_missing_data_file_raises_file_not_found_with_full_path(load, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load()


# ---------------------------------------------------------------- vocabulary

def test_char_vocab_round_trip_and_sorted_ids():
    vocab = data.CharVocab("hello world")
    assert vocab.chars == sorted(set("hello world")) and len(vocab) == 8
    ids = vocab.encode("hold")
    assert ids.dtype == np.int64 and ids.shape == (4,)
    assert vocab.decode(ids) == "hold"
    assert vocab.encode(" ")[0] == 0  # space sorts first


def test_char_vocab_round_trips_all_of_shakespeare():
    text = data.load_text()
    vocab = data.CharVocab(text)
    assert len(vocab) == 65
    assert vocab.decode(vocab.encode(text)) == text


def test_char_vocab_unknown_character_is_named_in_the_error():
    vocab = data.CharVocab("abc")
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("abz")


def test_char_vocab_decode_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        data.CharVocab("abc").decode([0, 3])


def test_char_vocab_rejects_empty_text():
    with pytest.raises(ValueError):
        data.CharVocab("")


# ---------------------------------------------------------------- language-model batches

def test_batchify_columns_are_contiguous_stretches_and_remainder_dropped():
    ids = np.arange(23)
    streams = data.batchify(ids, 4)
    assert streams.shape == (5, 4)
    for b in range(4):
        assert streams[:, b].tolist() == list(range(5 * b, 5 * b + 5))


def test_lm_batches_shapes_shift_and_continuity():
    streams = data.batchify(np.arange(100), 4)  # (25, 4)
    batches = list(data.lm_batches(streams, 6))
    assert len(batches) == 4  # 24 predictable steps, no partial batch
    for x, y in batches:
        assert x.shape == y.shape == (6, 4)
        np.testing.assert_array_equal(y[:-1], x[1:])
        np.testing.assert_array_equal(y, x + 1)  # next token of each column
    # the next batch starts where the previous one stopped: hidden state can carry over
    for (x0, _), (x1, _) in zip(batches, batches[1:]):
        np.testing.assert_array_equal(x1[0], x0[-1] + 1)


def test_lm_batches_rejects_streams_shorter_than_seq_len_when_called():
    with pytest.raises(ValueError, match="seq_len"):
        data.lm_batches(np.zeros((5, 2), dtype=np.int64), 5)  # not only once iterated
    with pytest.raises(ValueError, match="seq_len"):
        data.lm_batches(np.zeros((5, 2), dtype=np.int64), 0)


def test_batchify_rejects_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        data.batchify(np.arange(10), 0)
    with pytest.raises(ValueError, match=r"expected shape"):
        data.batchify(np.zeros((4, 4), dtype=np.int64), 2)
    with pytest.raises(ValueError, match="float"):
        data.batchify(np.zeros(10), 2)


# ---------------------------------------------------------------- synthetic tasks

def test_adding_problem_shapes_and_dtype():
    x, y = data.adding_problem(5, 30, rng())
    assert x.shape == (30, 5, 2) and y.shape == (5,)
    assert x.dtype == y.dtype == np.float32
    x64, _ = data.adding_problem(5, 30, rng(), dtype=np.float64)
    assert x64.dtype == np.float64


def test_adding_problem_two_markers_one_per_half_and_target_is_marked_sum():
    T = 51  # odd, so the halves differ in length
    x, y = data.adding_problem(2000, T, rng())
    values, markers = x[..., 0], x[..., 1]
    assert np.all(markers.sum(axis=0) == 2)
    assert np.all(markers[: T // 2].sum(axis=0) == 1)
    assert np.all(markers[T // 2:].sum(axis=0) == 1)
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert values.min() >= 0 and values.max() < 1
    np.testing.assert_allclose(y, (values * markers).sum(axis=0), rtol=1e-6)


def test_adding_problem_constant_one_prediction_has_mse_one_sixth():
    _, y = data.adding_problem(20000, 20, rng())
    mse = float(np.mean((y.astype(np.float64) - 1.0) ** 2))
    assert abs(mse - 1 / 6) < 0.01, mse


def test_delay_task_target_is_input_delayed_and_ignored_before():
    x, y = data.delay_task(8, 20, 3, 5, rng())
    assert x.shape == y.shape == (20, 8) and x.dtype == y.dtype == np.int64
    assert np.all(y[:3] == -1)
    np.testing.assert_array_equal(y[3:], x[:-3])
    assert x.min() >= 0 and x.max() < 5


def test_delay_task_rejects_delay_not_shorter_than_sequence():
    with pytest.raises(ValueError, match="T > delay"):
        data.delay_task(4, 5, 5, 3, rng())


def test_copy_task_layout_and_target():
    length, delay, n_symbols = 4, 6, 8
    x, y = data.copy_task(16, length, delay, n_symbols, rng())
    T = 2 * length + delay + 1
    assert x.shape == y.shape == (T, 16) and x.dtype == y.dtype == np.int64
    seq = x[:length]
    assert seq.min() >= 1 and seq.max() <= n_symbols
    assert np.all(x[length: length + delay] == 0)
    assert np.all(x[length + delay] == n_symbols + 1)  # the delimiter
    assert np.all(x[length + delay + 1:] == 0)
    assert np.all(y[: T - length] == 0)
    np.testing.assert_array_equal(y[T - length:], seq)


def test_noisy_sine_shapes_and_clean_next_step_target():
    x, y = data.noisy_sine(6, 40, rng(), noise=0.0)
    assert x.shape == y.shape == (40, 6, 1) and x.dtype == np.float32
    np.testing.assert_allclose(y[:-1], x[1:], atol=1e-6)  # without noise, y is x one step on
    xn, yn = data.noisy_sine(200, 40, rng(), noise=0.1)
    residual = xn[1:] - yn[:-1]
    assert 0.08 < residual.std() < 0.12
    assert np.abs(yn).max() <= 1.0


SYNTHETIC = {
    "adding_problem": lambda r: data.adding_problem(4, 10, r),
    "delay_task": lambda r: data.delay_task(4, 10, 2, 5, r),
    "copy_task": lambda r: data.copy_task(4, 5, 3, 6, r),
    "noisy_sine": lambda r: data.noisy_sine(4, 10, r),
}


def _equal(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


@pytest.mark.parametrize("task", list(SYNTHETIC))
def test_synthetic_tasks_are_deterministic_given_the_seed(task):
    make = SYNTHETIC[task]
    assert _equal(make(rng(7)), make(rng(7)))
    assert not _equal(make(rng(7)), make(rng(8)))


@pytest.mark.parametrize("task", list(SYNTHETIC))
def test_synthetic_tasks_reject_a_seed_in_place_of_a_generator(task):
    with pytest.raises(ValueError, match="Generator"):
        SYNTHETIC[task](0)


@pytest.mark.parametrize("call, name", [
    (lambda: data.adding_problem(0, 10, rng()), "n"),
    (lambda: data.adding_problem(4, 1, rng()), "T"),
    (lambda: data.adding_problem(4, 10, rng(), dtype=np.int64), "dtype"),
    (lambda: data.delay_task(4, 10, -1, 5, rng()), "delay"),
    (lambda: data.delay_task(4, 10, 2, 1, rng()), "n_symbols"),
    (lambda: data.copy_task(4, 0, 3, 6, rng()), "length"),
    (lambda: data.noisy_sine(4, 2.5, rng()), "T"),
    (lambda: data.noisy_sine(4, 10, rng(), noise=-1), "noise"),
])
def test_bad_sizes_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b|{name}:"):
        call()


def test_elman_sentences_mark_every_word_onset_and_repeat_with_the_seed():
    text, onsets = data.elman_sentences(50, np.random.default_rng(3))
    again, _ = data.elman_sentences(50, np.random.default_rng(3))
    assert text == again and text.isalpha() and text.islower()
    assert onsets.shape == (len(text),) and onsets[0]
    # cutting at the onsets gives back words of the lexicon, 2 or 3 per sentence
    cuts = list(np.flatnonzero(onsets)) + [len(text)]
    words = [text[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    lexicon = set(data.ELMAN_NOUNS + data.ELMAN_OBJECTS + data.ELMAN_TRANSITIVE + data.ELMAN_INTRANSITIVE)
    assert set(words) <= lexicon and 100 <= len(words) <= 150
    with pytest.raises(ValueError, match="rng"):
        data.elman_sentences(5, 0)
