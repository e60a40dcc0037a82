"""English-French translation (chapter 08): the shipped Tatoeba pairs, a fixed split, BLEU
through sacrebleu, and the chapter's two models (attention or none): training, greedy
translation, held-out BLEU, and the shipped weights in models/.

Both models are word-level GRU encoder-decoders from rnnlib.seq2seq of the same size (a
bidirectional encoder; a decoder with additive attention, or without attention), trained
identically on the same split of the 5,000 pairs (tatoeba.org, CC-BY 2.0 FR) for a fixed
number of steps from a fixed seed. Training takes a few minutes of CPU, longer than a
notebook may spend, so `models/train_py` runs `train` and ships the weights;
chapter 08 trains briefly to show the curve, then loads them with `load_shipped`, and
tests/test_translation_model.py checks that they give the BLEU the chapter claims.

A shipped file holds "config" (CONFIG below), "src_itos" / "tgt_itos" (the vocabularies,
special tokens first), "state_dict" (float16, to keep the files small; loading casts it to
float32), and "history" (training loss per step, validation BLEU per evaluation).
"""
from pathlib import Path

import numpy as np
import sacrebleu
import torch

from .. import seq2seq
from ..data import data_path
from ..text import SPECIALS, WordVocab, detokenize, tokenize
from ..train import fit

# ---------------------------------------------------------------- data

def load_translation_pairs(name="eng-fra-tatoeba.tsv"):
    """English-French sentence pairs from data/<name>: a list of (english, french) str.

    The file's third column (the Tatoeba attribution, CC-BY 2.0 France) is dropped here
    but kept in the file, as the licence asks. Lines are split on tabs without CSV
    quoting, because sentences contain quote characters.
    """
    lines = data_path(name).read_text(encoding="utf-8").split("\n")
    pairs = []
    for line in lines:
        if line:
            english, french = line.split("\t")[:2]
            pairs.append((english, french))
    return pairs


def translation_split(pairs, val, test, rng):
    """Shuffle `pairs` with `rng` and split into (train, val, test) lists.

    val, test: counts of pairs. The Tatoeba file lists several translations of the same
    English sentence next to each other; a random split puts some of them in different
    parts, which is the usual practice for this small data set (say so when reporting).
    """
    if val + test >= len(pairs):
        raise ValueError(f"translation_split: expected val + test < {len(pairs)}, got {val} + {test}")
    order = rng.permutation(len(pairs))
    shuffled = [pairs[i] for i in order]
    return shuffled[val + test:], shuffled[:val], shuffled[val: val + test]


def bleu(hypotheses, references):
    """Corpus BLEU (Papineni et al. 2002) in [0, 100] from sacrebleu (Post 2018).

    hypotheses, references: lists of detokenised str, one reference per hypothesis,
    scored with sacrebleu's defaults (13a tokeniser, exponential smoothing off).
    Space-joined tokens are fine: 13a splits punctuation the same way.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"bleu: expected as many references as hypotheses, got {len(references)} "
                         f"and {len(hypotheses)}")
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


# ---------------------------------------------------------------- the chapter's models

# The repository's models/ folder (rnnlib/apps/ -> the repository root).
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SHIPPED = {"attention": "additive", "plain": None}   # file name part -> attention of the model

CONFIG = dict(split_seed=2024, val=250, test=500, min_freq=1, embed=64, hidden=64, bidirectional=True,
              attn_size=64, batch=64, steps=2000, lr=3e-3, clip_norm=1.0, max_len=20, eval_every=250)


def prepare(config=CONFIG):
    """The fixed split and the vocabularies built from its training part.

    Returns (train, val, test) lists of (english, french) str and (src_vocab, tgt_vocab).
    """
    pairs = load_translation_pairs()
    train, val, test = translation_split(pairs, config["val"], config["test"],
                                                     np.random.default_rng(config["split_seed"]))
    src_vocab = WordVocab.build([tokenize(e, "en") for e, _ in train], config["min_freq"])
    tgt_vocab = WordVocab.build([tokenize(f, "fr") for _, f in train], config["min_freq"])
    return (train, val, test), (src_vocab, tgt_vocab)


def build_model(attention, n_src, n_tgt, config=CONFIG, seed=0):
    """The chapter's translation model: attention "additive" or None."""
    return seq2seq.make_model(n_src, n_tgt, config["embed"], config["hidden"], "gru", attention,
                              bidirectional=config["bidirectional"], attn_size=config["attn_size"], seed=seed)


def encode(pairs, src_vocab, tgt_vocab):
    """(english, french) str pairs -> id pairs without special tokens."""
    return [(src_vocab.encode(tokenize(e, "en"), add_eos=False),
             tgt_vocab.encode(tokenize(f, "fr"), add_eos=False)) for e, f in pairs]


def translate(model, sentences, src_vocab, tgt_vocab, max_len=CONFIG["max_len"], device="cpu"):
    """English sentences -> French token lists, greedy decoding."""
    ids = [src_vocab.encode(tokenize(e, "en"), add_eos=False) for e in sentences]
    return [tgt_vocab.decode(p) for p in seq2seq.predict(model, ids, max_len, device=device)]


def evaluate_bleu(model, pairs, src_vocab, tgt_vocab, device="cpu"):
    """Corpus BLEU of greedy translations of `pairs` against their one reference each."""
    hyps = translate(model, [e for e, _ in pairs], src_vocab, tgt_vocab, device=device)
    refs = [detokenize(tokenize(f, "fr")) for _, f in pairs]
    return bleu([detokenize(h) for h in hyps], refs)


def train(attention, seed=0, config=CONFIG, steps=None, progress=True, device="cpu"):
    """Train one model on the fixed split; returns (model, history, vocabs, splits)."""
    (train_pairs, val_pairs, test_pairs), (src_vocab, tgt_vocab) = prepare(config)
    model = build_model(attention, len(src_vocab), len(tgt_vocab), config, seed).to(device)
    batches = seq2seq.batch_sampler(encode(train_pairs, src_vocab, tgt_vocab), config["batch"],
                                    np.random.default_rng(seed), device)
    history = fit(model, seq2seq.teacher_forcing_loss(), batches, steps=steps or config["steps"],
                  lr=config["lr"], clip_norm=config["clip_norm"],
                  evaluate=lambda m: {"bleu": evaluate_bleu(m, val_pairs, src_vocab, tgt_vocab, device)},
                  eval_every=config["eval_every"], progress=progress,
                  desc=f"translation ({attention or 'no attention'})")
    return model, history, (src_vocab, tgt_vocab), (train_pairs, val_pairs, test_pairs)


def save(path, model, history, vocabs, config=CONFIG):
    """Write a model as shipped: config, vocabularies, float16 weights, training history."""
    torch.save({"config": config, "src_itos": vocabs[0].itos, "tgt_itos": vocabs[1].itos,
                "state_dict": {k: v.half() for k, v in model.state_dict().items()},
                "history": {"train_loss": history.train["loss"], "val_step": history.val["step"],
                            "val_bleu": history.val["bleu"]}}, path)


def load(path, device="cpu"):
    """A shipped file -> (model in eval mode, (src_vocab, tgt_vocab), checkpoint dict)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    config = ckpt["config"]
    src_vocab = WordVocab(ckpt["src_itos"][len(SPECIALS):])
    tgt_vocab = WordVocab(ckpt["tgt_itos"][len(SPECIALS):])
    attention = "additive" if any(k.startswith("decoder.attention") for k in ckpt["state_dict"]) else None
    model = build_model(attention, len(src_vocab), len(tgt_vocab), config)
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    return model.to(device).eval(), (src_vocab, tgt_vocab), ckpt


def load_shipped(name, device="cpu"):
    """One of the shipped models, "attention" or "plain": (model, (src_vocab, tgt_vocab), checkpoint)."""
    if name not in SHIPPED:
        raise ValueError(f"load_shipped: expected one of {list(SHIPPED)}, got {name!r}")
    path = Path(MODELS_DIR) / f"translation_{name}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: it ships with the book; run models/train_py "
                                "to make it again")
    return load(path, device)
