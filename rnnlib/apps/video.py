"""Actions and gestures (chapter 12): clips of a moving digit labelled by their motion, a
per-frame encoder with an LSTM against the order-blind average of frame features, the
GunPoint and BasicMotions archives (`data/gestures/`, sktime .ts format), dynamic time
warping with a window, and the 1-nearest-neighbour classifier.

Shapes: clips (N, T, 16, 16) float32; series (N, C, T) float32 (C channels, T steps).
"""
import numpy as np
import torch
from torch import nn

from ..data import data_path
from ..utils import check_int, check_rng, check_shape

ACTIONS = ("right", "left", "down", "up")     # a clip played backwards: right <-> left, down <-> up
REVERSED = {0: 1, 1: 0, 2: 3, 3: 2}
FRAME = 16


def make_clips(n, images, pool, rng, T=10):
    """n clips of T frames: one 8x8 digit (from the indices `pool`) sliding 8 pixels across
    a 16x16 frame to the right, left, down or up (labels 0-3 as ACTIONS), its other
    coordinate fixed at random. Returns (clips (n, T, 16, 16) float32, labels (n,) int64).
    """
    check_rng(rng)
    check_int("T", T, minimum=2)
    clips, labels = np.zeros((n, T, FRAME, FRAME), np.float32), rng.integers(4, size=n)
    steps = np.rint(np.linspace(0, 8, T)).astype(int)
    for k in range(n):
        img, other = images[pool[rng.integers(len(pool))]], rng.integers(0, 9)
        path = steps if labels[k] in (0, 2) else steps[::-1]
        for t, p in enumerate(path):
            r, c = (other, p) if labels[k] < 2 else (p, other)
            clips[k, t, r: r + 8, c: c + 8] = img
    return clips, labels.astype(np.int64)


def reverse_clips(clips, labels):
    """Every clip played backwards, with its label: the opposite action."""
    return clips[:, ::-1].copy(), np.array([REVERSED[int(y)] for y in labels], np.int64)


class ClipClassifier(nn.Module):
    """Per-frame encoder (a linear layer + ReLU on the 256 pixels), then either an LSTM whose
    last state is classified (ordered=True) or the mean of the frame features over time
    (ordered=False: the order-blind baseline, the same for a clip and its reversal).

    forward(clips (B, T, 16, 16)) -> logits (B, 4).
    """

    def __init__(self, ordered, features=32, hidden=32, n_classes=4):
        super().__init__()
        self.ordered = ordered
        self.frame = nn.Sequential(nn.Flatten(2), nn.Linear(FRAME * FRAME, features), nn.ReLU())
        self.lstm = nn.LSTM(features, hidden) if ordered else None
        self.head = nn.Sequential(nn.Linear(hidden if ordered else features, hidden), nn.ReLU(),
                                  nn.Linear(hidden, n_classes)) if not ordered else nn.Linear(hidden, n_classes)

    def forward(self, clips):
        check_shape("clips", clips, (None, None, FRAME, FRAME))
        f = self.frame(clips)                                   # (B, T, F)
        if not self.ordered:
            return self.head(f.mean(dim=1))
        _, (h, _) = self.lstm(f.transpose(0, 1))                 # time first
        return self.head(h[-1])


def load_ts(name):
    """A .ts file of data/gestures/ (sktime / aeon format): -> (series (N, C, T) float32,
    labels (N,) int64 indices into the header's class list, class names)."""
    classes, rows, labels = None, [], []
    for line in data_path(f"gestures/{name}").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            if line.lower().startswith("@classlabel"):
                classes = line.split()[2:]
            continue
        *channels, label = line.split(":")
        rows.append([[float(v) for v in ch.split(",")] for ch in channels])
        labels.append(classes.index(label))
    return np.array(rows, np.float32), np.array(labels, np.int64), classes


def dtw_distances(A, B, window=None):
    """Dynamic time warping between every series of A (N, C, T) and of B (M, C, T): (N, M).

    D[i, j] = d(a_i, b_j) + min(D[i-1, j], D[i, j-1], D[i-1, j-1]), d the squared
    Euclidean distance over channels, the path kept within |i - j| <= window (Sakoe-Chiba;
    None: no window; 0: the Euclidean distance). Returns sqrt(D[T-1, T-1]). All N*M pairs
    advance together, one row i at a time.
    """
    check_shape("A", A, (None, None, None))
    check_shape("B", B, (None, A.shape[1], A.shape[2]))
    T = A.shape[2]
    w = T if window is None else int(window)
    if w < 0:
        raise ValueError(f"window: expected None or an int >= 0, got {window}")
    a, b = A.transpose(2, 0, 1).astype(np.float64), B.transpose(2, 0, 1).astype(np.float64)  # (T, N, C)
    prev = np.full((T, len(A), len(B)), np.inf)
    for i in range(T):
        cur = np.full_like(prev, np.inf)
        cost = ((a[i][:, None, :] - b[max(0, i - w): min(T, i + w + 1)][:, None, :, :]) ** 2).sum(-1)  # (J, N, M)
        for k, j in enumerate(range(max(0, i - w), min(T, i + w + 1))):
            best = 0.0 if i == 0 and j == 0 else prev[j]
            if j > 0:
                best = np.minimum(np.minimum(best, cur[j - 1]), prev[j - 1])
            cur[j] = cost[k] + best
        prev = cur
    return np.sqrt(prev[T - 1])


def one_nn(distances, train_labels):
    """1-nearest-neighbour: distances (N_query, N_train) -> the label of each query's nearest."""
    check_shape("distances", distances, (None, len(train_labels)))
    return np.asarray(train_labels)[np.argmin(distances, axis=1)]


def loo_accuracy(distances, labels):
    """Leave-one-out 1-NN accuracy on one set from its own distances (N, N)."""
    d = np.array(distances, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(one_nn(d, labels) == labels))


class SeriesClassifier(nn.Module):
    """A GRU over a series (B, C, T), its last state -> logits (B, n_classes)."""

    def __init__(self, channels, n_classes, hidden=32):
        super().__init__()
        self.gru = nn.GRU(channels, hidden)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, series):
        check_shape("series", series, (None, None, None))
        _, h = self.gru(series.permute(2, 0, 1))
        return self.head(h[-1])
