"""Music as data (chapter 10): the JSB Chorales loader, piano-roll encoding and decoding,
batches of chorales, a piano-roll plot, and synthesis with sine waves.

A chorale is a list of time steps (one per quarter note), each step a list of the MIDI
pitches sounding then. The piano roll encodes it over the 88 keys of a piano (MIDI 21 to
108) as a (T, 88) array of 0/1: roll[t, k] = 1 when key k (pitch 21 + k) sounds at step t.
"""
import json

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..data import data_path
from ..utils import check_int, check_rng, check_shape

LOWEST = 21     # MIDI pitch of the piano's lowest key, A0
N_KEYS = 88     # A0 (21) to C8 (108)
JSB_FILE = "jsb_chorales/jsb-chorales-quarter.json"
SPLITS = ("train", "valid", "test")


# ---------------------------------------------------------------- data and encoding

def load_jsb_chorales(name=JSB_FILE):
    """The JSB Chorales: {"train": [...], "valid": [...], "test": [...]} (229, 76, 77 chorales).

    Each chorale is a list of T steps (quarter notes), each step a sorted list of the MIDI
    pitches sounding (usually four, sometimes fewer; an empty list is a rest).
    Raises FileNotFoundError naming the path when data/<name> is missing.
    """
    with data_path(name).open(encoding="utf-8") as f:
        raw = json.load(f)
    missing = [s for s in SPLITS if s not in raw]
    if missing:
        raise ValueError(f"{name}: expected the splits {SPLITS}, missing {missing}")
    return {s: [[sorted(int(p) for p in step) for step in chorale] for chorale in raw[s]]
            for s in SPLITS}


def pitches_to_roll(chorale, dtype=np.float32):
    """A chorale (list of T lists of MIDI pitches) as a piano roll (T, 88) of 0/1."""
    roll = np.zeros((len(chorale), N_KEYS), dtype=dtype)
    for t, step in enumerate(chorale):
        for pitch in step:
            if not LOWEST <= pitch < LOWEST + N_KEYS:
                raise ValueError(f"pitch {pitch} at step {t} is off the piano "
                                 f"(MIDI {LOWEST} to {LOWEST + N_KEYS - 1})")
            roll[t, pitch - LOWEST] = 1
    return roll


def roll_to_pitches(roll):
    """A piano roll (T, 88) back to a chorale: T sorted lists of MIDI pitches (a key is on if > 0.5)."""
    roll = np.asarray(roll)
    check_shape("roll", roll, (None, N_KEYS))
    return [[LOWEST + int(k) for k in np.flatnonzero(frame > 0.5)] for frame in roll]


def pad_rolls(rolls, device="cpu"):
    """Batch variable-length rolls for next-step prediction, time first.

    rolls: list of B arrays (T_b, 88).
    Returns (inputs, targets, mask), tensors on `device`, T = max T_b:
        targets (T, B, 88) float32: the rolls, zero-padded after their end;
        inputs (T, B, 88): targets shifted one step later, a silent frame at t = 0, so that
            the model predicts every step, the first included, from the steps before it;
        mask (T, B) float32: 1 on the real steps of each chorale, 0 on the padding.
    """
    if not rolls:
        raise ValueError("rolls: expected at least one roll")
    for i, roll in enumerate(rolls):
        check_shape(f"rolls[{i}]", roll, (None, N_KEYS))
    T, B = max(len(r) for r in rolls), len(rolls)
    targets = np.zeros((T, B, N_KEYS), dtype=np.float32)
    mask = np.zeros((T, B), dtype=np.float32)
    for b, roll in enumerate(rolls):
        targets[:len(roll), b] = roll
        mask[:len(roll), b] = 1
    inputs = np.concatenate([np.zeros((1, B, N_KEYS), np.float32), targets[:-1]])
    return tuple(torch.as_tensor(a, device=device) for a in (inputs, targets, mask))


def chorale_sampler(rolls, batch_size, rng, device="cpu", pool=4):
    """A batch source for rnnlib.fit: each call returns the next padded batch (pad_rolls).

    Every epoch goes through all the rolls once in a new random order. To waste little
    time on padding, the order is cut into pools of pool * batch_size rolls, each pool is
    sorted by length and cut into batches (so a batch holds chorales of similar lengths),
    and the batches are shuffled. The last batch of a pool may be smaller.
    rng: a numpy Generator, the only source of randomness (the same seed, the same batches).
    """
    check_rng(rng)
    batch_size = check_int("batch_size", batch_size)
    pool = check_int("pool", pool)
    queue = []

    def next_batch():
        if not queue:
            order = rng.permutation(len(rolls))
            batches = []
            for start in range(0, len(order), pool * batch_size):
                chunk = sorted(order[start:start + pool * batch_size], key=lambda i: len(rolls[i]))
                batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
            queue.extend(batches[k] for k in rng.permutation(len(batches)))
        return pad_rolls([rolls[i] for i in queue.pop()], device)
    return next_batch


# ---------------------------------------------------------------- listening and looking

def plot_roll(roll, ax=None, title=None, pitch_range=None, color="#1f77b4"):
    """Draw a piano roll: time steps across, MIDI pitch up, a filled cell per sounding note.

    pitch_range: (low, high) MIDI pitches to show; default: the notes present, +-2.
    """
    roll = np.asarray(roll)
    check_shape("roll", roll, (None, N_KEYS))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 2.8))
    keys = np.flatnonzero(roll.max(0) > 0.5)
    if pitch_range is None:
        pitch_range = (LOWEST + keys.min() - 2, LOWEST + keys.max() + 2) if keys.size else (60, 72)
    low, high = pitch_range
    shown = roll[:, low - LOWEST:high - LOWEST + 1].T > 0.5                    # (pitches, T)
    cmap = plt.matplotlib.colors.ListedColormap(["white", color])
    ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
              extent=(-0.5, len(roll) - 0.5, low - 0.5, high + 0.5))
    ax.grid(False)
    ax.set_xlabel("step (quarter notes)")
    ax.set_ylabel("MIDI pitch")
    if title:
        ax.set_title(title)
    return ax


def midi_to_hz(pitch):
    """Equal temperament with A4 (MIDI 69) at 440 Hz: f = 440 * 2 ** ((pitch - 69) / 12)."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=np.float64) - 69) / 12)


def synthesize(roll, sample_rate=11025, step_seconds=0.4, fade_seconds=0.01):
    """A piano roll as sound: a float32 array in [-1, 1] for IPython.display.Audio.

    Every note is a sine wave at its pitch's frequency. A key held over consecutive steps
    is one long note (the roll cannot tell a held note from a repeated one). Each note
    fades in and out linearly over `fade_seconds`, since a sine that starts or stops
    abruptly clicks. The sum is scaled by 1/4 (four voices) and, if still louder, to a
    peak of 1. Length: T * round(step_seconds * sample_rate) samples. The default rate,
    11,025 Hz, keeps every piano key (up to 4,186 Hz) below the Nyquist frequency, half the
    rate; a key above it would sound at a wrong, folded-back pitch, so it raises ValueError.
    """
    roll = np.asarray(roll) > 0.5
    check_shape("roll", roll, (None, N_KEYS))
    step = int(round(step_seconds * sample_rate))
    fade = max(1, int(round(fade_seconds * sample_rate)))
    if step < 2 * fade:
        raise ValueError(f"step_seconds {step_seconds} is shorter than two fades of {fade_seconds} s")
    out = np.zeros(len(roll) * step)
    for k in np.flatnonzero(roll.any(0)):
        freq = midi_to_hz(LOWEST + k)
        if freq >= sample_rate / 2:
            raise ValueError(f"MIDI pitch {LOWEST + k} ({freq:.0f} Hz) is above the Nyquist "
                             f"frequency of {sample_rate} Hz sampling; raise sample_rate")
        on = np.concatenate([[False], roll[:, k], [False]]).astype(int)
        starts, ends = np.flatnonzero(np.diff(on) == 1), np.flatnonzero(np.diff(on) == -1)
        for s, e in zip(starts * step, ends * step):             # one note per run of steps
            t = np.arange(e - s) / sample_rate
            envelope = np.minimum(1.0, np.minimum(np.arange(e - s) + 1, np.arange(e - s, 0, -1)) / fade)
            out[s:e] += envelope * np.sin(2 * np.pi * freq * t)
    out /= 4
    peak = np.abs(out).max(initial=0.0)
    if peak > 1:
        out /= peak
    return out.astype(np.float32)
