"""Connected spoken digits transcribed with CTC (chapter 11).

Connected-digit utterances joined from Free Spoken Digit Dataset recordings (CC BY-SA 4.0,
see rnnlib.apps.audio), split by speaker and take; log-mel features; the bidirectional GRU
acoustic model trained with torch.nn.CTCLoss, and the shipped weights in models/. The CTC
algorithms themselves (numpy loss, decoding, error rates) are in rnnlib.seq2seq.ctc; the
segment-and-classify baseline is in rnnlib.apps.speech_baseline.

Classes: 0 is the blank, class d + 1 is digit d (N_CLASSES = 11).
"""
from pathlib import Path

import numpy as np
import torch

from ..seq2seq.ctc import BLANK, error_rate, greedy_decode, prefix_beam_search
from . import audio

N_CLASSES = 11
# The repository's models/ folder (rnnlib/apps/ -> the repository root).
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SHIPPED = MODELS_DIR / "speech_ctc.pt"
HELD_OUT = "george"          # the speaker chapter 09 held out too
MS = audio.SAMPLE_RATE // 1000

CONFIG = dict(split_seed=2025, n_mels=40, n_fft=200, hop=80, stack=2, hidden=96, layers=2,
              batch=32, lr=3e-3, clip_norm=5.0, steps=1500, min_digits=2, max_digits=7)


# ---------------------------------------------------------------- connected-digit utterances

def splits(table):
    """Recording indices by speaker AND take: train (five speakers, takes 10-49), val (takes 5-9),
    seen (their official test takes 0-4) and unseen (every take of HELD_OUT)."""
    other, take = table["speaker"] != HELD_OUT, table["take"]
    return {"train": np.flatnonzero(other & (take >= 10)), "val": np.flatnonzero(other & (take >= 5) & (take < 10)),
            "seen": np.flatnonzero(other & (take < 5)), "unseen": np.flatnonzero(~other)}


def trim_silence(wave, floor_db=-35.0, frame=10 * MS):
    """Cut a recording's quiet onset and tail: keep the 10 ms frames from the first to the last
    whose energy is within floor_db of the loudest frame."""
    n = max(1, len(wave) // frame)
    energy = 10 * np.log10((wave[:n * frame].reshape(n, -1) ** 2).mean(1) + 1e-10)
    loud = np.flatnonzero(energy > energy.max() + floor_db)
    return wave[loud[0] * frame:(loud[-1] + 1) * frame]


def join(waves, gaps_ms):
    """Concatenate recordings with the given gaps (ms) between them; a negative gap overlaps the
    two by that much with a linear crossfade. Returns (float32 wave, word spans (start, end))."""
    out, spans = np.asarray(waves[0], dtype=np.float32).copy(), [(0, len(waves[0]))]
    for w, g in zip(waves[1:], gaps_ms):
        g = int(round(g * MS))
        if g >= 0:
            start = len(out) + g
            out = np.concatenate((out, np.zeros(g, np.float32), w))
        else:
            o = min(-g, len(out), len(w))
            ramp = np.linspace(0.0, 1.0, o, dtype=np.float32)
            start = len(out) - o
            out = np.concatenate((out[:start], out[start:] * (1 - ramp) + w[:o] * ramp, w[o:]))
        spans.append((start, start + len(w)))
    return out, spans


def make_utterance(waves, table, pool, rng, condition="gaps", n_digits=None, config=CONFIG):
    """One connected-digit utterance from one speaker of the recordings `pool` (index array).

    condition "gaps": the recordings as recorded, 0-150 ms of silence between them (each keeps its
    own quiet onset and tail); "connected": each recording trimmed of silence, then crossfaded
    into the next by 0-60 ms, so no silence separates the words.
    Returns dict(wave, digits (tuple), spans (list of (start, end) samples), speaker)."""
    speaker = rng.choice(np.unique(table["speaker"][pool]))
    mine = pool[table["speaker"][pool] == speaker]
    n = n_digits or int(rng.integers(config["min_digits"], config["max_digits"] + 1))
    chosen = rng.choice(mine, n, replace=False)
    if condition == "gaps":
        parts, gaps = [waves[i] for i in chosen], rng.uniform(0, 150, n - 1)
    elif condition == "connected":
        parts, gaps = [trim_silence(waves[i]) for i in chosen], -rng.uniform(0, 60, n - 1)
    else:
        raise ValueError(f"condition: expected 'gaps' or 'connected', got {condition!r}")
    wave, spans = join(parts, gaps)
    return {"wave": wave, "digits": tuple(int(d) for d in table["digit"][chosen]), "spans": spans,
            "speaker": str(speaker)}


def make_set(waves, table, pool, n, seed, condition):
    """n utterances drawn with their own generator, so a set is the same whatever else ran."""
    rng = np.random.default_rng(seed)
    return [make_utterance(waves, table, pool, rng, condition) for _ in range(n)]


# ---------------------------------------------------------------- features and the model

def features(wave_list, config=CONFIG):
    """Log-mel frames (25 ms window, 10 ms hop), each utterance normalised to zero mean and unit
    variance per band, two frames stacked per step (20 ms): (T, B, 2 n_mels) and lengths (B,)."""
    lengths = np.array([len(w) for w in wave_list])
    padded, _ = audio.pad_waves(wave_list, int(lengths.max()))
    feats = audio.log_mel(torch.from_numpy(padded), config["n_mels"], config["n_fft"], config["hop"])
    frames = torch.as_tensor(audio.n_frames(lengths, config["n_fft"], config["hop"]))
    mask = (torch.arange(feats.shape[1])[None, :] < frames[:, None]).unsqueeze(-1).float()
    mean = (feats * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)
    sd = torch.sqrt((((feats - mean) * mask) ** 2).sum(1, keepdim=True) / mask.sum(1, keepdim=True))
    feats = (feats - mean) / (sd + 1e-5) * mask
    k = config["stack"]
    T = feats.shape[1] // k
    stacked = feats[:, :T * k].reshape(len(wave_list), T, k * feats.shape[2])
    return stacked.transpose(0, 1).contiguous(), torch.clamp(frames // k, min=1)


class CTCModel(torch.nn.Module):
    """A bidirectional GRU over feature frames and a linear layer to the 11 classes:
    x (T, B, D), lengths (B,) -> log-probabilities (T, B, N_CLASSES)."""

    def __init__(self, n_in, hidden, layers):
        super().__init__()
        self.rnn = torch.nn.GRU(n_in, hidden, layers, bidirectional=True)
        self.out = torch.nn.Linear(2 * hidden, N_CLASSES)

    def forward(self, x, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        h, _ = torch.nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], total_length=x.shape[0])
        return torch.log_softmax(self.out(h), dim=-1)


def build_model(config=CONFIG):
    return CTCModel(config["stack"] * config["n_mels"], config["hidden"], config["layers"])


def ctc_batches(waves, table, pool, rng, config=CONFIG):
    """A callable for rnnlib.fit: each call makes `batch` fresh training utterances, half of them
    in each condition, and returns (features, lengths, targets (B, U_max), target lengths)."""
    def next_batch():
        utts = [make_utterance(waves, table, pool, rng, ("gaps", "connected")[i % 2])
                for i in range(config["batch"])]
        x, lengths = features([u["wave"] for u in utts], config)
        targets = torch.zeros(len(utts), max(len(u["digits"]) for u in utts), dtype=torch.long)
        for i, u in enumerate(utts):
            targets[i, :len(u["digits"])] = torch.tensor(u["digits"]) + 1
        return x, lengths, targets, torch.tensor([len(u["digits"]) for u in utts])
    return next_batch


def ctc_training_loss(model, batch):
    """fit's loss: torch.nn.CTCLoss (blank 0) averaged over utterances, per target label."""
    x, lengths, targets, target_lengths = batch
    log_probs = model(x, lengths)
    return torch.nn.functional.ctc_loss(log_probs, targets, lengths, target_lengths, blank=BLANK,
                                        zero_infinity=True)


@torch.no_grad()
def posteriors(model, utterances, config=CONFIG, batch=64):
    """Per-utterance log-probabilities, a list of float64 numpy arrays (T_i, N_CLASSES)."""
    was_training = model.training
    model.eval()
    out = []
    for i in range(0, len(utterances), batch):
        x, lengths = features([u["wave"] for u in utterances[i:i + batch]], config)
        lp = model(x, lengths).double().numpy()
        out += [lp[:n, b] for b, n in enumerate(lengths.tolist())]
    model.train(was_training)
    return out


def transcribe(log_probs_list, decoder="greedy", beam=8):
    """Digit tuples from per-utterance log-probabilities, by "greedy" or "beam" decoding."""
    if decoder == "greedy":
        return [tuple(k - 1 for k in greedy_decode(lp)) for lp in log_probs_list]
    return [tuple(k - 1 for k in prefix_beam_search(lp, beam)[0]) for lp in log_probs_list]


def validation_set(waves, table, config=CONFIG, n=100):
    """The fixed validation utterances (takes 5-9 of the training speakers), both conditions."""
    pool = splits(table)["val"]
    return (make_set(waves, table, pool, n // 2, config["split_seed"] + 1, "gaps")
            + make_set(waves, table, pool, n // 2, config["split_seed"] + 2, "connected"))


def train(seed=0, steps=None, config=CONFIG, progress=True, eval_every=None):
    """Train the acoustic model from `seed` on fresh utterances of the training recordings,
    with the greedy digit error rate on the validation utterances every `eval_every` steps.
    Returns (model, history)."""
    from rnnlib.train import fit
    from rnnlib.utils import seed_everything
    rng = seed_everything(seed)
    waves, table = audio.load_fsdd()
    val = validation_set(waves, table, config)
    model = build_model(config)

    def evaluate(m):
        return {"der": error_rate([u["digits"] for u in val], transcribe(posteriors(m, val, config)))["rate"]}
    history = fit(model, ctc_training_loss, ctc_batches(waves, table, splits(table)["train"], rng, config),
                  steps=steps or config["steps"], lr=config["lr"], clip_norm=config["clip_norm"],
                  evaluate=evaluate if eval_every else None, eval_every=eval_every,
                  progress=progress, desc="CTC BiGRU")
    return model, history


def save(path, model, history, config=CONFIG):
    """Weights as float16 (small files), the config and the training loss per step."""
    torch.save({"config": config, "state_dict": {k: v.half() for k, v in model.state_dict().items()},
                "loss": history.train["loss"], "val": history.val}, path)


def load(path=SHIPPED):
    """(model in eval mode with float32 weights, config, {"loss": per step, "val": evaluations})."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(blob["config"])
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    return model.eval(), blob["config"], {"loss": blob["loss"], "val": blob["val"]}
