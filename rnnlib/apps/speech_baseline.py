"""The baseline a practitioner tries first for connected digits (chapter 11): cut the
recording where the energy drops (silence between words), then classify each piece as an
isolated digit. Its oracle twin cuts at the true word boundaries, to separate cutting
errors from classification errors.
"""
import numpy as np
import torch

from . import audio
from .speech import CONFIG, MS


# ---------------------------------------------------------------- the segment-and-classify baseline

def energy_segments(wave, threshold_db=-30.0, min_gap_ms=30, min_len_ms=60, frame=10 * MS):
    """Split an utterance on silence: 10 ms frames whose energy is within threshold_db of the
    loudest frame are speech; a pause of min_gap_ms or more separates two words; pieces shorter
    than min_len_ms are dropped. Returns a list of (start, end) samples."""
    n = max(1, len(wave) // frame)
    energy = 10 * np.log10((wave[:n * frame].reshape(n, -1) ** 2).mean(1) + 1e-10)
    active = np.concatenate(([False], energy > energy.max() + threshold_db, [False]))
    edges = np.flatnonzero(np.diff(active.astype(np.int8)))
    runs = [[s, e] for s, e in zip(edges[::2], edges[1::2])]          # frames [s, e) of speech
    merged = runs[:1]
    for s, e in runs[1:]:
        if (s - merged[-1][1]) * 10 < min_gap_ms:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s * frame, e * frame) for s, e in merged if (e - s) * 10 >= min_len_ms]


def segment_features(segments, config=CONFIG, chunks=6):
    """A fixed-size vector per word: log-mel bands with the word's mean removed, averaged over
    `chunks` equal stretches of time, and the log duration. (N, chunks * n_mels + 1) float32."""
    out = []
    for w in segments:
        padded = np.pad(w, (0, max(0, config["n_fft"] * 2 - len(w))))     # at least a few frames
        f = audio.log_mel(torch.from_numpy(np.ascontiguousarray(padded, dtype=np.float32)),
                          config["n_mels"], config["n_fft"], config["hop"])
        f = f - f.mean(0)
        pooled = [p.mean(0) for p in torch.tensor_split(f, chunks)]
        out.append(torch.cat(pooled + [torch.tensor([np.log(len(w))], dtype=f.dtype)]))
    return torch.stack(out).float()


class SegmentClassifier:
    """Multinomial logistic regression on segment_features, standardised with the training
    statistics and trained full-batch with L2 weight decay (the probe the issue measured)."""

    def __init__(self, X, y, steps=300, lr=0.05, weight_decay=1e-2):
        self.mu, self.sd = X.mean(0), X.std(0) + 1e-5
        self.linear = torch.nn.Linear(X.shape[1], 10)
        opt = torch.optim.Adam(self.linear.parameters(), lr=lr, weight_decay=weight_decay)
        Z, y = (X - self.mu) / self.sd, torch.as_tensor(y)
        for _ in range(steps):
            loss = torch.nn.functional.cross_entropy(self.linear(Z), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    @torch.no_grad()
    def predict(self, X):
        return self.linear((X - self.mu) / self.sd).argmax(1).numpy()


def segment_and_classify(utterances, classifier, config=CONFIG, oracle=False, **segment_args):
    """The baseline's transcripts: cut each utterance with energy_segments (or, with oracle=True,
    at the true word spans) and classify each piece. A list of digit tuples."""
    out = []
    for u in utterances:
        spans = u["spans"] if oracle else energy_segments(u["wave"], **segment_args)
        if not spans:
            out.append(())
            continue
        pred = classifier.predict(segment_features([u["wave"][s:e] for s, e in spans], config))
        out.append(tuple(int(d) for d in pred))
    return out
