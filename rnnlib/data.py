"""Data: loaders for the shipped data sets, a character vocabulary, batching, and the
synthetic tasks the chapters train on.

Conventions (as in torch.nn): sequences are time first, (T, B, D) for vectors per step
and (T, B) for token ids. Every random function takes a `numpy.random.Generator` `rng`
and draws only from it, so the same seed gives the same data.
"""
import csv
import datetime
import math
from pathlib import Path

import numpy as np

from .utils import check_dtype, check_shape

# The repository's data/ folder: rnnlib/ and data/ sit side by side.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

SERIES = {
    "monthly-sunspots": "monthly-sunspots.csv",
    "daily-min-temperatures": "daily-min-temperatures.csv",
    "airline-passengers": "airline-passengers.csv",
}


# ---------------------------------------------------------------- input checks

def _check_int(name, value, minimum=1):
    """Raise ValueError unless `value` is an int >= minimum (bool is not an int here)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


def _check_rng(rng):
    # A Generator, not a seed or np.random itself: the caller owns the random stream,
    # so two calls with one generator give different data and a re-run gives the same.
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng: expected a numpy.random.Generator (e.g. rnnlib.seed_everything(0) "
                         f"or np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype: expected a float dtype, got {dtype}")
    return dtype


# ---------------------------------------------------------------- loaders

def _data_path(name):
    # Read DATA_DIR at call time, so tests (and readers) can point it elsewhere.
    path = Path(DATA_DIR) / name
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path} (the book ships its data in data/; "
                                "nothing is downloaded)")
    return path


def load_text(name="tinyshakespeare.txt"):
    """The whole text file data/<name> as one str (UTF-8)."""
    return _data_path(name).read_text(encoding="utf-8")


def load_series(name):
    """A univariate time series from data/: (labels, values).

    name: "monthly-sunspots", "daily-min-temperatures" or "airline-passengers" (the
        file name with ".csv" also works).
    labels: list of T str, the date of each observation ("1949-01", "1981-01-01").
    values: float64 array (T,).
    """
    key = name[:-4] if isinstance(name, str) and name.endswith(".csv") else name
    if not isinstance(key, str) or key not in SERIES:
        raise ValueError(f"unknown series {name!r}; expected one of {sorted(SERIES)}")
    with _data_path(SERIES[key]).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]  # skip the header row
    labels = [row[0] for row in rows]
    values = np.array([float(row[1]) for row in rows], dtype=np.float64)
    return labels, values


def load_translation_pairs(name="eng-fra-tatoeba.tsv"):
    """English-French sentence pairs from data/<name>: a list of (english, french) str.

    The file's third column (the Tatoeba attribution, CC-BY 2.0 France) is dropped here
    but kept in the file, as the licence asks. Lines are split on tabs without CSV
    quoting, because sentences contain quote characters.
    """
    lines = _data_path(name).read_text(encoding="utf-8").split("\n")
    pairs = []
    for line in lines:
        if line:
            english, french = line.split("\t")[:2]
            pairs.append((english, french))
    return pairs


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
    batch_size = _check_int("batch_size", batch_size)
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
    seq_len = _check_int("seq_len", seq_len)
    check_shape("lm_batches streams", streams, (None, None))
    if streams.shape[0] - 1 < seq_len:
        raise ValueError(f"lm_batches: expected streams with at least seq_len + 1 = {seq_len + 1} "
                         f"rows, got shape {streams.shape}")
    # Checked on the call (a generator function would fail only when first iterated);
    # the batches themselves come lazily.
    starts = range(0, streams.shape[0] - seq_len, seq_len)
    return ((streams[i: i + seq_len], streams[i + 1: i + 1 + seq_len]) for i in starts)


# ---------------------------------------------------------------- time series

def make_windows(series, window, horizon=1):
    """Sliding windows for forecasting: inputs X (N, window), targets Y (N, horizon).

    series: 1-D array (T,). Row i: X[i] = series[i : i+window] and
    Y[i] = series[i+window : i+window+horizon], so N = T - window - horizon + 1. Each
    target comes strictly after its inputs; rows are in time order.
    """
    series = np.asarray(series)
    check_shape("make_windows series", series, (None,))
    window, horizon = _check_int("window", window), _check_int("horizon", horizon)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(f"make_windows: expected a series of at least window + horizon = "
                         f"{window + horizon} steps, got {len(series)}")
    views = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return views[:, :window].copy(), views[:, window:].copy()


def _split_size(name, size, total):
    # A float in [0, 1) is a fraction of the series; an int is a count of steps.
    if isinstance(size, (float, np.floating)):
        if not 0 <= size < 1:
            raise ValueError(f"{name}: expected a fraction in [0, 1) or a count, got {size}")
        return int(round(size * total))
    return _check_int(name, size, minimum=0)


def split_by_time(series, val_size, test_size):
    """Split along time into (train, val, test), never shuffling.

    series: an array (T, ...) or a list. val_size, test_size: counts of steps (int) or
    fractions of T (float). The test part is the final stretch, validation the stretch
    before it, train everything earlier: a model is always judged on a future it has
    not seen.
    """
    total = len(series)
    n_val, n_test = _split_size("val_size", val_size, total), _split_size("test_size", test_size, total)
    n_train = total - n_val - n_test
    if n_train < 1:
        raise ValueError(f"split_by_time: expected val + test < {total} steps, "
                         f"got val {n_val} + test {n_test}")
    return series[:n_train], series[n_train: n_train + n_val], series[n_train + n_val:]


# ---------------------------------------------------------------- synthetic tasks

def adding_problem(n, T, rng, dtype=np.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015).

    Returns x (T, n, 2) and y (n,). Channel 0 holds values uniform in [0, 1); channel 1
    marks exactly two steps with 1, one in the first half (t < T // 2) and one in the
    second. y is the sum of the two marked values. Predicting the constant 1 gives
    MSE = Var(u1 + u2) = 2/12 = 1/6: the bar a model that remembers nothing sits at.
    """
    n, T, rng, dtype = _check_int("n", n), _check_int("T", T, minimum=2), _check_rng(rng), _float_dtype(dtype)
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
    n, T, rng = _check_int("n", n), _check_int("T", T), _check_rng(rng)
    delay, n_symbols = _check_int("delay", delay, minimum=0), _check_int("n_symbols", n_symbols, minimum=2)
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
    n, length, rng = _check_int("n", n), _check_int("length", length), _check_rng(rng)
    delay, n_symbols = _check_int("delay", delay, minimum=0), _check_int("n_symbols", n_symbols, minimum=2)
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
    n, T, rng, dtype = _check_int("n", n), _check_int("T", T), _check_rng(rng), _float_dtype(dtype)
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


# ---------------------------------------------------------------- dates

# English names written out, not taken from calendar or strftime("%B"): those follow the
# locale, and the data must not change with the reader's language settings.
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

DATE_FORMATS = {
    "25 November 2026": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "25 Nov 2026": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "Nov 25, 2026": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    "November 25, 2026": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "Wednesday, November 25, 2026":
        lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    "11/25/26": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    "25.11.2026": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "2026/11/25": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
}

# 100 years, so that a two-digit year ("11/25/26") names exactly one of them.
DATE_YEARS = (1950, 2049)


def date_pairs(n, rng, formats=None):
    """n (source, target) pairs: a date as people write it -> ISO "YYYY-MM-DD".

    Dates are uniform over the calendar days from 1 January DATE_YEARS[0] to 31 December
    DATE_YEARS[1]; each source uses a format drawn uniformly from `formats`: a list of
    keys of DATE_FORMATS (each key is an example of its format), default all of them.
    E.g. ("Wednesday, November 25, 2026", "2026-11-25"), ("11/25/26", "2026-11-25").
    """
    n, rng = _check_int("n", n), _check_rng(rng)
    names = list(DATE_FORMATS) if formats is None else list(formats)
    unknown = [f for f in names if f not in DATE_FORMATS]
    if unknown or not names:
        raise ValueError(f"date_pairs: expected formats from {list(DATE_FORMATS)}, got {formats!r}")
    first = datetime.date(DATE_YEARS[0], 1, 1).toordinal()
    last = datetime.date(DATE_YEARS[1], 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    choice = rng.integers(0, len(names), size=n)
    pairs = []
    for day, k in zip(days, choice):
        d = datetime.date.fromordinal(int(day))
        pairs.append((DATE_FORMATS[names[k]](d), d.isoformat()))
    return pairs


# ---------------------------------------------------------------- sequence to sequence

SYMBOLS = "abcdefghijklmnopqrstuvwxyz"


def reversal_pairs(n, min_len, max_len, n_symbols, rng):
    """n (source, target) str pairs for the reversal task: target = source reversed.

    Each source has a length uniform in [min_len, max_len] and letters drawn uniformly
    from the first n_symbols of "abc...z" (n_symbols <= 26), e.g. ("cabd", "dbac").
    Chapters 07 and 08 measure accuracy against length on it: the last output letter
    is the first input letter, so a model must carry the whole source to the end.
    """
    n, rng = _check_int("n", n), _check_rng(rng)
    min_len, max_len = _check_int("min_len", min_len), _check_int("max_len", max_len)
    n_symbols = _check_int("n_symbols", n_symbols, minimum=2)
    if min_len > max_len or n_symbols > len(SYMBOLS):
        raise ValueError(f"reversal_pairs: expected min_len <= max_len and n_symbols <= {len(SYMBOLS)}, "
                         f"got {min_len}, {max_len}, {n_symbols}")
    lengths = rng.integers(min_len, max_len + 1, size=n)
    pairs = []
    for length in lengths:
        src = "".join(SYMBOLS[i] for i in rng.integers(0, n_symbols, size=length))
        pairs.append((src, src[::-1]))
    return pairs
