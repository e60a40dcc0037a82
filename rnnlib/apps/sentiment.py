"""Sentiment from sentences (chapter 09): the UCI labelled sentences, tokens and padded
batches (with rnnlib.text's WordVocab and pad_batch), order-aware and bag-of-words
classifiers.

Data: Kotzias, Denil, de Freitas & Smyth (2015), "From Group to Individual Labels using
Deep Features" (KDD), shipped in data/sentiment_labelled_sentences/ (CC BY 4.0):
1,000 one-line reviews from each of Amazon, IMDb and Yelp, labelled 1 (positive) or 0.

Two classifiers read the same padded batches, token ids (B, L) with 0 for padding:

- `RNNClassifier`: an embedding, a recurrent layer (torch.nn.LSTM or GRU) run on a
  *packed* batch so that padding never enters the recurrence, and a linear read-out of
  the last real step's state. Word order matters to it.
- `BagOfWords`: logistic regression on which words occur, p = sigmoid(b + sum_w beta_w),
  one weight per vocabulary word. Any reordering of a sentence gives the same score.
"""
import re

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..data import data_path
from ..text import WordVocab, pad_batch   # the book's one word vocabulary and padding (WordVocab re-exported for chapter 09)
from ..utils import check_int, check_rng

SENTIMENT_FILES = {
    "amazon": "sentiment_labelled_sentences/amazon_cells_labelled.txt",
    "imdb": "sentiment_labelled_sentences/imdb_labelled.txt",
    "yelp": "sentiment_labelled_sentences/yelp_labelled.txt",
}

# ---------------------------------------------------------------- loading and tokens

def load_sentiment(sources=("amazon", "imdb", "yelp")):
    """The labelled sentences: (sentences, labels, sources).

    sentences: list of str, as in the files (trailing spaces stripped).
    labels: int64 array (N,), 1 positive, 0 negative.
    sources: list of str, the site each sentence comes from.
    Lines are split on "\\n" only (a few sentences contain U+0085, which str.splitlines
    would treat as a line break) and on the last tab, without CSV quoting.
    """
    sentences, labels, origin = [], [], []
    for source in sources:
        if source not in SENTIMENT_FILES:
            raise ValueError(f"unknown source {source!r}; expected some of {sorted(SENTIMENT_FILES)}")
        text = data_path(SENTIMENT_FILES[source]).read_text(encoding="utf-8")
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            sentence, sep, label = line.rpartition("\t")
            if not sep or label.strip() not in ("0", "1"):
                raise ValueError(f"{SENTIMENT_FILES[source]} line {number}: expected "
                                 f"'sentence<TAB>0 or 1', got {line[:60]!r}")
            sentences.append(sentence.strip())
            labels.append(int(label))
            origin.append(source)
    return sentences, np.array(labels, dtype=np.int64), origin


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?,.]")


def tokenize(sentence):
    """Lower-case words (keeping contractions such as "isn't" whole) and the marks ! ? , .

    tokenize("Not good, NOT bad!") == ["not", "good", ",", "not", "bad", "!"]
    """
    return _TOKEN.findall(sentence.lower())


def train_test_split(n, test_fraction, rng):
    """A random permutation of range(n) cut in two: (train_idx, test_idx), int64 arrays."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction}")
    order = check_rng(rng).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def encode_sentences(sentences, vocab):
    """Tokenise, encode and pad sentences with a `rnnlib.text.WordVocab`:
    (ids (B, L_max) int64 tensor, batch first as RNNClassifier and BagOfWords read them,
    lengths (B,) int64 tensor). Padding is id 0 (vocab.pad_id); words the vocabulary does not
    know become vocab.unk_id, and a sentence with no tokens the single unknown id."""
    encoded = [vocab.encode(tokenize(s), add_eos=False) or [vocab.unk_id] for s in sentences]
    ids, lengths = pad_batch(encoded, pad_id=vocab.pad_id)    # time first (L_max, B)
    return ids.T.contiguous(), lengths


# ---------------------------------------------------------------- models

class RNNClassifier(nn.Module):
    """Read a padded batch of sequences and classify each one from its last real step.

        h_t = RNN(e_t, h_{t-1}),  t = 1..L_b;   logits = W h_{L_b} + b

    input_size: the feature size D of float inputs (B, L, D), or, with vocab_size set,
        the embedding size for token ids (B, L) (id 0 is padding).
    cell: "lstm" or "gru" (torch.nn.LSTM / torch.nn.GRU, batch first).
    n_classes: number of logits; 1 gives one logit per sequence (binary), shape (B,).
    forward(x, lengths) -> logits (B, n_classes) or (B,) for n_classes == 1.
    The batch is packed (torch.nn.utils.rnn.pack_padded_sequence), so the recurrence
    stops at each sequence's own length: padding cannot change a prediction.
    """

    def __init__(self, input_size, hidden_size, n_classes=1, cell="lstm", vocab_size=None,
                 bidirectional=False):
        super().__init__()
        rnns = {"lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in rnns:
            raise ValueError(f"cell: expected one of {sorted(rnns)}, got {cell!r}")
        self.embed = None if vocab_size is None else nn.Embedding(vocab_size, input_size, padding_idx=0)
        self.rnn = rnns[cell](input_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_classes)
        self.n_classes = n_classes

    def forward(self, x, lengths):
        if self.embed is not None:
            if x.dim() != 2:
                raise ValueError(f"x: expected token ids of shape (B, L), got {tuple(x.shape)}")
            x = self.embed(x)
        elif x.dim() != 3:
            raise ValueError(f"x: expected features of shape (B, L, D), got {tuple(x.shape)}")
        if lengths.shape != (x.shape[0],):
            raise ValueError(f"lengths: expected shape ({x.shape[0]},), got {tuple(lengths.shape)}")
        # lengths live on the CPU for packing, whatever the device of x.
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h = state[0] if isinstance(state, tuple) else state       # (layers*dirs, B, H)
        # the final state of each direction, taken at each sequence's own last step
        last = torch.cat([h[-2], h[-1]], dim=1) if self.rnn.bidirectional else h[-1]
        logits = self.head(last)
        return logits.squeeze(-1) if self.n_classes == 1 else logits


class BagOfWords(nn.Module):
    """Logistic regression on the words of a sentence, order ignored.

        logit = b + sum over the tokens w_1..w_L of beta_{w_t}

    (beta counts a word as often as it occurs: a bag, not a set, of words.)
    forward(ids (B, L), lengths (B,)) -> logits (B,). Padding (id 0) has weight 0, so
    padding, and any reordering of a sentence, leave the logit unchanged.
    """

    def __init__(self, vocab_size):
        super().__init__()
        # one weight per word, summed over the sentence: an EmbeddingBag of width 1
        self.weight = nn.EmbeddingBag(vocab_size, 1, mode="sum", padding_idx=0)
        nn.init.zeros_(self.weight.weight)
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, ids, lengths=None):
        return self.weight(ids).squeeze(-1) + self.bias


# ---------------------------------------------------------------- training and scoring

def binary_loss(model, batch):
    """fit's loss function for (ids, lengths, labels) batches: cross-entropy and accuracy."""
    ids, lengths, labels = batch
    logits = model(ids, lengths)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
    acc = ((logits > 0).long() == labels).float().mean()
    return loss, {"acc": acc.detach()}


def minibatches(ids, lengths, labels, batch_size, rng):
    """A callable for `fit`: each call returns a random minibatch (ids, lengths, labels),
    drawn without replacement until the data are used up, then reshuffled (epochs)."""
    n, order = len(labels), []

    def next_batch():
        nonlocal order
        if len(order) < batch_size:
            order = list(rng.permutation(n))
        take, order = order[:batch_size], order[batch_size:]
        take = torch.as_tensor(np.array(take), device=ids.device)
        l = lengths[take.cpu()]
        # cut the padding this batch does not need
        return ids[take, :int(l.max())], l, labels[take]
    return next_batch


@torch.no_grad()
def predict_proba(model, ids, lengths):
    """P(positive) for each sequence, a float64 numpy array (B,), computed in eval mode."""
    was_training = model.training
    model.eval()
    p = torch.sigmoid(model(ids, lengths)).double().cpu().numpy()
    model.train(was_training)
    return p


def accuracy(model, ids, lengths, labels):
    """Fraction of sequences whose predicted label (P > 0.5) equals the true label."""
    pred = predict_proba(model, ids, lengths) > 0.5
    return float(np.mean(pred == labels.cpu().numpy().astype(bool)))


# ---------------------------------------------------------------- negation probes

SUBJECTS = ("the food", "the movie", "the phone", "the service", "it", "this place",
            "the acting", "the battery", "the price", "the story")

# Templates of sentence pairs whose label depends on word order: {p} a positive word, {q} a
# negative one; the first sentence of a pair is positive (1), the second, with p and q
# swapped, negative (0). Both hold the same words, so any bag of words scores them alike.
SWAP_TEMPLATES = (
    "{s} was {p}, not {q}",
    "{s} was not {q} but {p}",
    "{s} was not {q}, it was {p}",
)


def negation_pairs(positive, negative, rng, n_pairs, subjects=SUBJECTS, templates=SWAP_TEMPLATES):
    """Generated sentence pairs that only an order-aware model can get both right.

    Each pair draws a subject s, a positive word p, a negative word q and a template,
    and gives ("s was p, not q", 1) and ("s was q, not p", 0): the same bag of words
    with opposite labels.
    Returns (sentences, labels int64 (2 * n_pairs,)), the pair members adjacent
    (sentence 2k positive, 2k + 1 its negative twin).
    """
    check_rng(rng)
    check_int("n_pairs", n_pairs)
    sentences, labels = [], []
    for _ in range(n_pairs):
        s = subjects[rng.integers(len(subjects))]
        p = positive[rng.integers(len(positive))]
        q = negative[rng.integers(len(negative))]
        t = templates[rng.integers(len(templates))]
        sentences += [t.format(s=s, p=p, q=q), t.format(s=s, p=q, q=p)]
        labels += [1, 0]
    return sentences, np.array(labels, dtype=np.int64)
