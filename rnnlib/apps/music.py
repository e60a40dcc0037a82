"""Modelling Bach chorales (chapter 10): next-step note models, their likelihood, the
baselines, and sampling. The data and piano rolls are in rnnlib.apps.pianoroll.

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
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..experiments import set_forget_bias_
from ..utils import check_shape
from .pianoroll import N_KEYS, pad_rolls

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


# ---------------------------------------------------------------- the model

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


# ---------------------------------------------------------------- baselines

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
