"""Training an encoder-decoder (chapter 07): (source, target) pairs to padded batches, and
the loss with teacher forcing (or scheduled sampling).

A Batch holds src (S, B), src_lengths (B,), tgt_in = BOS + target (T, B) and
tgt_out = target + EOS (T, B), all int64 and time first, padded with PAD_ID = 0.
"""
from collections import namedtuple

from torch.nn import functional as F

from ..text import BOS_ID, EOS_ID, PAD_ID, pad_batch
from ..utils import check_shape

def sequence_loss(logits, targets, pad_id=PAD_ID):
    """Mean cross-entropy over the non-pad target positions: logits (T, B, V), targets (T, B)."""
    check_shape("targets", targets, tuple(logits.shape[:2]))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)


# One training batch: src (S, B), src_lengths (B,), tgt_in = BOS + target (T, B),
# tgt_out = target + EOS (T, B).
Batch = namedtuple("Batch", "src src_lengths tgt_in tgt_out")


def encode_pairs(pairs, src_vocab, tgt_vocab, split=list):
    """(source, target) pairs -> (source ids, target ids) lists without special tokens.

    split: str -> tokens; `list` for characters, rnnlib.text.tokenize for words.
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
