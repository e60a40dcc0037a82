"""Encoder-decoder models (chapter 07): encoder, decoder, teacher forcing, padding masks,
greedy decoding and beam search; the length experiment chapters 07 and 08 share.

Shapes (time first, as torch.nn): source ids src (S, B) and target ids (T, B), int64,
padded with pad_id = 0; lengths (B,) int64. Attention (rnnlib.attention) works batch
first: memory (B, S, H_enc), mask (B, S) bool, True = real token.

The model (Sutskever, Vinyals & Le 2014; Cho et al. 2014):
    encoder:  h_j = RNN(embed(x_j), h_{j-1}),  j = 1..S     (packed: padding never read)
    decoder:  s_0 = the encoder's final state
              s_i = RNN([embed(y_{i-1}); c_i], s_{i-1}),   p(y_i | y_<i, x) = softmax(W_o [s_i; c_i])
    with attention (Bahdanau, Cho & Bengio 2015) c_i = attend(query s_{i-1}, keys h_1..h_S);
    without attention there is no c_i: s_0 is all the decoder knows of the source.
"""
from collections import namedtuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import AdditiveAttention, MultiplicativeAttention
from .data import reversal_pairs
from .train import fit
from .translation import BOS_ID, EOS_ID, PAD_ID, WordVocab, pad_batch
from .utils import check_shape

RNN_TYPES = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
# One step of each layer type, on the layer's own weights (what nn.GRUCell etc. call).
_CELL_FUNCTIONS = {"gru": torch.gru_cell, "lstm": torch.lstm_cell, "rnn": torch.rnn_tanh_cell}


def _rnn_type(cell):
    if cell not in RNN_TYPES:
        raise ValueError(f"cell: expected one of {sorted(RNN_TYPES)}, got {cell!r}")
    return RNN_TYPES[cell]


def _check_ids(name, ids, shape):
    check_shape(name, ids, shape)
    if ids.dtype != torch.int64:
        raise ValueError(f"{name}: expected int64 token ids, got dtype {ids.dtype}")


# A decoder state is h (B, H) for the GRU and the RNN, the pair (h, c) for the LSTM;
# torch.nn's layers want (1, B, H). These helpers hide the difference.
def _hidden(state):
    return state[0] if isinstance(state, tuple) else state


def _as_layer(state):
    return tuple(s.unsqueeze(0) for s in state) if isinstance(state, tuple) else state.unsqueeze(0)


def _select(state, index):
    """Rows `index` of a state (beam search reorders hypotheses this way)."""
    return tuple(s[index] for s in state) if isinstance(state, tuple) else state[index]


class Encoder(nn.Module):
    """Embedding + one recurrent layer (GRU, LSTM or tanh RNN), optionally bidirectional.

    forward(src (S, B), lengths (B,)) -> (outputs (S, B, H_enc), state):
      outputs: the top states h_j, H_enc = hidden_size * (2 if bidirectional else 1);
        zero at padded positions. The sequences are packed (pack_padded_sequence), so a
        padded example gives the same outputs as the example alone.
      state: the decoder's initial state, (B, hidden_size), or (h, c) for the LSTM.
        Bidirectional: the two final states (forward after the last real token,
        backward after the first) are joined by a learned bridge
            s_0 = tanh(W_b [h_fwd; h_bwd] + b_b)     (and likewise for the LSTM's c).
    """

    def __init__(self, vocab_size, embed_size, hidden_size, cell="gru", bidirectional=False, pad_id=PAD_ID):
        super().__init__()
        self.cell, self.hidden_size, self.bidirectional = cell, hidden_size, bidirectional
        self.output_size = hidden_size * (2 if bidirectional else 1)
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = _rnn_type(cell)(embed_size, hidden_size, bidirectional=bidirectional)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size) if bidirectional else None
        self.bridge_c = nn.Linear(2 * hidden_size, hidden_size) if bidirectional and cell == "lstm" else None

    def forward(self, src, lengths):
        _check_ids("src", src, (None, None))
        S, B = src.shape
        check_shape("lengths", lengths, (B,))
        if int(lengths.min()) < 1 or int(lengths.max()) > S:
            raise ValueError(f"lengths: expected values in [1, {S}], got {lengths.tolist()}")
        packed = pack_padded_sequence(self.embedding(src), lengths.cpu(), enforce_sorted=False)
        outputs, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, total_length=S)  # (S, B, H_enc), zeros at padding
        if self.cell == "lstm":
            return outputs, (self._join(state[0], self.bridge), self._join(state[1], self.bridge_c))
        return outputs, self._join(state, self.bridge)

    @staticmethod
    def _join(h_n, bridge):
        """h_n (directions, B, H) -> (B, H)."""
        if bridge is None:
            return h_n[0]
        return torch.tanh(bridge(torch.cat([h_n[0], h_n[1]], dim=-1)))


class Decoder(nn.Module):
    """One recurrent layer that emits a target token per step, with optional attention.

    attention: None (the plain decoder of Cho et al. 2014 / Sutskever et al. 2014) or a
        module from rnnlib.attention whose key size is the encoder's H_enc; then
            c_i = attention(query s_{i-1}, keys memory, mask)
            s_i = RNN([embed(y_{i-1}); c_i], s_{i-1})
            logits_i = W_o [s_i; c_i] + b_o
        (Bahdanau et al. 2015: the query is the previous state). context_size defaults
        to attention.key_size.
    step(tokens (B,), state, memory (B, S, H_enc) or None, mask (B, S) or None,
         precomputed=None) -> (logits (B, V), state, weights (B, S) or None).
        precomputed = decoder.precompute(memory), optional: the attention's per-source
        work done once instead of at every step.
    """

    def __init__(self, vocab_size, embed_size, hidden_size, cell="gru", attention=None, context_size=None,
                 pad_id=PAD_ID):
        super().__init__()
        if attention is not None and context_size is None:
            context_size = attention.key_size
        ctx = context_size if attention is not None else 0
        if attention is not None and attention.query_size != hidden_size:
            raise ValueError(f"attention.query_size: expected the decoder's hidden_size {hidden_size}, "
                             f"got {attention.query_size}")
        self.cell, self.hidden_size, self.vocab_size = cell, hidden_size, vocab_size
        self.context_size = context_size if attention is not None else None
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = _rnn_type(cell)(embed_size + ctx, hidden_size)
        self.attention = attention
        self.out = nn.Linear(hidden_size + ctx, vocab_size)

    def precompute(self, memory):
        return None if self.attention is None or memory is None else self.attention.precompute(memory)

    def step(self, tokens, state, memory=None, mask=None, precomputed=None):
        _check_ids("tokens", tokens, (None,))
        check_shape("state", _hidden(state), (tokens.shape[0], self.hidden_size))
        features, state, weights = self.step_features(self.embedding(tokens), state, memory, mask, precomputed)
        return self.out(features), state, weights

    def step_features(self, x, state, memory=None, mask=None, precomputed=None):
        """The step without the output layer: embedded input x (B, E) -> (features, state,
        weights), features = [s_i; c_i] (or s_i without attention); logits = self.out(features)."""
        weights = None
        if self.attention is not None:
            if memory is None:
                raise ValueError("memory: a decoder with attention needs the encoder outputs (B, S, H_enc)")
            # Bahdanau et al.: the query is the previous state s_{i-1}.
            context, weights = self.attention(_hidden(state), memory, mask, precomputed=precomputed)
            x = torch.cat([x, context], dim=-1)
        state = self._cell(x, state)
        h = _hidden(state)
        features = h if self.attention is None else torch.cat([h, context], dim=-1)
        return features, state, weights

    def _cell(self, x, state):
        """One step of self.rnn's cell with its weights: torch.gru_cell is what nn.GRUCell
        runs, and costs less per call than nn.GRU on a length-1 sequence."""
        weights = (self.rnn.weight_ih_l0, self.rnn.weight_hh_l0, self.rnn.bias_ih_l0, self.rnn.bias_hh_l0)
        return _CELL_FUNCTIONS[self.cell](x, state, *weights)

    def forward_teacher_forced(self, tgt_in, state):
        """All steps at once when every input is known (teacher forcing, no attention):
        one call of the recurrent layer over tgt_in (T, B) -> logits (T, B, V)."""
        if self.attention is not None:
            raise ValueError("forward_teacher_forced is for decoders without attention")
        out, _ = self.rnn(self.embedding(tgt_in), _as_layer(state))
        return self.out(out)


# What the decoder needs from the encoder: initial state, memory (B, S, H_enc), mask (B, S)
# and the attention's precomputed keys (None without attention).
Encoded = namedtuple("Encoded", "state memory mask precomputed")


class Seq2Seq(nn.Module):
    """Encoder + decoder.

    forward(src (S, B), src_lengths (B,), tgt_in (T, B), teacher_forcing=1.0,
            generator=None) -> (logits (T, B, V), weights (T, B, S) or None)
      tgt_in is the target shifted right: BOS y_1 ... y_{T-1}. With teacher_forcing = 1
      every step reads the true previous token; below 1, each example at each step
      (after the first) reads the model's own previous argmax with probability
      1 - teacher_forcing (scheduled sampling, Bengio et al. 2015), the coins drawn on
      the CPU from `generator` (torch.Generator; None: torch's global generator).
    encode(src, src_lengths) -> Encoded(state, memory, mask, precomputed).
    """

    def __init__(self, encoder, decoder):
        super().__init__()
        if encoder.hidden_size != decoder.hidden_size or encoder.cell != decoder.cell:
            raise ValueError(f"decoder: expected cell {encoder.cell!r} with hidden_size {encoder.hidden_size} "
                             f"(the encoder's final state is its first state), got {decoder.cell!r}, "
                             f"{decoder.hidden_size}")
        if decoder.attention is not None and decoder.attention.key_size != encoder.output_size:
            raise ValueError(f"attention.key_size: expected the encoder's output size {encoder.output_size}, "
                             f"got {decoder.attention.key_size}")
        self.encoder, self.decoder = encoder, decoder

    def encode(self, src, src_lengths):
        outputs, state = self.encoder(src, src_lengths)
        if self.decoder.attention is None:
            return Encoded(state, None, None, None)
        memory = outputs.transpose(0, 1)  # (B, S, H_enc): attention is batch first
        mask = (torch.arange(src.shape[0], device=src.device)[None, :] < src_lengths[:, None])
        return Encoded(state, memory, mask, self.decoder.precompute(memory))

    def decode_step(self, tokens, state, enc):
        return self.decoder.step(tokens, state, enc.memory, enc.mask, enc.precomputed)

    def forward(self, src, src_lengths, tgt_in, teacher_forcing=1.0, generator=None):
        _check_ids("tgt_in", tgt_in, (None, src.shape[1]))
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing: expected a ratio in [0, 1], got {teacher_forcing}")
        enc = self.encode(src, src_lengths)
        if teacher_forcing == 1.0:
            return self._teacher_forced(tgt_in, enc)
        T, B = tgt_in.shape
        state, tokens, logits, weights = enc.state, tgt_in[0], [], []
        for t in range(T):
            if t > 0:  # heads (probability teacher_forcing): the true token; tails: the model's own
                coin = torch.rand(B, generator=generator) < teacher_forcing
                tokens = torch.where(coin.to(tgt_in.device), tgt_in[t], logits[-1].argmax(dim=-1))
            step_logits, state, w = self.decode_step(tokens, state, enc)
            logits.append(step_logits)
            weights.append(w)
        weights = None if weights[0] is None else torch.stack(weights)
        return torch.stack(logits), weights

    def _teacher_forced(self, tgt_in, enc):
        """Every input known in advance: embed all steps at once and apply the output
        layer once to all steps' features (fewer, larger operations: faster)."""
        if self.decoder.attention is None:
            return self.decoder.forward_teacher_forced(tgt_in, enc.state), None
        state, features, weights = enc.state, [], []
        for x in self.decoder.embedding(tgt_in).unbind(0):
            f, state, w = self.decoder.step_features(x, state, enc.memory, enc.mask, enc.precomputed)
            features.append(f)
            weights.append(w)
        return self.decoder.out(torch.stack(features)), torch.stack(weights)


def sequence_loss(logits, targets, pad_id=PAD_ID):
    """Mean cross-entropy over the non-pad target positions: logits (T, B, V), targets (T, B)."""
    check_shape("targets", targets, tuple(logits.shape[:2]))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)


# ---------------------------------------------------------------- batches and training

# One training batch: src (S, B), src_lengths (B,), tgt_in = BOS + target (T, B),
# tgt_out = target + EOS (T, B).
Batch = namedtuple("Batch", "src src_lengths tgt_in tgt_out")


def encode_pairs(pairs, src_vocab, tgt_vocab, split=list):
    """(source, target) pairs -> (source ids, target ids) lists without special tokens.

    split: str -> tokens; `list` for characters, rnnlib.translation.tokenize for words.
    """
    return [(src_vocab.encode(split(s), add_eos=False), tgt_vocab.encode(split(t), add_eos=False))
            for s, t in pairs]


def make_batch(id_pairs, device="cpu"):
    """Id pairs (from `encode_pairs`) -> a padded `Batch` on `device`."""
    src, src_lengths = pad_batch([s for s, _ in id_pairs], device=device)
    tgt_in, _ = pad_batch([[BOS_ID] + t for _, t in id_pairs], device=device)
    tgt_out, _ = pad_batch([t + [EOS_ID] for _, t in id_pairs], device=device)
    return Batch(src, src_lengths, tgt_in, tgt_out)


def batch_sampler(id_pairs, batch_size, rng, device="cpu"):
    """A function returning a fresh random `Batch` of `batch_size` pairs per call (for fit)."""
    def next_batch():
        index = rng.integers(0, len(id_pairs), size=batch_size)
        return make_batch([id_pairs[i] for i in index], device)
    return next_batch


def teacher_forcing_loss(teacher_forcing=1.0, generator=None):
    """A loss function for `fit`: sequence_loss of the model on a Batch, fed with the
    given teacher-forcing ratio."""
    def loss_fn(model, batch):
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing, generator)
        return sequence_loss(logits, batch.tgt_out)
    return loss_fn


def make_model(src_vocab_size, tgt_vocab_size, embed_size=32, hidden_size=64, cell="gru", attention=None,
               bidirectional=False, attn_size=None, seed=0):
    """A Seq2Seq with the given sizes, its weights drawn from `seed` only.

    attention: None, "additive", "dot" or "general" (the query is the decoder state,
    hidden_size; the keys are the encoder outputs). attn_size: additive only, default
    hidden_size. The global torch random state is left untouched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder = Encoder(src_vocab_size, embed_size, hidden_size, cell, bidirectional)
        H_enc = encoder.output_size
        if attention is None:
            attn = None
        elif attention == "additive":
            attn = AdditiveAttention(hidden_size, H_enc, attn_size or hidden_size)
        elif attention in ("dot", "general"):
            attn = MultiplicativeAttention(hidden_size, H_enc, attention)
        else:
            raise ValueError(f"attention: expected None, 'additive', 'dot' or 'general', got {attention!r}")
        return Seq2Seq(encoder, Decoder(tgt_vocab_size, embed_size, hidden_size, cell, attn))


# ---------------------------------------------------------------- decoding

@torch.no_grad()
def greedy_decode(model, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, max_len=50):
    """Emit the most probable token at every step, each fed back as the next input.

    src (S, B), lengths (B,). Returns (tokens, weights): tokens a list of B id lists
    without BOS and EOS (cut at the first EOS; max_len ids if none came); weights None
    without attention, else a list of B numpy arrays (len(tokens_b), length_b): the
    attention over the real source positions at each emitted token.
    """
    enc = model.encode(src, lengths)
    B = src.shape[1]
    tokens = torch.full((B,), bos_id, dtype=torch.int64, device=src.device)
    state, done, steps, weights = enc.state, torch.zeros(B, dtype=torch.bool, device=src.device), [], []
    for _ in range(max_len):
        logits, state, w = model.decode_step(tokens, state, enc)
        tokens = logits.argmax(dim=-1)
        steps.append(tokens)
        weights.append(w)
        done |= tokens == eos_id
        if bool(done.all()):
            break
    ids = torch.stack(steps, dim=1).tolist()  # (B, steps)
    out = [row[: row.index(eos_id)] if eos_id in row else row for row in ids]
    if weights[0] is None:
        return out, None
    w = torch.stack(weights, dim=1).cpu().numpy()  # (B, steps, S)
    return out, [w[b, : len(out[b]), : int(lengths[b])] for b in range(B)]


@torch.no_grad()
def beam_search(model, src, bos_id=BOS_ID, eos_id=EOS_ID, max_len=50, beam_width=5, length_penalty=1.0):
    """Beam search for one source sentence: keep the beam_width best partial outputs.

    src: (S,) or (S, 1) ids of one sentence (no padding). At each step every kept
    hypothesis is extended by every token, and the beam_width extensions with the
    highest total log-probability sum_i log p(y_i | y_<i, x) are kept; one that ends in
    EOS is finished. The search stops when beam_width hypotheses have finished (or at
    max_len, when the unfinished ones are finished as they are). Finished hypotheses
    are ranked by the length-normalised score
        score = sum_i log p(y_i | y_<i, x) / L^alpha,   alpha = length_penalty,
    L = the number of emitted tokens including EOS (the simple L^alpha form; Wu et al.
    2016 use ((5 + L) / 6)^alpha). alpha = 0 ranks by probability, which favours short
    outputs; alpha = 1 by the mean log-probability per token.
    Returns a list of (tokens without BOS/EOS, score), best first. beam_width = 1 gives
    greedy decoding's tokens.
    """
    if src.dim() == 1:
        src = src[:, None]
    _check_ids("src", src, (None, 1))
    if beam_width < 1:
        raise ValueError(f"beam_width: expected >= 1, got {beam_width}")
    lengths = torch.tensor([src.shape[0]], device=src.device)
    enc = model.encode(src, lengths)
    seqs, scores, state, finished = [[]], torch.zeros(1, device=src.device), enc.state, []
    for _ in range(max_len):
        n = len(seqs)
        # Every hypothesis reads the same source: repeat the encoder's memory n times.
        enc_n = Encoded(enc.state, *(None if x is None else x.expand(n, *x.shape[1:]) for x in enc[1:]))
        last = torch.tensor([s[-1] if s else bos_id for s in seqs], device=src.device)
        logits, state, _ = model.decode_step(last, state, enc_n)
        total = scores[:, None] + F.log_softmax(logits, dim=-1)  # (n, V): log p of each extension
        V = total.shape[1]
        best, index = total.flatten().topk(min(beam_width, total.numel()))
        keep, new_seqs, new_scores = [], [], []
        for value, i in zip(best.tolist(), index.tolist()):
            beam, token = divmod(i, V)
            if token == eos_id:
                finished.append((seqs[beam], value, len(seqs[beam]) + 1))
            else:
                keep.append(beam)
                new_seqs.append(seqs[beam] + [token])
                new_scores.append(value)
        if len(finished) >= beam_width or not new_seqs:
            break
        seqs, scores = new_seqs, torch.tensor(new_scores, device=src.device)
        state = _select(state, torch.tensor(keep, device=src.device))
    else:
        finished += [(s, float(v), len(s)) for s, v in zip(seqs, scores.tolist())]
    ranked = [(tokens, logp / max(length, 1) ** length_penalty) for tokens, logp, length in finished]
    return sorted(ranked, key=lambda r: -r[1])


@torch.no_grad()
def sequence_log_prob(model, src, tgt):
    """log p(tgt | src) = sum_i log p(y_i | y_<i, x) under the model, EOS included.

    src: (S,) ids of one sentence, tgt: a list of ids without BOS/EOS.
    """
    src = src[:, None] if src.dim() == 1 else src
    tgt_in = torch.tensor([BOS_ID] + list(tgt), device=src.device)[:, None]
    tgt_out = torch.tensor(list(tgt) + [EOS_ID], device=src.device)
    logits, _ = model(src, torch.tensor([src.shape[0]], device=src.device), tgt_in)
    logp = F.log_softmax(logits[:, 0], dim=-1)
    return float(logp.gather(1, tgt_out[:, None]).sum())


def predict(model, id_sources, max_len, beam_width=None, length_penalty=1.0, batch_size=512, device="cpu"):
    """Decode many sources (id lists): greedy in batches, or beam search one by one.

    Returns a list of token-id lists (without BOS/EOS), in the order of id_sources.
    """
    was_training = model.training
    model.eval()
    out = []
    if beam_width is None:
        for start in range(0, len(id_sources), batch_size):
            src, lengths = pad_batch(id_sources[start: start + batch_size], device=device)
            out += greedy_decode(model, src, lengths, max_len=max_len)[0]
    else:
        for ids in id_sources:
            src = torch.tensor(ids, dtype=torch.int64, device=device)
            out.append(beam_search(model, src, max_len=max_len, beam_width=beam_width,
                                   length_penalty=length_penalty)[0][0])
    model.train(was_training)
    return out


# ---------------------------------------------------------------- scoring

def exact_match(predictions, targets):
    """The fraction of predictions (id or token lists) equal to their target in full."""
    if len(predictions) != len(targets):
        raise ValueError(f"expected as many predictions as targets, got {len(predictions)} and {len(targets)}")
    return float(np.mean([list(p) == list(t) for p, t in zip(predictions, targets)]))


def token_accuracy(predictions, targets):
    """The fraction of target positions i where prediction[i] == target[i] (a missing
    position counts as wrong; extra predicted tokens are not counted)."""
    if len(predictions) != len(targets):
        raise ValueError(f"expected as many predictions as targets, got {len(predictions)} and {len(targets)}")
    hits = sum(sum(a == b for a, b in zip(p, t)) for p, t in zip(predictions, targets))
    return hits / sum(len(t) for t in targets)


def accuracy_by_length(predictions, targets, lengths, buckets):
    """Exact match and token accuracy per length bucket.

    lengths: the input length of each example; buckets: a list of (low, high),
    inclusive. Returns {"buckets": [...], "exact": [...], "token": [...], "count": [...]}.
    """
    lengths = np.asarray(lengths)
    result = {"buckets": list(buckets), "exact": [], "token": [], "count": []}
    for lo, hi in buckets:
        idx = np.flatnonzero((lengths >= lo) & (lengths <= hi))
        if idx.size == 0:
            raise ValueError(f"bucket ({lo}, {hi}) holds no example")
        p, t = [predictions[i] for i in idx], [targets[i] for i in idx]
        result["exact"].append(exact_match(p, t))
        result["token"].append(token_accuracy(p, t))
        result["count"].append(int(idx.size))
    return result


# ---------------------------------------------------------------- the length experiment

# Chapters 07 (no attention) and 08 (attention) train the same model on the same task
# and budget and compare accuracy against input length. Reversal of random letter
# strings, lengths min_len..max_len; a GRU encoder-decoder; fresh batches every step.
LENGTH_EXPERIMENT = dict(min_len=3, max_len=15, n_symbols=10, embed=16, hidden=32, cell="gru",
                         batch=64, steps=400, lr=1e-2, clip_norm=1.0,
                         buckets=[(3, 5), (6, 8), (9, 11), (12, 15)],
                         test_per_length=40, test_seed=2024)


def length_experiment_vocab(n_symbols=None):
    """The character vocabulary of the reversal task (the same for source and target)."""
    n_symbols = LENGTH_EXPERIMENT["n_symbols"] if n_symbols is None else n_symbols
    return WordVocab(list("abcdefghijklmnopqrstuvwxyz"[:n_symbols]))


def length_test_set(cfg=None):
    """The fixed test set: test_per_length reversal pairs for every length min..max_len."""
    cfg = LENGTH_EXPERIMENT if cfg is None else cfg
    rng = np.random.default_rng(cfg["test_seed"])
    return [p for L in range(cfg["min_len"], cfg["max_len"] + 1)
            for p in reversal_pairs(cfg["test_per_length"], L, L, cfg["n_symbols"], rng)]


def run_length_experiment(attention=None, seed=0, steps=None, progress=False, device="cpu", **overrides):
    """Train a reversal model with LENGTH_EXPERIMENT's settings and score it by length.

    attention: None, "additive", "dot" or "general" (see make_model). seed: the model's
    initial weights and the training batches. steps and overrides: other budgets or
    settings, LENGTH_EXPERIMENT's by default.
    Returns a dict: "buckets", "exact", "token", "count" (accuracy_by_length on the fixed
    test set), "history" (fit's History), "model", "vocab", "test" (the test pairs),
    "predictions" (decoded test outputs as str).
    """
    unknown = set(overrides) - set(LENGTH_EXPERIMENT)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from {sorted(LENGTH_EXPERIMENT)}")
    cfg = {**LENGTH_EXPERIMENT, **overrides}
    steps = cfg["steps"] if steps is None else steps
    vocab = length_experiment_vocab(cfg["n_symbols"])
    model = make_model(len(vocab), len(vocab), cfg["embed"], cfg["hidden"], cfg["cell"], attention,
                       seed=seed).to(device)
    rng = np.random.default_rng(seed)

    def next_batch():
        pairs = reversal_pairs(cfg["batch"], cfg["min_len"], cfg["max_len"], cfg["n_symbols"], rng)
        return make_batch(encode_pairs(pairs, vocab, vocab), device)

    history = fit(model, teacher_forcing_loss(), next_batch, steps=steps, lr=cfg["lr"],
                  clip_norm=cfg["clip_norm"], progress=progress, desc=f"reversal ({attention or 'no attention'})")
    test = length_test_set(cfg)
    ids = encode_pairs(test, vocab, vocab)
    preds = predict(model, [s for s, _ in ids], max_len=cfg["max_len"] + 5, device=device)
    result = accuracy_by_length(preds, [t for _, t in ids], [len(s) for s, _ in test], cfg["buckets"])
    result.update(history=history, model=model, vocab=vocab, test=test,
                  predictions=["".join(vocab.decode(p)) for p in preds])
    return result
