"""Tests for rnnlib.apps.pianoroll (the JSB Chorales loader, piano rolls, masks, synthesis) and
rnnlib.apps.music (the NLL, baselines, note models, sampling)."""
import math

import numpy as np
import pytest
import torch

from rnnlib import data
from rnnlib.apps import music, pianoroll

CHORALE = [[60, 64, 67, 72], [60, 64, 67, 72], [], [21, 108], [55, 62, 71]]


# ---------------------------------------------------------------- loader

def test_loader_gives_the_standard_split_sizes():
    splits = pianoroll.load_jsb_chorales()
    assert {s: len(c) for s, c in splits.items()} == {"train": 229, "valid": 76, "test": 77}
    pitches = [p for chorale in splits["train"] for step in chorale for p in step]
    assert min(pitches) == 43 and max(pitches) == 96
    assert all(step == sorted(step) for chorale in splits["test"] for step in chorale)


def test_missing_chorales_file_raises_file_not_found_with_path(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="jsb-chorales-quarter.json"):
        pianoroll.load_jsb_chorales()


# ---------------------------------------------------------------- piano roll

def test_roll_round_trip_gives_back_the_pitches():
    roll = pianoroll.pitches_to_roll(CHORALE)
    assert roll.shape == (5, 88) and roll.dtype == np.float32
    assert roll[0, 60 - 21] == 1 and roll[3, 0] == 1 and roll[3, 87] == 1
    assert roll.sum() == 4 + 4 + 0 + 2 + 3
    assert pianoroll.roll_to_pitches(roll) == CHORALE


def test_roll_rejects_pitches_off_the_piano():
    with pytest.raises(ValueError, match="off the piano"):
        pianoroll.pitches_to_roll([[20]])
    with pytest.raises(ValueError, match="expected shape"):
        pianoroll.roll_to_pitches(np.zeros((3, 12)))


def test_pad_rolls_shifts_inputs_and_masks_the_padding():
    a, b = pianoroll.pitches_to_roll(CHORALE), pianoroll.pitches_to_roll(CHORALE[:2])
    inputs, targets, mask = pianoroll.pad_rolls([a, b])
    assert inputs.shape == targets.shape == (5, 2, 88) and mask.shape == (5, 2)
    assert mask[:, 1].tolist() == [1, 1, 0, 0, 0] and mask[:, 0].tolist() == [1] * 5
    assert inputs[0].sum() == 0                                   # silence before step 0
    assert torch.equal(inputs[1:, 0], targets[:-1, 0])
    assert targets[2:, 1].sum() == 0


def test_masks_make_padding_irrelevant_to_the_loss():
    torch.manual_seed(0)
    model = music.NoteRNN(8, "gru", embed=4)
    short, long_ = pianoroll.pitches_to_roll(CHORALE[:2]), pianoroll.pitches_to_roll(CHORALE)
    alone, _ = music.note_loss(model, pianoroll.pad_rolls([short]))
    inputs, targets, mask = pianoroll.pad_rolls([short, long_])
    logits, _ = model(inputs)
    in_batch = music.masked_mean(music.frame_nll(logits, targets)[:, :1], mask[:, :1])
    assert torch.allclose(alone, in_batch, atol=1e-6)
    # garbage in the padded targets changes nothing
    targets_noisy = targets.clone()
    targets_noisy[2:, 0] = 1.0
    noisy = music.masked_mean(music.frame_nll(logits, targets_noisy)[:, :1], mask[:, :1])
    assert torch.allclose(in_batch, noisy)
    # per-frame NLLs from model_frame_nlls do not depend on the batch either
    nlls = music.model_frame_nlls(model, [short, long_])
    assert [len(f) for f in nlls] == [2, 5]
    assert np.allclose(nlls[0], music.model_frame_nlls(model, [short])[0], atol=1e-6)


# ---------------------------------------------------------------- NLL

def test_frame_nll_matches_a_hand_computation():
    logits = torch.zeros(88)
    logits[0], logits[1] = 2.0, -1.0
    target = torch.zeros(88)
    target[0] = 1.0
    # key 0 on with p = s(2); key 1 off with p = s(-1); 86 keys off with p = 1/2
    sig = lambda z: 1 / (1 + math.exp(-z))
    hand = -math.log(sig(2.0)) - math.log(1 - sig(-1.0)) + 86 * math.log(2)
    assert music.frame_nll(logits, target).item() == pytest.approx(hand, rel=1e-6)
    probs = torch.sigmoid(logits.double()).numpy()
    assert music.bernoulli_nll(probs, target.double().numpy()[None])[0] == pytest.approx(hand, rel=1e-9)


def test_uniform_guess_costs_88_ln2_per_step():
    roll = pianoroll.pitches_to_roll(CHORALE)
    assert music.nll_per_step([music.bernoulli_nll(np.full(88, 0.5), roll)]) == pytest.approx(88 * math.log(2))


def test_nll_per_step_pools_steps_or_averages_chorales():
    nlls = [np.array([1.0, 1.0, 1.0]), np.array([4.0])]
    assert music.nll_per_step(nlls) == pytest.approx(7 / 4)
    assert music.nll_per_step(nlls, average="chorales") == pytest.approx(2.5)
    with pytest.raises(ValueError, match="average"):
        music.nll_per_step(nlls, average="frames")


def test_baselines_are_smoothed_frequencies():
    roll = pianoroll.pitches_to_roll([[60], [60], [62]])
    p = music.key_frequencies([roll], alpha=1.0)
    assert p[60 - 21] == pytest.approx(3 / 5) and p[0] == pytest.approx(1 / 5)
    on_on, off_on = music.repeat_probs([roll], alpha=0.0 + 1e-12)
    assert on_on[60 - 21] == pytest.approx(0.5) and off_on[62 - 21] == pytest.approx(1 / 3)
    pred = music.repeat_predict(roll, on_on, off_on)
    assert pred.shape == (3, 88) and pred[1, 60 - 21] == pytest.approx(0.5)


# ---------------------------------------------------------------- model and sampling

@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_model_shapes_and_sampling(cell):
    torch.manual_seed(0)
    model = music.NoteRNN(8, cell, embed=4)
    logits, _ = model(torch.zeros(6, 3, 88))
    assert logits.shape == (6, 3, 88)
    a = music.sample_rolls(model, 2, 5, generator=torch.Generator().manual_seed(1))
    b = music.sample_rolls(model, 2, 5, generator=torch.Generator().manual_seed(1))
    assert a.shape == (2, 5, 88) and np.array_equal(a, b) and set(np.unique(a)) <= {0.0, 1.0}
    primed = music.sample_rolls(model, 1, 3, prime=pianoroll.pitches_to_roll(CHORALE))
    assert primed.shape == (1, 3, 88)


def test_model_rejects_a_wrong_frame_size_and_cell():
    with pytest.raises(ValueError, match="cell"):
        music.NoteRNN(8, "transformer")
    with pytest.raises(ValueError, match="expected shape"):
        music.NoteRNN(8)(torch.zeros(3, 2, 12))


def test_chorale_sampler_visits_every_roll_once_per_epoch():
    rolls = [np.full((n, 88), i, np.float32) for i, n in enumerate([3, 9, 4, 7, 5, 2, 8])]
    next_batch = pianoroll.chorale_sampler(rolls, 2, np.random.default_rng(0), pool=2)
    seen = []
    for _ in range(4):                     # 7 rolls in pools of 4: batches of 2, 2, 2, 1
        _, targets, mask = next_batch()
        seen += [int(targets[0, b, 0]) for b in range(targets.shape[1])]
    assert sorted(seen) == list(range(7))


# ---------------------------------------------------------------- synthesis

def test_synthesis_length_and_range():
    roll = pianoroll.pitches_to_roll(CHORALE)
    audio = pianoroll.synthesize(roll, sample_rate=11025, step_seconds=0.2)
    step = 2205                                            # 0.2 s at 11,025 Hz
    assert audio.dtype == np.float32 and audio.shape == (5 * step,)
    assert np.abs(audio).max() <= 1.0 and np.abs(audio).max() > 0.1
    assert np.all(audio[2 * step:3 * step] == 0)           # the rest is silent
    assert abs(audio[0]) < 0.05 and abs(audio[2 * step - 1]) < 0.05   # fades: no click
    assert not pianoroll.synthesize(np.zeros((4, 88))).any()


def test_synthesis_pitch_is_right_and_nyquist_is_checked():
    roll = pianoroll.pitches_to_roll([[69]] * 4)                     # A4, 440 Hz, held
    audio = pianoroll.synthesize(roll, sample_rate=8000, step_seconds=0.5)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / 8000)[spectrum.argmax()] == pytest.approx(440, abs=1)
    with pytest.raises(ValueError, match="Nyquist"):
        pianoroll.synthesize(pianoroll.pitches_to_roll([[108]]), sample_rate=8000)
    assert pianoroll.midi_to_hz(69) == pytest.approx(440.0) and pianoroll.midi_to_hz(81) == pytest.approx(880.0)
