"""Data for the recurrent core (chapters 00-06): where the shipped data lives, text and a
character vocabulary, language-model batches, and the synthetic tasks the chapters train
on. Each application's corpus has its loader next to its model, in rnnlib.apps; the
synthetic sequence-to-sequence tasks are in rnnlib.seq2seq.tasks.

Conventions (as in torch.nn): sequences are time first, (T, B, D) for vectors per step
and (T, B) for token ids. Every random function takes a `numpy.random.Generator` `rng`
and draws only from it, so the same seed gives the same data.
"""
import math
from pathlib import Path

import numpy as np

from .utils import check_dtype, check_int, check_rng, check_shape

# The repository's data/ folder: rnnlib/ and data/ sit side by side.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype: expected a float dtype, got {dtype}")
    return dtype


# ---------------------------------------------------------------- loaders

def data_path(name):
    # Read DATA_DIR at call time, so tests (and readers) can point it elsewhere.
    path = Path(DATA_DIR) / name
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path} (the book ships its data in data/; "
                                "nothing is downloaded)")
    return path


def load_text(name="tinyshakespeare.txt"):
    """The whole text file data/<name> as one str (UTF-8)."""
    return data_path(name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- vocabulary

class CharVocab:
    """Characters of a text <-> integer ids, the ids in sorted character order.

    vocab = CharVocab(text); ids = vocab.encode("hello") (int64 array (L,));
    vocab.decode(ids) == "hello"; len(vocab) characters; vocab.chars the sorted list.
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocab: expected a non-empty str, got {text!r:.40}")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """str of length L -> int64 array (L,)."""
        try:
            return np.array([self.index[ch] for ch in text], dtype=np.int64)
        except KeyError as err:
            raise ValueError(f"CharVocab.encode: character {err.args[0]!r} is not in the "
                             f"vocabulary of {len(self)} characters") from None

    def decode(self, ids):
        """Ids, any shape flattened in order (numpy array, list or torch tensor) -> str."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size == 0:
            return ""
        check_dtype("CharVocab.decode ids", ids, "iu")
        if ids.min() < 0 or ids.max() >= len(self):
            bad = ids[(ids < 0) | (ids >= len(self))][0]
            raise ValueError(f"CharVocab.decode: expected ids in [0, {len(self)}), got {bad}")
        return "".join(self.chars[i] for i in ids)

    def __repr__(self):
        return f"CharVocab({len(self)} characters)"


# ---------------------------------------------------------------- language-model batches

def batchify(ids, batch_size):
    """Cut a token stream into `batch_size` contiguous streams, one per column.

    ids: 1-D int array (L,). Returns (N, B) with N = L // B: column b is
    ids[b*N:(b+1)*N], so reading down a column reads the text in order. The last
    L - N*B tokens are dropped.
    """
    ids = np.asarray(ids)
    batch_size = check_int("batch_size", batch_size)
    check_shape("batchify ids", ids, (None,))
    check_dtype("batchify ids", ids, "iu")
    n = len(ids) // batch_size
    if n < 2:
        raise ValueError(f"batchify: expected at least {2 * batch_size} ids for batch_size "
                         f"{batch_size} (2 per stream), got {len(ids)}")
    return np.ascontiguousarray(ids[: n * batch_size].reshape(batch_size, n).T)


def lm_batches(streams, seq_len):
    """An iterator of (x, y) pairs of shape (seq_len, B), in order down the streams.

    streams: (N, B) from `batchify`. y is x one step later: y[t] = streams[i + t + 1]
    when x[t] = streams[i + t]. Consecutive batches continue each column where the
    previous one stopped, so a hidden state carried from batch to batch (detached:
    truncated BPTT) always belongs to the text that follows. The final stretch shorter
    than seq_len is dropped so that every batch has the same shape. x and y are numpy
    views of `streams` (torch.from_numpy turns them into tensors without a copy).
    """
    streams = np.asarray(streams)
    seq_len = check_int("seq_len", seq_len)
    check_shape("lm_batches streams", streams, (None, None))
    if streams.shape[0] - 1 < seq_len:
        raise ValueError(f"lm_batches: expected streams with at least seq_len + 1 = {seq_len + 1} "
                         f"rows, got shape {streams.shape}")
    # Checked on the call (a generator function would fail only when first iterated);
    # the batches themselves come lazily.
    starts = range(0, streams.shape[0] - seq_len, seq_len)
    return ((streams[i: i + seq_len], streams[i + 1: i + 1 + seq_len]) for i in starts)


# ---------------------------------------------------------------- synthetic tasks

def adding_problem(n, T, rng, dtype=np.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015).

    Returns x (T, n, 2) and y (n,). Channel 0 holds values uniform in [0, 1); channel 1
    marks exactly two steps with 1, one in the first half (t < T // 2) and one in the
    second. y is the sum of the two marked values. Predicting the constant 1 gives
    MSE = Var(u1 + u2) = 2/12 = 1/6: the bar a model that remembers nothing sits at.
    """
    n, T, rng, dtype = check_int("n", n), check_int("T", T, minimum=2), check_rng(rng), _float_dtype(dtype)
    values = rng.random((T, n))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((T, n))
    cols = np.arange(n)
    markers[first, cols] = markers[second, cols] = 1.0
    y = values[first, cols] + values[second, cols]
    return np.stack([values, markers], axis=-1).astype(dtype), y.astype(dtype)


def delay_task(n, T, delay, n_symbols, rng):
    """Echo the input `delay` steps later: x (T, n) and y (T, n), both int64.

    x holds symbols uniform in [0, n_symbols). y[t] = x[t - delay] for t >= delay and
    y[t] = -1 before, where there is nothing to echo yet (use ignore_index=-1 in the loss).
    """
    n, T, rng = check_int("n", n), check_int("T", T), check_rng(rng)
    delay, n_symbols = check_int("delay", delay, minimum=0), check_int("n_symbols", n_symbols, minimum=2)
    if T <= delay:
        raise ValueError(f"delay_task: expected T > delay = {delay}, got T = {T}")
    x = rng.integers(0, n_symbols, size=(T, n))
    y = np.full((T, n), -1, dtype=np.int64)
    y[delay:] = x[: T - delay]
    return x.astype(np.int64), y


def copy_task(n, length, delay, n_symbols, rng):
    """The copy-memory task (Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016).

    Token ids: 0 = blank, 1..n_symbols = data symbols, n_symbols + 1 = delimiter
    (n_symbols + 2 tokens in all). With T = 2 * length + delay + 1 steps:
        x = [s_1 .. s_length] [blank * delay] [delimiter] [blank * length]
        y = [blank * (length + delay + 1)]                [s_1 .. s_length]
    The model must output blanks until the delimiter and then reproduce the sequence.
    Returns x, y: int64 (T, n). A model that remembers nothing and outputs blanks, then
    uniform guesses, has cross-entropy length * ln(n_symbols) / T per step.
    """
    n, length, rng = check_int("n", n), check_int("length", length), check_rng(rng)
    delay, n_symbols = check_int("delay", delay, minimum=0), check_int("n_symbols", n_symbols, minimum=2)
    T = 2 * length + delay + 1
    seq = rng.integers(1, n_symbols + 1, size=(length, n))
    x = np.zeros((T, n), dtype=np.int64)
    y = np.zeros((T, n), dtype=np.int64)
    x[:length] = seq
    x[length + delay] = n_symbols + 1
    y[T - length:] = seq
    return x, y


def noisy_sine(n, T, rng, noise=0.1, freq_range=(0.02, 0.1), dtype=np.float32):
    """Sine waves plus Gaussian noise, and the clean next step to predict.

    Each sequence is sin(2 pi f t + phi) for t = 0..T, with f uniform in `freq_range`
    (cycles per step: the default gives periods of 10 to 50 steps) and phi uniform in
    [0, 2 pi). Returns x (T, n, 1) = the wave at t plus noise * N(0, 1), and
    y (T, n, 1) = the clean wave at t + 1.
    """
    n, T, rng, dtype = check_int("n", n), check_int("T", T), check_rng(rng), _float_dtype(dtype)
    lo, hi = freq_range
    if not 0 < lo <= hi:
        raise ValueError(f"freq_range: expected 0 < low <= high, got {freq_range}")
    if noise < 0:
        raise ValueError(f"noise: expected a standard deviation >= 0, got {noise}")
    freq = rng.uniform(lo, hi, size=n)
    phase = rng.uniform(0, 2 * math.pi, size=n)
    t = np.arange(T + 1)[:, None]
    clean = np.sin(2 * math.pi * freq * t + phase)  # (T + 1, n)
    x = clean[:-1] + noise * rng.standard_normal((T, n))
    return x[..., None].astype(dtype), clean[1:, :, None].astype(dtype)


# A small grammar in the spirit of Elman (1990), "Finding structure in time", section
# "Discovering the notion 'word'": sentences of two or three words, written without spaces.
ELMAN_NOUNS = ("boy", "girl", "man", "woman", "cat", "dog", "mouse", "lion", "dragon", "monster")
ELMAN_OBJECTS = ("cookie", "sandwich", "bread", "book", "rock", "glass", "plate", "car")
ELMAN_TRANSITIVE = ("see", "chase", "like", "smell", "eat", "break", "move")
ELMAN_INTRANSITIVE = ("sleep", "think", "exist", "smile")


def elman_sentences(n, rng, p_transitive=0.6):
    """n sentences run together into one stream of letters, and where each word begins.

    Each sentence is a noun and a verb: transitive with probability p_transitive (then an
    object follows: a noun or a thing), otherwise intransitive ("dogchasecat", "girlsleep").
    Returns (text, onsets): text a str of lower-case letters with no spaces, onsets a bool
    array (len(text),) that is True at the first letter of every word.
    """
    n, rng = check_int("n", n), check_rng(rng)
    words = []
    for _ in range(n):
        words.append(ELMAN_NOUNS[rng.integers(len(ELMAN_NOUNS))])
        if rng.random() < p_transitive:
            objects = ELMAN_NOUNS + ELMAN_OBJECTS
            words += [ELMAN_TRANSITIVE[rng.integers(len(ELMAN_TRANSITIVE))], objects[rng.integers(len(objects))]]
        else:
            words.append(ELMAN_INTRANSITIVE[rng.integers(len(ELMAN_INTRANSITIVE))])
    starts = np.cumsum([0] + [len(w) for w in words[:-1]])
    onsets = np.zeros(sum(len(w) for w in words), dtype=bool)
    onsets[starts] = True
    return "".join(words), onsets
