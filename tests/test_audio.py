"""Tests for rnnlib.apps.audio (the FSDD loader, STFT and mel features, normalisation) and
rnnlib.apps.spoken_digits (batches, loss, prediction, confusion matrices)."""
import io
import wave

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from rnnlib import data
from rnnlib.apps import audio, spoken_digits
from rnnlib.apps import sentiment as st


@pytest.fixture(scope="module")
def fsdd():
    return audio.load_fsdd()


def test_load_fsdd_reads_all_recordings_with_the_official_split(fsdd):
    waves, table = fsdd
    assert len(waves) == 3000 and all(w.dtype == np.float32 for w in waves)
    assert table["test"].sum() == 300
    assert np.all(table["test"] == (table["take"] < 5))
    assert sorted(set(table["speaker"])) == list(audio.SPEAKERS)
    assert np.bincount(table["digit"]).tolist() == [300] * 10
    assert all(np.abs(w).max() <= 1.0 for w in waves[:50])


def test_load_fsdd_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="fsdd_manifest.csv"):
        audio.load_fsdd()


def test_read_wav_scales_16_bit_samples():
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(np.array([0, 16384, -32768], dtype="<i2").tobytes())
    samples, rate = audio.read_wav(buf.getvalue())
    assert rate == 8000 and samples.tolist() == [0.0, 0.5, -1.0]


def test_pad_waves_pads_and_cuts():
    out, lengths = audio.pad_waves([np.ones(3, np.float32), np.ones(7, np.float32)], 5)
    assert out.shape == (2, 5) and lengths.tolist() == [3, 5]
    assert out[0].tolist() == [1, 1, 1, 0, 0]


def test_stft_power_equals_the_dft_of_windowed_frames():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    n_fft, hop = 128, 64
    power = audio.stft_power(torch.from_numpy(x), n_fft, hop).numpy()
    assert power.shape == (1 + (1000 - n_fft) // hop, n_fft // 2 + 1)
    assert power.shape[0] == audio.n_frames(1000, n_fft, hop)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    for k in (0, 5, power.shape[0] - 1):
        direct = np.abs(np.fft.rfft(hann * x[k * hop:k * hop + n_fft])) ** 2
        np.testing.assert_allclose(power[k], direct, rtol=1e-9, atol=1e-9)


def test_a_pure_tone_peaks_in_its_frequency_bin():
    t = np.arange(4000) / 8000
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    spec = audio.log_spectrogram(torch.from_numpy(x), 256, 128)
    assert int(spec.mean(0).argmax()) == 1000 * 256 // 8000


def test_mel_scale_round_trips_and_maps_1000_hz_to_about_1000_mel():
    f = np.array([0.0, 300.0, 1000.0, 4000.0])
    np.testing.assert_allclose(audio.mel_to_hz(audio.hz_to_mel(f)), f, atol=1e-9)
    assert abs(audio.hz_to_mel(1000.0) - 1000.0) < 1.0


def test_mel_filterbank_triangles():
    fb = audio.mel_filterbank(20, 256).numpy()
    assert fb.shape == (129, 20) and fb.min() >= 0 and fb.max() <= 1
    peaks = fb.argmax(0)
    assert np.all(np.diff(peaks) >= 0)                        # centres rise with the index
    widths = (fb > 0).sum(0)
    assert widths[-1] > widths[1]                             # high filters are wider


def test_log_mel_shape():
    x = torch.randn(3, 2000)
    feats = audio.log_mel(x, n_mels=16, n_fft=256, hop=128)
    assert feats.shape == (3, audio.n_frames(2000), 16) and torch.isfinite(feats).all()


def test_normalize_removes_each_recordings_mean_and_zeroes_padding():
    torch.manual_seed(0)
    feats = torch.randn(4, 6, 3) + torch.arange(4.0)[:, None, None] * 10
    lengths = torch.tensor([6, 4, 2, 6])
    out = audio.normalize(feats, lengths, np.array([0, 1, 2, 3]))
    for b, n in enumerate(lengths.tolist()):
        assert torch.allclose(out[b, :n].mean(0), torch.zeros(3), atol=1e-5)
        assert torch.all(out[b, n:] == 0)
    shifted = audio.normalize(feats + 5.0, lengths, np.array([0, 1, 2, 3]))
    assert torch.allclose(shifted, out, atol=1e-5)             # a constant gain in log is removed


def test_confusion_matrix_counts_and_checks_labels():
    cm = spoken_digits.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        spoken_digits.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="same shape"):
        spoken_digits.confusion_matrix([0, 1], [0], 3)


def test_plot_confusion_and_spectrogram_draw():
    ax = spoken_digits.plot_confusion(np.eye(3, dtype=int) * 5, title="t")
    assert ax.get_title() == "t" and len(ax.texts) == 3
    ax = audio.plot_spectrogram(np.zeros((10, 4)), 0.01)
    assert ax.get_xlabel() == "time (s)"


def test_digit_classifier_trains_on_a_few_recordings(fsdd):
    import rnnlib
    rng = rnnlib.seed_everything(0)
    waves, table = fsdd
    keep = np.flatnonzero((table["speaker"] == "jackson") & (table["digit"] < 2))   # 100 recordings
    signals, n = audio.pad_waves([waves[i] for i in keep], 8000)
    feats = audio.log_mel(torch.from_numpy(signals), 16, 384, 192)
    frames = torch.as_tensor(audio.n_frames(n, 384, 192))
    idx = np.arange(len(keep))
    feats = audio.normalize(feats, frames, idx)
    y = torch.as_tensor(table["digit"][keep])
    model = st.RNNClassifier(16, 16, n_classes=2, cell="gru")
    batches = spoken_digits.classify_batches(feats, frames, y, idx, 16, rng)
    rnnlib.fit(model, spoken_digits.cross_entropy_loss, batches, steps=80, lr=1e-2, progress=False)
    assert np.mean(spoken_digits.predict(model, feats, frames, idx) == y.numpy()) > 0.9
