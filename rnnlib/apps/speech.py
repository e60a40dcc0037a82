"""Connected spoken digits transcribed with CTC (chapter 11).

Connectionist Temporal Classification (Graves, Fernandez, Gomez & Schmidhuber, ICML 2006)
in numpy: the forward (alpha) and backward (beta) recursions in log space, the loss and its
gradient; best-path (greedy) and prefix beam-search decoding; edit distance with its
substitution, deletion and insertion counts; connected-digit utterances joined from Free
Spoken Digit Dataset recordings (CC BY-SA 4.0, see rnnlib.audio); the segment-on-energy
baseline; the bidirectional GRU acoustic model and the shipped weights in models/.

Classes: 0 is the blank, class d + 1 is digit d (N_CLASSES = 11).
"""
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from rnnlib import audio

BLANK = 0
N_CLASSES = 11
MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "models"
SHIPPED = MODELS_DIR / "speech_ctc.pt"
HELD_OUT = "george"          # the speaker chapter 09 held out too
MS = audio.SAMPLE_RATE // 1000

CONFIG = dict(split_seed=2025, n_mels=40, n_fft=200, hop=80, stack=2, hidden=96, layers=2,
              batch=32, lr=3e-3, clip_norm=5.0, steps=1500, min_digits=2, max_digits=7)


# ---------------------------------------------------------------- CTC in numpy

def extend_labels(labels):
    """l' = (blank, l1, blank, l2, ..., lU, blank): the 2U + 1 states of the lattice."""
    ext = np.full(2 * len(labels) + 1, BLANK, dtype=np.int64)
    ext[1::2] = labels
    return ext


def _can_skip(ext):
    """State s may be entered from s - 2 (skipping a blank) iff l'_s is a label unlike l'_{s-2}."""
    skip = np.zeros(len(ext), dtype=bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    return skip


def ctc_alpha(log_probs, labels):
    """Forward variables, log alpha_t(s) (T, 2U + 1): log-probability of all prefixes of paths
    that emit frames 0..t and are in state s at t. log_probs (T, C): per-frame log-softmax.

    alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2) if skip]) y_t(l'_s)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    ext = extend_labels(labels)
    T, S = len(log_probs), len(ext)
    skip = _can_skip(ext)
    alpha = np.full((T, S), -np.inf)
    alpha[0, 0] = log_probs[0, ext[0]]
    if S > 1:
        alpha[0, 1] = log_probs[0, ext[1]]
    for t in range(1, T):
        prev = alpha[t - 1]
        one = np.concatenate(([-np.inf], prev[:-1]))
        two = np.where(skip, np.concatenate(([-np.inf, -np.inf], prev[:-2]))[:S], -np.inf)
        alpha[t] = np.logaddexp(np.logaddexp(prev, one), two) + log_probs[t, ext]
    return alpha


def ctc_beta(log_probs, labels):
    """Backward variables, log beta_t(s) (T, 2U + 1): log-probability of emitting frames
    t+1..T-1 and finishing in one of the last two states, given state s at t (the emission at t
    excluded, so alpha_t(s) beta_t(s) sums the paths through state s at time t)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    ext = extend_labels(labels)
    T, S = len(log_probs), len(ext)
    skip = _can_skip(ext)
    beta = np.full((T, S), -np.inf)
    beta[T - 1, S - 1] = 0.0
    if S > 1:
        beta[T - 1, S - 2] = 0.0
    for t in range(T - 2, -1, -1):
        nxt = beta[t + 1] + log_probs[t + 1, ext]          # in state s' at t + 1, emitting there
        one = np.concatenate((nxt[1:], [-np.inf]))
        two = np.concatenate((np.where(skip, nxt, -np.inf)[2:], [-np.inf, -np.inf]))[:S]
        beta[t] = np.logaddexp(np.logaddexp(nxt, one), two)
    return beta


def ctc_loss(log_probs, labels):
    """-log p(labels | x) = -log(alpha_{T-1}(S-1) + alpha_{T-1}(S-2)); inf if too few frames."""
    alpha = ctc_alpha(log_probs, labels)
    return -np.logaddexp.reduce(alpha[-1, -2:])


def ctc_grad(log_probs, labels):
    """Gradient of ctc_loss with respect to the logits a_t(k), when log_probs = log_softmax(a):
    dL/da_t(k) = y_t(k) - gamma_t(k), gamma_t(k) = sum_{s: l'_s = k} alpha_t(s) beta_t(s) / p(l|x),
    the posterior probability that frame t is labelled k. Returns (T, C)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    alpha, beta = ctc_alpha(log_probs, labels), ctc_beta(log_probs, labels)
    log_p = np.logaddexp.reduce(alpha[-1, -2:])
    occupancy = np.exp(alpha + beta - log_p)                 # (T, S), each row sums to 1
    gamma = np.zeros_like(log_probs)
    np.add.at(gamma.T, extend_labels(labels), occupancy.T)   # sum the states that share a class
    return np.exp(log_probs) - gamma


# ---------------------------------------------------------------- decoding

def collapse(path):
    """The CTC map B: merge repeated classes, then drop blanks. (1,1,0,1,2,2) -> (1,1,2)."""
    path = np.asarray(path)
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = path[1:] != path[:-1]
    return tuple(int(k) for k in path[keep] if k != BLANK)


def greedy_decode(log_probs):
    """Best path: the most probable class at each frame, collapsed. log_probs (T, C)."""
    return collapse(np.asarray(log_probs).argmax(1))


def prefix_beam_search(log_probs, beam=8, prune=1e-3):
    """CTC prefix beam search (Graves & Jaitly 2014; Hannun et al. 2014), in log space.

    Each prefix keeps two scores: paths that end in a blank (pb) and in its last label (pnb),
    because a repeated label only extends the prefix after a blank. Classes below `prune`
    probability at a frame are not tried (the frame's best class always is).
    Returns (labels tuple, log p(prefix) summed over the alignments the beam kept)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    beams = {(): (0.0, -np.inf)}
    for lp in log_probs:
        tried = np.flatnonzero((lp > (np.log(prune) if prune > 0 else -np.inf)) | (lp == lp.max()))
        nxt = defaultdict(lambda: [-np.inf, -np.inf])
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            for k in tried:
                if k == BLANK:
                    nxt[prefix][0] = np.logaddexp(nxt[prefix][0], total + lp[k])
                elif prefix and prefix[-1] == k:
                    nxt[prefix][1] = np.logaddexp(nxt[prefix][1], pnb + lp[k])   # repeat: same label
                    nxt[prefix + (k,)][1] = np.logaddexp(nxt[prefix + (k,)][1], pb + lp[k])
                else:
                    nxt[prefix + (int(k),)][1] = np.logaddexp(nxt[prefix + (int(k),)][1], total + lp[k])
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam]
        beams = {p: tuple(s) for p, s in ranked}
    best, (pb, pnb) = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))
    return best, float(np.logaddexp(pb, pnb))


# ---------------------------------------------------------------- evaluation

def edit_ops(ref, hyp):
    """Levenshtein alignment of hyp to ref: dict with "sub", "del", "ins" counts and "n" = len(ref).

    Dynamic programme D[i, j] = fewest edits turning ref[:i] into hyp[:j]; the backtrace prefers
    a match or substitution, then a deletion, then an insertion, so the counts are well defined."""
    ref, hyp = list(ref), list(hyp)
    D = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=np.int64)
    D[:, 0], D[0, :] = np.arange(len(ref) + 1), np.arange(len(hyp) + 1)
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            D[i, j] = min(D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), D[i - 1, j] + 1, D[i, j - 1] + 1)
    ops = {"sub": 0, "del": 0, "ins": 0, "n": len(ref)}
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and D[i, j] == D[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            ops["sub"] += int(ref[i - 1] != hyp[j - 1])
            i, j = i - 1, j - 1
        elif i and D[i, j] == D[i - 1, j] + 1:
            ops["del"], i = ops["del"] + 1, i - 1
        else:
            ops["ins"], j = ops["ins"] + 1, j - 1
    return ops


def error_rate(refs, hyps):
    """Digit error rate over a corpus, as speech papers report it: (S + D + I) / N, with the
    totals and the fraction of utterances transcribed exactly. Returns a dict."""
    if len(refs) != len(hyps):
        raise ValueError(f"refs and hyps: expected the same number of utterances, got {len(refs)} and {len(hyps)}")
    tot = {"sub": 0, "del": 0, "ins": 0, "n": 0}
    for r, h in zip(refs, hyps):
        for key, v in edit_ops(r, h).items():
            tot[key] += v
    tot["rate"] = (tot["sub"] + tot["del"] + tot["ins"]) / max(tot["n"], 1)
    tot["exact"] = float(np.mean([tuple(r) == tuple(h) for r, h in zip(refs, hyps)]))
    return tot


def bootstrap_interval(refs, hyps, rng, n=1000, level=0.95):
    """A percentile bootstrap interval of the digit error rate, resampling whole utterances."""
    ops = [edit_ops(r, h) for r, h in zip(refs, hyps)]
    errors = np.array([o["sub"] + o["del"] + o["ins"] for o in ops])
    digits = np.array([o["n"] for o in ops])
    idx = rng.integers(0, len(ops), (n, len(ops)))
    rates = errors[idx].sum(1) / digits[idx].sum(1)
    return tuple(np.quantile(rates, [(1 - level) / 2, (1 + level) / 2]))


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
