"""Character-level language models: a model, its TBPTT loss, bits per character, sampling.

A character language model reads text one character at a time and, at every step,
outputs a distribution over the next character:

    e_t = embed(c_t)                   one-hot (or a learned embedding) of the character
    h_t = cell(e_t, h_{t-1})           a torch.nn RNN, GRU or LSTM layer
    p(c_{t+1} | c_1..c_t) = softmax(W_hy h_t + b_y)

It is trained on one long text by truncated BPTT (rnnlib.tbptt): the text is cut into B
parallel streams (rnnlib.data.batchify) and chunks of k characters (lm_batches), the state
is carried from chunk to chunk and the gradient stops at chunk boundaries. Chapter 5
builds it; later chapters and the exercises reuse it.

    model = CharLM(len(vocab), 128, cell="gru").to(device)
    train = text_chunks(vocab.encode(train_text), batch_size=32, seq_len=64, device=device)
    rnnlib.fit(model, TBPTTLoss(lm_chunk_loss), train, steps=500, lr=3e-3, clip_norm=1.0)
    bits_per_char(model, text_chunks(vocab.encode(val_text), 32, 64, device))
    sample(model, vocab, "ROMEO:", 200, temperature=0.8, generator=torch.Generator().manual_seed(0))
"""
import math
import re

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..data import batchify, lm_batches
from ..experiments import set_forget_bias_
from ..tbptt import stream_loss

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class CharLM(nn.Module):
    """Characters in, a distribution over the next character out.

    vocab_size: V, the number of distinct characters (ids 0..V-1).
    hidden: H, the size of the recurrent state.
    cell: "rnn" (torch.nn.RNN, tanh), "gru" (torch.nn.GRU) or "lstm" (torch.nn.LSTM,
        forget-gate bias set to 1 as in rnnlib.experiments.set_forget_bias_).
    embed: None feeds one-hot vectors (D = V) to the recurrent layer; an int E learns an
        nn.Embedding(V, E) instead (D = E).

    forward(x, state=None) -> (logits, state)
        x: (T, B) int64 character ids, time first.
        state: None (zeros), or what the previous call returned: h (1, B, H) for rnn/gru,
            (h, c), each (1, B, H), for lstm.
        logits: (T, B, V), unnormalised log-probabilities of the next character.
    """

    def __init__(self, vocab_size, hidden, cell="rnn", embed=None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {tuple(CELLS)}, got {cell!r}")
        for name, value in [("vocab_size", vocab_size), ("hidden", hidden)] + (
                [("embed", embed)] if embed is not None else []):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.vocab_size, self.hidden, self.cell = vocab_size, hidden, cell
        self.embed = None if embed is None else nn.Embedding(vocab_size, embed)
        self.rnn = CELLS[cell](vocab_size if embed is None else embed, hidden)
        if cell == "lstm":
            set_forget_bias_(self.rnn, 1.0)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        if x.dim() != 2 or x.dtype != torch.long:
            raise ValueError(f"x: expected int64 ids of shape (T, B), got {x.dtype} {tuple(x.shape)}")
        if self.embed is None:
            inputs = F.one_hot(x, self.vocab_size).to(self.head.weight.dtype)  # (T, B, V)
        else:
            inputs = self.embed(x)                                              # (T, B, E)
        output, state = self.rnn(inputs, state)                                 # (T, B, H)
        return self.head(output), state

    def extra_repr(self):
        return f"cell={self.cell!r}"


def lm_chunk_loss(model, batch, state):
    """Cross-entropy of one chunk, for rnnlib.tbptt.TBPTTLoss and stream_loss.

    batch: (x, y), each (T, B) int ids (numpy or torch; moved to the model's device),
        y[t] the character after x[t].
    state: the state carried from the previous chunk (None: zeros).
    Returns (loss, final_state, {"bpc": bits per character}); loss is the mean
    cross-entropy in nats per character, bpc the same in bits (loss / ln 2).
    """
    device = next(model.parameters()).device
    x, y = (torch.as_tensor(a, device=device) for a in batch)
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    return loss, state, {"bpc": loss.detach() / math.log(2)}


def text_chunks(ids, batch_size, seq_len, device="cpu"):
    """A token stream as a list of (x, y) chunks for truncated BPTT, tensors on `device`.

    ids: 1-D int array (L,). It is cut into batch_size parallel streams (data.batchify) and
    chunks of seq_len steps (data.lm_batches); each x, y is (seq_len, batch_size) int64,
    y one step ahead of x. Returns a list (fit cycles a list; a generator would run once).
    """
    streams = batchify(np.asarray(ids), batch_size)
    return [(torch.as_tensor(x, device=device), torch.as_tensor(y, device=device))
            for x, y in lm_batches(streams, seq_len)]


def bits_per_char(model, chunks):
    """Mean bits per character of `model` over a stream of chunks, the state carried.

    chunks: (x, y) pairs in stream order with one batch size, as `text_chunks` returns.
    Every chunk has the same size, so the mean over chunks is the mean per character.
    2 ** bits_per_char is the perplexity per character. Runs in eval mode, no gradients.
    """
    was_training = model.training
    model.eval()
    try:
        return stream_loss(model, lm_chunk_loss, chunks)["bpc"]
    finally:
        model.train(was_training)


def next_char_probs(logits, temperature):
    """softmax(logits / temperature) over the last axis.

    temperature < 1 sharpens the distribution towards the most likely character, > 1
    flattens it towards uniform; temperature 1 is the model's own distribution.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a positive finite number, got {temperature!r}")
    return torch.softmax(logits / temperature, dim=-1)


@torch.no_grad()
def sample(model, vocab, prime, n, temperature=1.0, generator=None):
    """Generate n characters after the text `prime`, one at a time.

    The model reads `prime` (a non-empty str of characters in `vocab`, a data.CharVocab),
    then repeatedly draws the next character from softmax(logits / temperature) and feeds
    it back in. generator: a CPU torch.Generator for repeatable samples (None: torch's
    global random state). Returns the n generated characters as a str (without prime).
    """
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime: expected a non-empty str, got {prime!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n: expected an int >= 0, got {n!r}")
    next_char_probs(torch.zeros(1), temperature)  # validates temperature even when n == 0
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    x = torch.as_tensor(vocab.encode(prime), device=device)[:, None]  # (len(prime), 1)
    logits, state = model(x)
    out = []
    for _ in range(n):
        # sample on the CPU, so that a CPU generator gives the same text on any device
        probs = next_char_probs(logits[-1, 0].float().cpu(), temperature)
        index = int(torch.multinomial(probs, 1, generator=generator))
        out.append(index)
        logits, state = model(torch.tensor([[index]], device=device), state)
    model.train(was_training)
    return vocab.decode(np.array(out, dtype=np.int64))


def words(text):
    """The words of a text: maximal runs of letters and apostrophes, lower-cased."""
    return [w.strip("'") for w in re.findall(r"[A-Za-z']+", text.lower()) if w.strip("'")]


def known_word_fraction(text, known):
    """The fraction of the words of `text` that are in the set `known` (nan if none).

    A rough measure of how much of a generated text is spelled like real words:
    known = set(words(training_text)).
    """
    found = words(text)
    if not found:
        return float("nan")
    return sum(w in known for w in found) / len(found)
