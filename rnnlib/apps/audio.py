"""Audio (chapters 09 and later): the Free Spoken Digit Dataset read from its archive, and the
features a recurrent network reads from sound: log spectrograms and log-mel frames.

Data: the Free Spoken Digit Dataset (FSDD), Z. Jackson and contributors,
https://github.com/Jakobovski/free-spoken-digit-dataset, release v1.0.10, licensed
CC BY-SA 4.0 (data/fsdd/LICENSE.md): 3,000 recordings, 8 kHz mono 16-bit, of the digits
0-9 by 6 speakers, 50 takes each. The official split puts takes 0-4 of every speaker and
digit in the test set. The archive is read member by member, never unpacked on disk.
Figures and sounds made from the recordings are shared under CC BY-SA 4.0 as well.

Features (one vector per 32 ms frame, hop 16 ms):
- `log_spectrogram`: log power of the short-time Fourier transform (torch.stft, Hann window).
- `log_mel`: the power spectrum pooled by triangular filters equally spaced on the mel
  scale, m(f) = 2595 log10(1 + f / 700) (O'Shaughnessy 1987, the HTK formula), then the log:
  the filterbank front end of Davis & Mermelstein (1980).
"""
import csv
import io
import tarfile
import wave

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..data import data_path
from ..utils import check_int

FSDD_ARCHIVE = "fsdd/fsdd_recordings.tar.gz"
FSDD_MANIFEST = "fsdd/fsdd_manifest.csv"
SAMPLE_RATE = 8000
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")


# ---------------------------------------------------------------- loading

def read_wav(raw):
    """The bytes of a 16-bit mono wav file -> (float32 samples in [-1, 1), sample rate)."""
    with wave.open(io.BytesIO(raw)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"expected 16-bit mono audio, got {8 * w.getsampwidth()}-bit, "
                             f"{w.getnchannels()} channels")
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return samples.astype(np.float32) / 32768.0, w.getframerate()


def load_fsdd():
    """All 3,000 recordings with their manifest rows: (waves, table).

    waves: list of float32 arrays (n_samples,), 8 kHz, values in [-1, 1).
    table: dict of numpy arrays, one entry per recording in manifest order:
        "digit" (int64), "speaker" (str), "take" (int64), "test" (bool: the official
        test split, takes 0-4), "file" (str, the member name in the archive).
    """
    with data_path(FSDD_MANIFEST).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    wanted = {row["file"] for row in rows}
    audio = {}
    with tarfile.open(data_path(FSDD_ARCHIVE), "r:gz") as tar:
        for member in tar:
            if member.name in wanted:
                audio[member.name] = read_wav(tar.extractfile(member).read())
    missing = wanted - audio.keys()
    if missing:
        raise ValueError(f"{FSDD_ARCHIVE}: {len(missing)} recordings of the manifest are missing, "
                         f"e.g. {sorted(missing)[0]}")
    waves = []
    for row in rows:
        samples, rate = audio[row["file"]]
        if rate != SAMPLE_RATE:
            raise ValueError(f"{row['file']}: expected {SAMPLE_RATE} Hz, got {rate}")
        waves.append(samples)
    table = {
        "file": np.array([r["file"] for r in rows]),
        "digit": np.array([int(r["digit"]) for r in rows], dtype=np.int64),
        "speaker": np.array([r["speaker"] for r in rows]),
        "take": np.array([int(r["index"]) for r in rows], dtype=np.int64),
        "test": np.array([r["split"] == "test" for r in rows]),
    }
    return waves, table


def pad_waves(waves, max_samples):
    """Stack recordings into one zero-padded float32 array (N, max_samples), cutting longer
    ones, and return it with the number of real samples of each, int64 (N,)."""
    check_int("max_samples", max_samples)
    out = np.zeros((len(waves), max_samples), dtype=np.float32)
    lengths = np.empty(len(waves), dtype=np.int64)
    for i, w in enumerate(waves):
        n = min(len(w), max_samples)
        out[i, :n] = w[:n]
        lengths[i] = n
    return out, lengths


# ---------------------------------------------------------------- features

def stft_power(x, n_fft=256, hop=128):
    """Power spectrogram |STFT|^2 of a batch of signals, frames first.

    x: float tensor (N, S) or (S,). Hann window of n_fft samples, hop `hop`, no centring
    (frame k covers samples k*hop .. k*hop + n_fft - 1).
    Returns (N, F, n_fft // 2 + 1) with F = 1 + (S - n_fft) // hop ((F, bins) for 1-D x).
    """
    x = torch.as_tensor(x)
    single = x.dim() == 1
    if x.shape[-1] < n_fft:
        raise ValueError(f"x: expected at least n_fft = {n_fft} samples, got {x.shape[-1]}")
    spec = torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop_length=hop,
                      window=torch.hann_window(n_fft, dtype=x.dtype, device=x.device), center=False,
                      return_complex=True)
    power = spec.abs().pow(2).transpose(1, 2)      # (N, F, bins)
    return power[0] if single else power


def log_spectrogram(x, n_fft=256, hop=128, eps=1e-6):
    """log(|STFT|^2 + eps): (N, F, n_fft // 2 + 1), frames first (see stft_power)."""
    return torch.log(stft_power(x, n_fft, hop) + eps)


def hz_to_mel(f):
    """The mel scale, m = 2595 log10(1 + f / 700) (O'Shaughnessy 1987; HTK)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels, n_fft, sample_rate=SAMPLE_RATE, f_min=0.0, f_max=None):
    """Triangular filters equally spaced on the mel scale: float32 tensor (n_fft//2+1, n_mels).

    Filter j rises linearly from 0 at centre c_{j-1} to 1 at c_j and falls back to 0 at
    c_{j+1}, the n_mels + 2 centres equally spaced in mels between f_min and f_max
    (default: half the sample rate). power (.., bins) @ filterbank -> mel power (.., n_mels).
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)          # frequency of each FFT bin
    centres = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lo, mid, hi = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    rising = (bins[None, :] - lo) / (mid - lo)
    falling = (hi - bins[None, :]) / (hi - mid)
    weights = np.clip(np.minimum(rising, falling), 0.0, None)        # (n_mels, bins)
    return torch.as_tensor(weights.T, dtype=torch.float32)


def log_mel(x, n_mels=32, n_fft=256, hop=128, eps=1e-6):
    """Log-mel features log(power @ mel_filterbank + eps): (N, F, n_mels), frames first."""
    power = stft_power(x, n_fft, hop)
    fb = mel_filterbank(n_mels, n_fft).to(power.device)
    return torch.log(power @ fb + eps)


def n_frames(n_samples, n_fft=256, hop=128):
    """Frames stft_power makes of n_samples samples (at least 1): 1 + (n - n_fft) // hop."""
    n = np.asarray(n_samples)
    return np.maximum(1, 1 + (n - n_fft) // hop)


def normalize(features, lengths, train):
    """Per-recording mean removal, then per-band scaling by the training set's spread.

    features: (N, F, D) log features, frames first; lengths: (N,) real frames of each;
    train: bool or index array selecting the recordings whose statistics are used.
    1. Subtract each recording's own mean over its real frames, band by band. A fixed
       gain or microphone colouring multiplies the power spectrum, which the log turns
       into a constant added to every frame: removing the mean removes it (cepstral mean
       normalisation, Atal 1974, applied here to log-mel bands).
    2. Divide each band by its standard deviation over the training frames.
    Padding frames (beyond a recording's length) are set to 0. Returns a new tensor.
    """
    features = torch.as_tensor(features)
    lengths = torch.as_tensor(lengths, device=features.device)
    if features.dim() != 3 or lengths.shape != (features.shape[0],):
        raise ValueError(f"features (N, F, D) and lengths (N,): got {tuple(features.shape)} "
                         f"and {tuple(lengths.shape)}")
    mask = (torch.arange(features.shape[1], device=features.device)[None, :] < lengths[:, None])
    mask = mask.unsqueeze(-1).to(features.dtype)                        # (N, F, 1)
    mean = (features * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)
    centred = (features - mean) * mask
    train = torch.as_tensor(np.asarray(train), device=features.device)
    sd = torch.sqrt((centred[train] ** 2).sum((0, 1)) / mask[train].sum())
    return centred / sd


# ---------------------------------------------------------------- plots

def plot_spectrogram(features, hop_seconds, ax=None, title=None, ylabel="mel band"):
    """Draw frames-first features (F, bins) as an image: time across, bins up."""
    features = np.asarray(features)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.6))
    extent = (0, features.shape[0] * hop_seconds, 0, features.shape[1])
    ax.imshow(features.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    ax.grid(False)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax
