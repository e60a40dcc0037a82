"""Encoder-decoder models (chapter 07): the encoder, the decoder with optional attention,
the Seq2Seq module that joins them, and make_model.

Shapes (time first, as torch.nn): source ids src (S, B) and target ids (T, B), int64,
padded with pad_id = 0; lengths (B,) int64. Attention (rnnlib.seq2seq.attention) works
batch first: memory (B, S, H_enc), mask (B, S) bool, True = real token.

The model (Sutskever, Vinyals & Le 2014; Cho et al. 2014):
    encoder:  h_j = RNN(embed(x_j), h_{j-1}),  j = 1..S     (packed: padding never read)
    decoder:  s_0 = the encoder's final state
              s_i = RNN([embed(y_{i-1}); c_i], s_{i-1}),   p(y_i | y_<i, x) = softmax(W_o [s_i; c_i])
    with attention (Bahdanau, Cho & Bengio 2015) c_i = attend(query s_{i-1}, keys h_1..h_S);
    without attention there is no c_i: s_0 is all the decoder knows of the source.
"""
from collections import namedtuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..text import PAD_ID
from ..utils import check_shape
from .attention import AdditiveAttention, MultiplicativeAttention

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
        module from rnnlib.seq2seq.attention whose key size is the encoder's H_enc; then
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
