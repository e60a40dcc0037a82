"""Bach chorales (chapter 10): the JSB Chorales loader, piano-roll encoding and decoding, next-step note models, synthesis with sine waves.

A chorale is a list of time steps (one per quarter note), each step a list of the MIDI
pitches sounding then. The piano roll encodes it over the 88 keys of a piano (MIDI 21 to
108) as a (T, 88) array of 0/1: roll[t, k] = 1 when key k (pitch 21 + k) sounds at step t.

The model predicts each step from the steps before it, one independent Bernoulli per key:

    x_t = roll[t-1]  (a frame of silence before the first step)
    e_t = W_e x_t + b_e                  embedding of a multi-hot frame: the sum of its keys' columns
    h_t = cell(e_t, h_{t-1})             torch.nn RNN (tanh), GRU or LSTM
    p(roll[t, k] = 1 | roll[<t]) = sigmoid(W_y h_t + b_y)_k

and is scored by the negative log-likelihood per time step, in nats: the sum over the 88
keys of the Bernoulli NLL of a frame, averaged over every step of every test chorale.

    splits = load_jsb_chorales()
    train = [pitches_to_roll(c) for c in splits["train"]]
    model = NoteRNN(hidden=96, cell="gru").to(device)
    rnnlib.fit(model, note_loss, chorale_sampler(train, 16, rng, device), steps=400, lr=3e-3)
    nll_per_step(model_frame_nlls(model, test))
"""
import json

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import data
from .experiments import set_forget_bias_
from .utils import check_shape

LOWEST = 21     # MIDI pitch of the piano's lowest key, A0
N_KEYS = 88     # A0 (21) to C8 (108)
JSB_FILE = "jsb_chorales/jsb-chorales-quarter.json"
SPLITS = ("train", "valid", "test")
CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


# ---------------------------------------------------------------- data and encoding

def load_jsb_chorales(name=JSB_FILE):
    """The JSB Chorales: {"train": [...], "valid": [...], "test": [...]} (229, 76, 77 chorales).

    Each chorale is a list of T steps (quarter notes), each step a sorted list of the MIDI
    pitches sounding (usually four, sometimes fewer; an empty list is a rest).
    Raises FileNotFoundError naming the path when data/<name> is missing.
    """
    with data._data_path(name).open(encoding="utf-8") as f:
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
    data._check_rng(rng)
    batch_size = data._check_int("batch_size", batch_size)
    pool = data._check_int("pool", pool)
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


# ---------------------------------------------------------------- the model and its loss

class NoteRNN(nn.Module):
    """Frames of notes in, 88 independent note probabilities for the next frame out.

    hidden: H, the size of the recurrent state; cell: "rnn" (tanh), "gru" or "lstm"
        (torch.nn modules; the LSTM's forget-gate bias starts at 1); embed: E, the size of
        the frame embedding, a linear map of the multi-hot frame (the sum of its keys' columns).
    forward(x (T, B, 88), state=None) -> (logits (T, B, 88), state); sigmoid(logits[t])
        are the probabilities of the keys at step t given x[:t+1] (x[t] = frame t-1).
    """

    def __init__(self, hidden, cell="rnn", embed=64):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {tuple(CELLS)}, got {cell!r}")
        self.cell = cell
        self.embed = nn.Linear(N_KEYS, embed)
        self.rnn = CELLS[cell](embed, hidden)
        if cell == "lstm":
            set_forget_bias_(self.rnn, 1.0)
        self.head = nn.Linear(hidden, N_KEYS)

    def forward(self, x, state=None):
        check_shape("x", x, (None, None, N_KEYS))
        output, state = self.rnn(self.embed(x), state)
        return self.head(output), state

    def extra_repr(self):
        return f"cell={self.cell!r}"


def frame_nll(logits, targets):
    """Negative log-likelihood of each frame in nats: sum over the 88 keys of the Bernoulli NLL.

    -log p(frame) = -sum_k [y_k log p_k + (1 - y_k) log(1 - p_k)],  p = sigmoid(logits).
    logits, targets: (..., 88) tensors. Returns (...).
    """
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(-1)


def masked_mean(values, mask):
    """The mean of `values` over the entries where mask is 1: padding counts for nothing."""
    return (values * mask).sum() / mask.sum()


def note_loss(model, batch):
    """The training loss for rnnlib.fit: NLL per real time step of a padded batch (nats)."""
    inputs, targets, mask = batch
    logits, _ = model(inputs)
    loss = masked_mean(frame_nll(logits, targets), mask)
    return loss, {"nll": loss.detach()}


@torch.no_grad()
def model_frame_nlls(model, rolls, batch_size=64):
    """The NLL (nats) of every step of every roll under the model: a list of (T_b,) float64 arrays."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(rolls), batch_size):
        chunk = rolls[start:start + batch_size]
        inputs, targets, _ = pad_rolls(chunk, device)
        nll = frame_nll(model(inputs)[0], targets).double().cpu().numpy()  # (T, B)
        out += [nll[:len(roll), b] for b, roll in enumerate(chunk)]
    model.train(was_training)
    return out


def nll_per_step(frame_nlls, average="steps"):
    """Mean NLL per time step from per-step NLLs (a list of (T_b,) arrays, one per chorale).

    average="steps": the total NLL over all steps of all chorales divided by the number of
        steps (every step weighs the same; long chorales weigh more);
    average="chorales": the mean over chorales of each chorale's mean per step.
    """
    if average == "steps":
        return float(np.concatenate(frame_nlls).sum() / sum(len(f) for f in frame_nlls))
    if average == "chorales":
        return float(np.mean([f.mean() for f in frame_nlls]))
    raise ValueError(f"average must be 'steps' or 'chorales', got {average!r}")


# ---------------------------------------------------------------- baselines without a network

def bernoulli_nll(probs, roll):
    """NLL (nats) of each frame of `roll` (T, 88) under key probabilities `probs` ((88,) or (T, 88))."""
    probs = np.broadcast_to(np.asarray(probs, dtype=np.float64), roll.shape)
    return -(roll * np.log(probs) + (1 - roll) * np.log1p(-probs)).sum(-1)


def key_frequencies(rolls, alpha=1.0):
    """How often each key sounds in the training rolls, smoothed: (count_k + alpha) / (steps + 2 alpha)."""
    stacked = np.concatenate(rolls).astype(np.float64)
    return (stacked.sum(0) + alpha) / (len(stacked) + 2 * alpha)


def previous_frame(roll):
    """The frame before each step, a silent frame before the first: (T, 88)."""
    return np.concatenate([np.zeros((1, N_KEYS), roll.dtype), roll[:-1]])


def repeat_probs(rolls, alpha=1.0):
    """A smoothed "repeat the previous frame" model, one two-state chain per key.

    Returns (p_on_after_on, p_on_after_off), each (88,): the training frequency with which
    key k sounds given that it sounded (did not sound) at the step before, with add-alpha
    smoothing. Apply with repeat_predict.
    """
    prev = np.concatenate([previous_frame(r) for r in rolls]).astype(np.float64)
    now = np.concatenate(rolls).astype(np.float64)
    on_on = ((prev * now).sum(0) + alpha) / (prev.sum(0) + 2 * alpha)
    off_on = (((1 - prev) * now).sum(0) + alpha) / ((1 - prev).sum(0) + 2 * alpha)
    return on_on, off_on


def repeat_predict(roll, p_on_after_on, p_on_after_off):
    """Key probabilities (T, 88) for each step of `roll` from the frame before it."""
    prev = previous_frame(roll)
    return prev * p_on_after_on + (1 - prev) * p_on_after_off


# ---------------------------------------------------------------- sampling

@torch.no_grad()
def sample_rolls(model, n, steps, generator=None, prime=None):
    """Generate n new chorales of `steps` steps, note by note: a (n, steps, 88) float32 array.

    At every step each key is drawn from its own Bernoulli(sigmoid(logit)), and the drawn
    frame is fed back as the next input. prime: optional (P, 88) roll the model reads first
    (the result continues it and does not include it). generator: a CPU torch.Generator
    for repeatable samples (drawing on the CPU gives the same notes on any device).
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    x = torch.zeros(1, n, N_KEYS, device=device)
    if prime is not None:
        check_shape("prime", prime, (None, N_KEYS))
        x = torch.cat([x, torch.as_tensor(prime, dtype=torch.float32, device=device)[:, None].expand(-1, n, -1)])
    logits, state = model(x)
    frames = []
    for _ in range(steps):
        probs = torch.sigmoid(logits[-1].float().cpu())                      # (n, 88)
        frame = torch.bernoulli(probs, generator=generator)
        frames.append(frame)
        logits, state = model(frame.to(device)[None], state)
    model.train(was_training)
    return torch.stack(frames, 1).numpy()


# ---------------------------------------------------------------- plotting and listening

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
