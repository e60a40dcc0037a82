"""Word-level text (chapters 07-09): tokenising sentences, word vocabularies with special
tokens, and padded batches of token ids.

Tokenisation follows common practice for small translation experiments (the PyTorch
"NLP from scratch" seq2seq tutorial's normalisation: Unicode normalisation, lower case,
punctuation as separate tokens; and Moses-style splitting of clitics: French elision
"l'homme" -> "l'" "homme", English "don't" -> "don" "'t"). `WordVocab` also serves
character-level tasks: build it from lists of characters. The encoder-decoder
(rnnlib.seq2seq), translation and sentiment all use this one vocabulary and padding.
"""
import re
import unicodedata

import torch

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)

# No-break spaces French typography puts before ! ? : ; and inside guillemets.
_SPACES = {"\u202f": " ", "\u00a0": " ", "\u2009": " "}
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'"}


def tokenize(sentence, lang="en"):
    """A sentence -> a list of lower-case tokens, punctuation split off.

    Steps: Unicode NFKC normalisation; no-break spaces (U+202F, U+00A0, U+2009) become
    spaces and typographic apostrophes become "'"; lower case; clitics split (French
    elision after the apostrophe, "qu'il" -> "qu'" "il"; English before it, "it's" ->
    "it" "'s"); every other punctuation character becomes its own token. Hyphenated
    words ("est-ce") stay whole.
    """
    if lang not in ("en", "fr"):
        raise ValueError(f"lang: expected 'en' or 'fr', got {lang!r}")
    text = unicodedata.normalize("NFKC", sentence)
    text = "".join(_SPACES.get(ch, _APOSTROPHES.get(ch, ch)) for ch in text).lower()
    if lang == "fr":
        text = re.sub(r"(\w')(?=\w)", r"\1 ", text)      # l'homme -> l' homme
    else:
        text = re.sub(r"(\w)('\w)", r"\1 \2", text)      # don't -> don 't
    text = re.sub(r"([^\w\s'-])", r" \1 ", text)          # punctuation as tokens
    return text.split()


class WordVocab:
    """Tokens <-> ids with the special tokens PAD = 0, BOS = 1, EOS = 2, UNK = 3.

    vocab = WordVocab.build(token_lists, min_freq=1, max_size=None): the remaining ids
    go to tokens in order of decreasing frequency (ties: first seen first).
    encode(tokens, add_bos=False, add_eos=True) -> list of int (unknown tokens -> UNK).
    decode(ids, strip_special=True) -> list of str tokens; with strip_special, stops at
    the first EOS and drops PAD and BOS.
    """

    def __init__(self, tokens):
        self.itos = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("WordVocab: tokens must be unique")

    pad_id, bos_id, eos_id, unk_id = PAD_ID, BOS_ID, EOS_ID, UNK_ID

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None):
        counts = {}
        for tokens in token_lists:
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
        # sorted() is stable, so equally frequent tokens keep their first-seen order.
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: -counts[t])
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(SPECIALS))]
        return cls(ranked)

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens, add_bos=False, add_eos=True):
        ids = [self.stoi.get(t, UNK_ID) for t in tokens]
        return ([BOS_ID] if add_bos else []) + ids + ([EOS_ID] if add_eos else [])

    def decode(self, ids, strip_special=True):
        ids = [int(i) for i in (ids.tolist() if hasattr(ids, "tolist") else ids)]
        if strip_special:
            if EOS_ID in ids:
                ids = ids[: ids.index(EOS_ID)]
            ids = [i for i in ids if i not in (PAD_ID, BOS_ID)]
        return [self.itos[i] for i in ids]

    def __repr__(self):
        return f"WordVocab({len(self)} tokens)"


def pad_batch(sequences, pad_id=PAD_ID, device="cpu"):
    """Id lists -> (ids (T, B) int64 padded with pad_id, lengths (B,) int64), time first."""
    if len(sequences) == 0:
        raise ValueError("pad_batch: expected at least one sequence")
    lengths = [len(s) for s in sequences]
    if min(lengths) == 0:
        raise ValueError("pad_batch: every sequence needs at least one token")
    ids = torch.full((max(lengths), len(sequences)), pad_id, dtype=torch.int64)
    for b, seq in enumerate(sequences):
        ids[: len(seq), b] = torch.as_tensor(seq, dtype=torch.int64)
    return ids.to(device), torch.tensor(lengths, dtype=torch.int64, device=device)


def detokenize(tokens):
    """Tokens -> one str joined by spaces (what `bleu` and printing expect)."""
    return " ".join(tokens)
