"""Dialogue (chapter 14): the chatterbot corpus split by prompt, the TF-IDF retrieval baseline,
the seq2seq chatbot's replies and perplexity, distinct-n, MMI reranking, and transcripts for a
language model that replies by continuing them.

The corpus (data/dialogue/chatterbot-english/, BSD 3-clause, user-contributed): YAML files, one
per topic, each a list of short conversations; every two adjacent turns give a (prompt, reply)
pair. The chatbot is rnnlib.seq2seq's encoder-decoder with attention (Vinyals & Le 2015).
"""
import math
from collections import Counter

import numpy as np
import sacrebleu
import torch
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from torch.nn import functional as F

from .. import seq2seq
from ..data import data_path
from ..text import WordVocab, tokenize
from ..train import fit
from ..utils import check_int, check_rng

CORPUS = "dialogue/chatterbot-english"


def load_conversations(folder=CORPUS):
    """The corpus as a list of (topic, turns): topic the file's stem ("ai"), turns a list of
    str. Turns that YAML reads as numbers or booleans are kept as their text; an entry that
    is not a list of turns (trivia.yml has one question-and-answer written as a single
    string) is skipped."""
    root = data_path(f"{folder}/ai.yml").parent
    out = []
    for path in sorted(root.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for turns in doc.get("conversations") or []:
            if not isinstance(turns, list):
                continue
            turns = [str(t).strip() for t in turns if t is not None and str(t).strip()]
            if len(turns) >= 2:
                out.append((path.stem, turns))
    return out


def adjacent_pairs(conversations):
    """Every two adjacent turns as (topic, prompt, reply)."""
    return [(topic, a, b) for topic, turns in conversations for a, b in zip(turns, turns[1:])]


def deduplicate(pairs):
    """The triples with each (prompt, reply) kept once, first occurrence first (tech_support.yml
    repeats ten exchanges about 100 times each: they would swamp training and any test set)."""
    seen, out = set(), []
    for triple in pairs:
        if triple[1:] not in seen:
            seen.add(triple[1:])
            out.append(triple)
    return out


def prompt_key(prompt):
    """What makes two prompts "the same": their tokens (case and punctuation spacing ignored)."""
    return " ".join(tokenize(prompt))


def split_by_prompt(pairs, val, test, rng):
    """Split (topic, prompt, reply) triples so that no prompt is in two parts.

    The corpus often holds several replies to one prompt ("What is AI?" has two): the
    pairs are grouped by prompt_key, the groups shuffled with rng, and whole groups go to
    test until it holds >= `test` pairs, then to validation (>= `val`), the rest to
    training. Returns (train, val, test) lists of triples.
    """
    check_rng(rng)
    groups = {}
    for triple in pairs:
        groups.setdefault(prompt_key(triple[1]), []).append(triple)
    keys = list(groups)
    parts, wanted, k = ([], [], []), (test, val), 0
    for key in (keys[i] for i in rng.permutation(len(keys))):  # fill test, then val, then train
        while k < 2 and len(parts[k]) >= wanted[k]:
            k += 1
        parts[k].extend(groups[key])
    test_part, val_part, train_part = parts
    if len(train_part) == 0:
        raise ValueError(f"split_by_prompt: val + test = {val + test} leaves no training pairs of {len(pairs)}")
    return train_part, val_part, test_part


# ---------------------------------------------------------------- measures

def distinct_n(replies, n):
    """Distinct-n (Li et al. 2016): distinct n-grams / all n-grams over a set of replies (token
    lists). 1.0: no n-gram repeats; a bot with one reply for everything scores near 0. nan if no n-gram."""
    check_int("n", n)
    grams = [tuple(r[i: i + n]) for r in replies for i in range(len(r) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def frequent_reply_share(replies, k=5):
    """The share of replies that are one of the k most frequent replies among them."""
    check_int("k", k)
    counts = Counter(tuple(r) for r in replies)
    return sum(c for _, c in counts.most_common(k)) / len(replies)


def bleu(hypotheses, references):
    """Corpus BLEU in [0, 100] and its sacrebleu signature (Post 2018): sacrebleu's defaults
    on lower-cased, space-joined tokens. force=True: the texts are tokenised on purpose (the
    model emits tokens), so sacrebleu's warning about tokenised input does not apply."""
    if len(hypotheses) != len(references):
        raise ValueError(f"bleu: expected as many references as hypotheses, got {len(references)}, {len(hypotheses)}")
    metric = sacrebleu.BLEU(force=True)
    return float(metric.corpus_score(list(hypotheses), [list(references)]).score), str(metric.get_signature())


# ---------------------------------------------------------------- retrieval baseline

class TfidfRetriever:
    """Reply with the reply of the most similar training prompt (TF-IDF vectors, cosine).

    fit(prompts, replies): str lists of the same length. reply(prompts) -> list of str.
    Similarity ties go to the first training pair. The vectoriser uses the book's tokenize.
    """

    def __init__(self, **tfidf_options):
        self.vectorizer = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                          **tfidf_options)

    def fit(self, prompts, replies):
        if len(prompts) != len(replies):
            raise ValueError(f"fit: expected as many replies as prompts, got {len(replies)} and {len(prompts)}")
        self.matrix = self.vectorizer.fit_transform(prompts)   # rows L2-normalised
        self.replies = list(replies)
        return self

    def reply(self, prompts):
        scores = (self.vectorizer.transform(prompts) @ self.matrix.T).toarray()   # cosine
        return [self.replies[i] for i in scores.argmax(axis=1)]


# ---------------------------------------------------------------- the generative model

CONFIG = dict(split_seed=14, val=120, test=150, max_prompt=20, max_reply=25, min_freq=2, embed=64, hidden=64,
              attn_size=64, batch=32, steps=500, eval_every=50, patience=3, lr=3e-3, clip_norm=1.0)


def short_pairs(pairs, config=CONFIG):
    """The triples whose prompt and reply fit the model's length limits (in tokens)."""
    return [p for p in pairs if len(tokenize(p[1])) <= config["max_prompt"]
            and len(tokenize(p[2])) <= config["max_reply"]]


def build_vocab(train_pairs, config=CONFIG):
    """One WordVocab for prompts and replies, from the training pairs' words seen min_freq times."""
    return WordVocab.build([tokenize(s) for _, p, r in train_pairs for s in (p, r)], config["min_freq"])


def encode_pairs(pairs, vocab):
    """(topic, prompt, reply) triples -> (prompt ids, reply ids) without special tokens."""
    return seq2seq.encode_pairs([(p, r) for _, p, r in pairs], vocab, vocab, split=tokenize)


def build_model(vocab_size, config=CONFIG, seed=0):
    """The chapter's chatbot: a GRU encoder-decoder, bidirectional encoder, additive attention."""
    return seq2seq.make_model(vocab_size, vocab_size, config["embed"], config["hidden"], "gru", "additive",
                              bidirectional=True, attn_size=config["attn_size"], seed=seed)


def train(model, id_pairs, val_pairs, rng, config=CONFIG, steps=None, device="cpu", progress=True):
    """Teacher-forced training on prompt -> reply id pairs (rnnlib.fit), evaluated by validation
    perplexity every eval_every steps; training stops after `patience` evaluations without
    improvement and keeps the best weights. Returns the History."""
    batches = seq2seq.batch_sampler(id_pairs, config["batch"], rng, device)
    return fit(model, seq2seq.teacher_forcing_loss(), batches, steps=steps or config["steps"], lr=config["lr"],
               clip_norm=config["clip_norm"], evaluate=lambda m: {"perplexity": perplexity(m, val_pairs, device)},
               eval_every=config["eval_every"], patience=config["patience"], progress=progress, desc="chatbot")


@torch.no_grad()
def _token_log_probs(model, id_pairs, device, batch_size=256):
    """Per batch of id pairs: (log p of each reply token (T, B), mask of real tokens (T, B)), EOS included."""
    model.eval()
    for start in range(0, len(id_pairs), batch_size):
        b = seq2seq.make_batch(id_pairs[start: start + batch_size], device)
        logits, _ = model(b.src, b.src_lengths, b.tgt_in)
        yield F.log_softmax(logits, dim=-1).gather(2, b.tgt_out[..., None])[..., 0], b.tgt_out != 0


def perplexity(model, id_pairs, device="cpu"):
    """exp(mean negative log-likelihood per reply token, EOS included) under the model."""
    total, count = 0.0, 0
    for logp, mask in _token_log_probs(model, id_pairs, device):
        total -= float((logp * mask).sum())
        count += int(mask.sum())
    return math.exp(total / count)


def generate(model, vocab, prompts, decoder="greedy", max_len=CONFIG["max_reply"], beam_width=5,
             temperature=1.0, generator=None, device="cpu"):
    """Replies (token lists) to prompts (str) with decoder "greedy", "beam" or "sample"."""
    ids = [vocab.encode(tokenize(p), add_eos=False) or [vocab.unk_id] for p in prompts]
    model.eval()
    if decoder == "sample":
        out = []
        for start in range(0, len(ids), 256):
            src, lengths = seq2seq.make_batch([(s, [0]) for s in ids[start: start + 256]], device)[:2]
            out += seq2seq.sample_decode(model, src, lengths, temperature, generator, max_len=max_len)
    elif decoder in ("greedy", "beam"):
        out = seq2seq.predict(model, ids, max_len, beam_width=beam_width if decoder == "beam" else None,
                              length_penalty=0.0, device=device)
    else:
        raise ValueError(f"decoder: expected 'greedy', 'beam' or 'sample', got {decoder!r}")
    return [vocab.decode(o) for o in out]


def mean_log_prob(model, vocab, prompts, replies, device="cpu"):
    """Mean over pairs of log p(reply | prompt) / (len(reply) + 1), EOS included: how likely the
    model finds given replies (token lists), per token."""
    pairs = [(vocab.encode(tokenize(p), add_eos=False) or [vocab.unk_id], vocab.encode(r, add_eos=False))
             for p, r in zip(prompts, replies)]
    scores = [((logp * mask).sum(0) / mask.sum(0)).tolist() for logp, mask in _token_log_probs(model, pairs, device)]
    return float(np.mean(sum(scores, [])))


def mmi_rerank(log_p_given_prompt, log_p_reply, lam):
    """Maximum mutual information reranking (Li et al. 2016, MMI-antiLM): the index of the
    candidate maximising log p(r | prompt) - lam * log p(r). Arrays (N,) -> int."""
    a, b = np.asarray(log_p_given_prompt, float), np.asarray(log_p_reply, float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"mmi_rerank: expected two non-empty arrays (N,) of one shape, got {a.shape} and {b.shape}")
    return int(np.argmax(a - lam * b))


# ---------------------------------------------------------------- transcripts

def transcript(pairs, rng=None):
    """(topic, prompt, reply) triples -> one text "User: <prompt>\\nBot: <reply>\\n\\n" per
    pair, in a random order when rng is given (the pairs of one topic then do not cluster)."""
    order = range(len(pairs)) if rng is None else check_rng(rng).permutation(len(pairs))
    return "".join(f"User: {pairs[i][1]}\nBot: {pairs[i][2]}\n\n" for i in order)


class TranscriptWords:
    """A transcript's words as ids for a word-level language model (rnnlib.apps.language_model's
    CharLM and sample work on any ids through this adapter).

    vocab: a WordVocab. encode(text) -> int64 array: each line tokenised (rnnlib.text.tokenize)
    and every line break written as the EOS token; unknown words -> UNK. decode(ids) -> str, the
    words joined by spaces and EOS turned back into a line break.
    """

    def __init__(self, vocab):
        self.vocab = vocab

    def encode(self, text):
        ids = []
        for k, line in enumerate(text.split("\n")):
            ids += ([self.vocab.eos_id] if k else []) + self.vocab.encode(tokenize(line), add_eos=False)
        return np.array(ids, dtype=np.int64)

    def decode(self, ids):
        words = [self.vocab.itos[int(i)] for i in np.asarray(ids).reshape(-1)]
        return " ".join(words).replace(" <eos> ", "\n").replace("<eos> ", "\n").replace(" <eos>", "\n")


def continue_transcript(model, words, prompt, max_words=30, temperature=1.0, generator=None):
    """A language model's reply: it reads "User: <prompt>\nBot:" and writes on (language_model's
    sample) until the end of the line. words: a TranscriptWords. Returns the reply's tokens."""
    from .language_model import sample
    text = sample(model, words, f"User: {prompt}\nBot:", max_words, temperature, generator)
    return text.split("\n")[0].split()


def topic_counts(pairs):
    """{topic: number of pairs}, most frequent first."""
    return dict(Counter(t for t, _, _ in pairs).most_common())

