"""English-French translation (chapter 08): the shipped Tatoeba pairs, a split by English
sentence, BLEU through sacrebleu against every reference (with a paired bootstrap), and the
chapter's models: training, greedy translation, held-out BLEU, and the shipped weights in models/.

The models (SHIPPED) are word-level GRU encoder-decoders from rnnlib.seq2seq with a bidirectional
encoder: with additive attention, without it at the same hidden size, and without it at a matched
parameter count. They train identically on the same split of the 5,000 pairs (tatoeba.org, CC-BY
2.0 FR) for a fixed number of steps from a fixed seed, keeping their best validation checkpoint.
Training takes several minutes of CPU, longer than a notebook may spend, so
`models/train_translation.py` runs `train` and ships the weights; chapter 08 trains briefly to
show the curve, then loads them with `load_shipped`, and tests/test_translation_model.py checks
that they give the BLEU the chapter claims.

A shipped file holds "name" (a key of SHIPPED), "config" (CONFIG below), "src_itos" / "tgt_itos"
(the vocabularies, special tokens first), "state_dict" (float16, to keep the files small; loading
casts it to float32), and "history" (training loss per step, validation BLEU per evaluation).
"""
import re
from pathlib import Path

import numpy as np
import sacrebleu
import torch
from sklearn.feature_extraction.text import TfidfVectorizer

from .. import seq2seq
from ..data import data_path
from ..text import SPECIALS, WordVocab, tokenize
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
    """Split `pairs` by English sentence into (train, val, test) lists of pairs.

    val, test: numbers of distinct English sentences. Tatoeba often lists several French
    translations of one English sentence; all of them land in the same part, so no test
    (or validation) sentence is seen in training with another translation, and each held-out
    sentence has all its translations as references. The order of the sentences is drawn
    with `rng`; within a part, pairs keep the file's order.
    """
    sentences = list(dict.fromkeys(e for e, _ in pairs))
    if val + test >= len(sentences):
        raise ValueError(f"translation_split: expected val + test < {len(sentences)} English sentences, "
                         f"got {val} + {test}")
    order = rng.permutation(len(sentences))
    part = {sentences[i]: 1 if rank < val else 2 if rank < val + test else 0 for rank, i in enumerate(order)}
    out = ([], [], [])
    for english, french in pairs:
        out[part[english]].append((english, french))
    return out


def group_references(pairs):
    """(english, french) pairs -> (sources, references): each distinct English sentence once, in
    order of first appearance, with the list of all its French translations."""
    refs = {}
    for english, french in pairs:
        refs.setdefault(english, []).append(french)
    return list(refs), list(refs.values())


def detokenize_fr(tokens):
    """French tokens -> a sentence as written: elided clitics rejoined ("l' homme" -> "l'homme"),
    no space before . , ) (French keeps one before ! ? : ;). Inverts `tokenize(., "fr")` up to
    case and Unicode spaces: on the shipped French sentences the round trip scores BLEU 99.6."""
    text = re.sub(r"(\w') ", r"\1", " ".join(tokens))
    return re.sub(r" ([.,)\u2026])", r"\1", text).replace("( ", "(")


def _bleu_metric():
    # Lower-cased: the models write lower case (text.tokenize), so case is not scored; the
    # signature says so (case:lc). Otherwise sacrebleu's defaults: 13a tokenizer, exp smoothing.
    return sacrebleu.BLEU(lowercase=True)


def _reference_streams(hypotheses, references):
    if len(hypotheses) != len(references):
        raise ValueError(f"bleu: expected one reference list per hypothesis, got {len(references)} "
                         f"for {len(hypotheses)} hypotheses")
    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    if min(map(len, refs), default=1) == 0:
        raise ValueError("bleu: every hypothesis needs at least one reference")
    k = max(map(len, refs), default=1)
    return [[r[j] if j < len(r) else None for r in refs] for j in range(k)]   # None: fewer references


def bleu(hypotheses, references, signature=False):
    """Corpus BLEU (Papineni et al. 2002) in [0, 100], computed by sacrebleu (Post 2018).

    hypotheses: detokenised str (`detokenize_fr`). references: per hypothesis one raw str or a
    list of them (any number: sacrebleu's variable references). Scored case-insensitively (the
    models write lower case) with sacrebleu's 13a tokenizer and its default exponential
    smoothing. signature=True returns (score, sacrebleu's signature str), which should be
    printed next to the score (nrefs:var when sentences have different numbers of references).
    """
    metric = _bleu_metric()
    score = float(metric.corpus_score(list(hypotheses), _reference_streams(hypotheses, references)).score)
    return (score, str(metric.get_signature())) if signature else score


def paired_bootstrap(hyps_a, hyps_b, references, rng, n=1000):
    """Paired bootstrap (Koehn 2004) of BLEU(a) - BLEU(b) over the test sentences.

    Resamples sentences with replacement `n` times, the same sentences for both systems, and
    rescores each resample from sacrebleu's per-sentence sufficient statistics. Returns
    (difference on the full set, 2.5% and 97.5% quantiles of the resampled differences).
    """
    metric, streams = _bleu_metric(), _reference_streams(hyps_a, references)
    stats = [np.array(metric._extract_corpus_statistics(list(h), streams), dtype=np.float64)
             for h in (hyps_a, hyps_b)]
    score = lambda st: metric._compute_score_from_stats(list(st)).score
    idx = rng.integers(0, len(hyps_a), size=(n, len(hyps_a)))
    diffs = np.array([score(stats[0][i].sum(0)) - score(stats[1][i].sum(0)) for i in idx])
    full = score(stats[0].sum(0)) - score(stats[1].sum(0))
    return float(full), float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975))


def nearest_neighbour_translate(train_pairs, sentences, analyzer="word"):
    """The baseline with no learning: translate each English sentence by the first training
    translation of the most similar training English sentence (cosine of TF-IDF vectors,
    scikit-learn). analyzer: "word" (word 1- and 2-grams) or "char" (character 2- to 4-grams
    within words). Returns raw French str, as written in the file.
    """
    if analyzer not in ("word", "char"):
        raise ValueError(f"analyzer: expected 'word' or 'char', got {analyzer!r}")
    sources, refs = group_references(train_pairs)
    vectorizer = TfidfVectorizer(preprocessor=lambda s: " ".join(tokenize(s, "en")), **(
        dict(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+") if analyzer == "word"
        else dict(analyzer="char_wb", ngram_range=(2, 4))))
    train_vectors = vectorizer.fit_transform(sources)
    nearest = (vectorizer.transform(sentences) @ train_vectors.T).toarray().argmax(1)
    return [refs[i][0] for i in nearest]


# ---------------------------------------------------------------- the chapter's models

# The repository's models/ folder (rnnlib/apps/ -> the repository root).
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
# file name part -> (attention, hidden size): the attention model; the same model without
# attention (hidden 64, fewer parameters); and one without attention at a matched parameter count
# (hidden 128: 739,122 parameters against the attention model's 741,234 on the shipped split).
SHIPPED = {"attention": ("additive", 64), "plain": (None, 64), "plain_matched": (None, 128)}

CONFIG = dict(split_seed=2024, val=200, test=400, min_freq=1, embed=64, bidirectional=True,
              attn_size=64, batch=64, steps=4000, lr=3e-3, clip_norm=1.0, max_len=20, eval_every=250)


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


def build_model(name, n_src, n_tgt, config=CONFIG, seed=0):
    """One of the chapter's translation models by name (see SHIPPED)."""
    if name not in SHIPPED:
        raise ValueError(f"expected a model name among {list(SHIPPED)}, got {name!r}")
    attention, hidden = SHIPPED[name]
    return seq2seq.make_model(n_src, n_tgt, config["embed"], hidden, "gru", attention,
                              bidirectional=config["bidirectional"], attn_size=config["attn_size"], seed=seed)


def encode(pairs, src_vocab, tgt_vocab):
    """(english, french) str pairs -> id pairs without special tokens."""
    return [(src_vocab.encode(tokenize(e, "en"), add_eos=False),
             tgt_vocab.encode(tokenize(f, "fr"), add_eos=False)) for e, f in pairs]


def translate(model, sentences, src_vocab, tgt_vocab, max_len=CONFIG["max_len"], device="cpu"):
    """English sentences -> French token lists, greedy decoding."""
    ids = [src_vocab.encode(tokenize(e, "en"), add_eos=False) for e in sentences]
    return [tgt_vocab.decode(p) for p in seq2seq.predict(model, ids, max_len, device=device)]


def evaluate_bleu(model, pairs, src_vocab, tgt_vocab, device="cpu", signature=False):
    """Corpus BLEU of greedy translations of the distinct English sentences of `pairs`, each
    against all of its French translations in `pairs` (see `bleu`)."""
    sources, references = group_references(pairs)
    hyps = translate(model, sources, src_vocab, tgt_vocab, device=device)
    return bleu([detokenize_fr(h) for h in hyps], references, signature=signature)


def train(name, seed=0, config=CONFIG, steps=None, progress=True, device="cpu"):
    """Train model `name` (see SHIPPED) on the fixed split for `steps` (default config["steps"])
    and keep the weights of its best validation BLEU, evaluated every config["eval_every"] steps.

    Returns (model, history, vocabs, splits); history.val["bleu"] is the validation curve.
    """
    (train_pairs, val_pairs, test_pairs), (src_vocab, tgt_vocab) = prepare(config)
    model = build_model(name, len(src_vocab), len(tgt_vocab), config, seed).to(device)
    batches = seq2seq.batch_sampler(encode(train_pairs, src_vocab, tgt_vocab), config["batch"],
                                    np.random.default_rng(seed), device)

    def evaluate(m):
        b = evaluate_bleu(m, val_pairs, src_vocab, tgt_vocab, device)
        return {"minus_bleu": -b, "bleu": b}

    steps = steps or config["steps"]
    # patience = the whole budget: never stop early, but restore the best validation checkpoint
    history = fit(model, seq2seq.teacher_forcing_loss(), batches, steps=steps, lr=config["lr"],
                  clip_norm=config["clip_norm"], evaluate=evaluate, eval_every=config["eval_every"],
                  patience=steps, monitor="minus_bleu", progress=progress, desc=f"translation ({name})")
    return model, history, (src_vocab, tgt_vocab), (train_pairs, val_pairs, test_pairs)


def save(path, name, model, history, vocabs, config=CONFIG):
    """Write a model as shipped: config, vocabularies, float16 weights, training history."""
    torch.save({"name": name, "config": config, "src_itos": vocabs[0].itos, "tgt_itos": vocabs[1].itos,
                "state_dict": {k: v.half() for k, v in model.state_dict().items()},
                "history": {"train_loss": history.train["loss"], "val_step": history.val["step"],
                            "val_bleu": history.val["bleu"]}}, path)


def load(path, device="cpu"):
    """A shipped file -> (model in eval mode, (src_vocab, tgt_vocab), checkpoint dict)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    config = ckpt["config"]
    src_vocab = WordVocab(ckpt["src_itos"][len(SPECIALS):])
    tgt_vocab = WordVocab(ckpt["tgt_itos"][len(SPECIALS):])
    model = build_model(ckpt["name"], len(src_vocab), len(tgt_vocab), config)
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    return model.to(device).eval(), (src_vocab, tgt_vocab), ckpt


def load_shipped(name, device="cpu"):
    """One of the shipped models (a name in SHIPPED): (model, (src_vocab, tgt_vocab), checkpoint)."""
    if name not in SHIPPED:
        raise ValueError(f"load_shipped: expected one of {list(SHIPPED)}, got {name!r}")
    path = Path(MODELS_DIR) / f"translation_{name}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: it ships with the book; run models/train_translation.py "
                                "to make it again")
    return load(path, device)
