"""The captioners of chapter 12: a small CNN whose 6x6 feature grid starts an LSTM decoder
(Show and Tell, Vinyals et al. 2015), with or without additive attention over that grid
(Show, Attend and Tell, Xu et al. 2015); their training, decoding and shipped weights.

The decoders are rnnlib.seq2seq's: `Captioner` is a `Seq2Seq` whose encoder is a CNN, so
teacher forcing, greedy decoding and beam search (rnnlib.seq2seq.decoding) run unchanged.
Those read a source as int64 ids (S, B); here the source of example b is one image, so
src is (1, B) and holds each image's row in the bank set by `Captioner.use_images`.
"""
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..seq2seq.attention import AdditiveAttention
from ..seq2seq.models import Decoder, Encoded, Seq2Seq
from ..text import PAD_ID, pad_batch
from ..utils import check_shape
from .vision import CANVAS, CONFIG, build_vocab, captions, prepare


class GridEncoder(nn.Module):
    """A small CNN: image (B, 1, 24, 24) -> feature grid (B, 36, channels), one vector per
    4x4-pixel patch (row-major 6x6), and the decoder's first state (h_0, c_0), each
    W flatten(grid) + b: the whole image, every position included. (No tanh: a squashed
    start saturates early in training, the same start for every image, and the gradient
    to the CNN through it vanishes.)

    hidden_size and cell are the decoder's (Seq2Seq checks them); output_size = channels.
    """

    def __init__(self, hidden_size, channels=16, cell="lstm"):
        super().__init__()
        self.cell, self.hidden_size, self.output_size = cell, hidden_size, channels
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, channels, 3, padding=1)
        self.init_h = nn.Linear(36 * channels, hidden_size)
        self.init_c = nn.Linear(36 * channels, hidden_size)

    def grid(self, images):
        check_shape("images", images, (None, 1, CANVAS, CANVAS))
        x = F.max_pool2d(F.relu(self.conv1(images)), 2)           # (B, 16, 12, 12)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)                # (B, C, 6, 6)
        return x.flatten(2).transpose(1, 2)                        # (B, 36, C)

    def forward(self, images):
        g = self.grid(images)
        flat = g.flatten(1)
        return g, (self.init_h(flat), self.init_c(flat))


class Captioner(Seq2Seq):
    """GridEncoder + rnnlib.seq2seq.Decoder (LSTM, additive attention over the grid or none).

    src (1, B) int64: rows of the image bank (`use_images`); everything else is Seq2Seq's:
    forward(src, lengths, tgt_in) -> (logits (T, B, V), weights (T, B, 36) or None).
    """

    def __init__(self, vocab_size, embed_size, hidden_size, attention, channels=16, attn_size=32):
        encoder = GridEncoder(hidden_size, channels)
        attn = AdditiveAttention(hidden_size, channels, attn_size) if attention else None
        super().__init__(encoder, Decoder(vocab_size, embed_size, hidden_size, "lstm", attn))
        self.register_buffer("bank", torch.zeros(0, 1, CANVAS, CANVAS), persistent=False)

    def use_images(self, images):
        """Set the image bank that src indexes: images (N, 1, 24, 24). Returns self."""
        images = torch.as_tensor(images, dtype=torch.float32)
        check_shape("images", images, (None, 1, CANVAS, CANVAS))
        self.bank = images.to(self.bank.device)
        return self

    def encode(self, src, src_lengths=None):
        check_shape("src", src, (1, None))
        grid, state = self.encoder(self.bank[src[0]])
        if self.decoder.attention is None:
            return Encoded(state, None, None, None)
        mask = torch.ones(grid.shape[:2], dtype=torch.bool, device=grid.device)
        return Encoded(state, grid, mask, self.decoder.precompute(grid))


def make_captioner(vocab_size, attention, hidden_size, embed_size=32, seed=0):
    """A Captioner with weights drawn from `seed` only (the global torch state is untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Captioner(vocab_size, embed_size, hidden_size, attention)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def caption_batches(n_scenes, contents, vocab, batch_size, rng, device="cpu"):
    """A function returning a training batch each call: B random scenes of the bank, each
    with one of its references drawn at random. -> (src (1, B), tgt_in (T, B), tgt_out (T, B))."""
    refs = [[vocab.encode(c) for c in captions(content)] for content in contents]

    def next_batch():
        rows = rng.integers(n_scenes, size=batch_size)
        ids = [refs[r][rng.integers(len(refs[r]))] for r in rows]
        tgt, _ = pad_batch([[vocab.bos_id] + s for s in ids], device=device)
        return torch.as_tensor(rows, device=device)[None, :], tgt[:-1], tgt[1:]
    return next_batch


def caption_loss(model, batch):
    """Mean cross-entropy per real target token (padding ignored)."""
    src, tgt_in, tgt_out = batch
    logits, _ = model(src, None, tgt_in)
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_ID)


@torch.no_grad()
def caption_images(model, images, beam_width=None, max_len=12):
    """Captions (token-id lists) of images (N, 1, 24, 24) by greedy decoding in one batch, or
    beam search image by image; with greedy decoding also the attention weights (a list of
    (len, 36) arrays, or None without attention). rnnlib.seq2seq.decoding does the work."""
    from ..seq2seq.decoding import beam_search, greedy_decode
    was_training = model.training
    model.eval().use_images(images)
    src = torch.arange(len(images), device=model.bank.device)[None, :]
    if beam_width is None:
        out = greedy_decode(model, src, torch.full((len(images),), 36), max_len=max_len)
    else:
        out = [beam_search(model, src[:, b], max_len=max_len, beam_width=beam_width)[0][0]
               for b in range(len(images))], None
    model.train(was_training)
    return out


# ---------------------------------------------------------------- the shipped captioners

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def train(attention, seed=0, steps=None, config=CONFIG, data=None, progress=True):
    """A captioner trained from `seed` on the training scenes. Returns (model, history)."""
    from rnnlib.train import fit
    data = data or prepare(config)
    vocab = build_vocab()
    hidden = config["hidden"] if attention else (config["plain_hidden"] or config["hidden"])
    model = make_captioner(len(vocab), attention, hidden, config["embed"], seed).use_images(data["train"][0])
    batches = caption_batches(len(data["train"][0]), data["train"][1], vocab, config["batch"],
                              np.random.default_rng(seed))
    history = fit(model, caption_loss, batches, steps=steps or config["steps"], lr=config["lr"],
                  clip_norm=config["clip_norm"], progress=progress,
                  desc="attention" if attention else "no attention")
    return model, history


def save(path, model, history, attention, config=CONFIG):
    torch.save({"config": config, "attention": attention, "loss": history.train["loss"],
                "state_dict": {k: v.half() for k, v in model.state_dict().items()}}, path)


def load(name):
    """models/vision_<name>.pt -> (model in eval mode, float32 weights; its training loss)."""
    blob = torch.load(MODELS_DIR / f"vision_{name}.pt", map_location="cpu", weights_only=True)
    c = blob["config"]
    hidden = c["hidden"] if blob["attention"] else (c["plain_hidden"] or c["hidden"])
    model = make_captioner(len(build_vocab()), blob["attention"], hidden, c["embed"])
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    return model.eval(), blob["loss"]
