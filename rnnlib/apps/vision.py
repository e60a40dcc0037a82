"""Image captioning data (chapter 12): scenes composed from real handwritten digits, their
captions from a small grammar, held-out compositions, content accuracy and BLEU against
every reference. The captioners are in `captioner.py`.

A scene is a 24x24 canvas cut into 2x2 cells of 12x12 pixels; two different digits from
scikit-learn's `load_digits` (8x8, UCI, CC BY 4.0) sit in two neighbouring cells, each
small (8x8, jittered in its cell) or large (scaled to 12x12). Its content is
((digit, size, cell), (digit, size, cell), relation), the first object left of (or above)
the second; it has four reference captions ("a small three left of a large seven", "a large
seven right of a small three", and both with "is").
"""
import numpy as np
import sacrebleu
from scipy.ndimage import zoom

from ..text import WordVocab
from ..utils import check_rng

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CANVAS, CELL = 24, 12
CELLS = ((0, 0), (0, 1), (1, 0), (1, 1))            # (row, column) of each 12x12 cell
NEIGHBOURS = ((0, 1, "left"), (2, 3, "left"), (0, 2, "above"), (1, 3, "above"))  # first, second, relation
OPPOSITE = {"left": "right", "above": "below", "right": "left", "below": "above"}


def load_digit_images():
    """scikit-learn's bundled digits: images (1797, 8, 8) float32 in [0, 1], labels (1797,)."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def split_compositions(rng, n_val=12, n_test=12):
    """Compositions = (unordered digit pair, relation 'left' or 'above'): 45 x 2 = 90.

    Shuffled into (train, val, test) lists; a held-out (val or test) composition never
    appears in training, but its pair does, in the other relation (at most one relation
    of a pair is held out), and every digit appears in training in both relations.
    """
    check_rng(rng)
    pairs = [(a, b) for a in range(10) for b in range(a + 1, 10)]
    order = rng.permutation(len(pairs))
    held = [(pairs[i], ("left", "above")[rng.integers(2)]) for i in order[: n_val + n_test]]
    train = [(p, r) for p in pairs for r in ("left", "above") if (p, r) not in held]
    return train, held[:n_val], held[n_val:]


def make_scenes(n, images, labels, pool, compositions, rng):
    """n scenes of the given compositions, digit images drawn from the indices `pool`.

    Returns (canvases (n, 1, 24, 24) float32, contents): content = ((digit, size, cell),
    (digit, size, cell), relation), the first object left of / above the second.
    """
    check_rng(rng)
    by_digit = {d: [i for i in pool if labels[i] == d] for d in range(10)}
    canvases, contents = np.zeros((n, 1, CANVAS, CANVAS), np.float32), []
    for k in range(n):
        pair, relation = compositions[rng.integers(len(compositions))]
        pair = list(pair)
        rng.shuffle(pair)
        first, second, _ = [p for p in NEIGHBOURS if p[2] == relation][rng.integers(2)]
        objects = []
        for digit, cell in zip(pair, (first, second)):
            size = ("small", "large")[rng.integers(2)]
            img = images[by_digit[digit][rng.integers(len(by_digit[digit]))]]
            if size == "large":
                img = np.clip(zoom(img, CELL / 8, order=1), 0, 1)
            r, c = CELLS[cell][0] * CELL, CELLS[cell][1] * CELL
            if size == "small":
                r, c = r + rng.integers(0, 5), c + rng.integers(0, 5)
            canvases[k, 0, r: r + img.shape[0], c: c + img.shape[1]] = img
            objects.append((int(digit), size, cell))
        contents.append((objects[0], objects[1], relation))
    return canvases, contents


def captions(content):
    """The four reference captions of a scene (lists of tokens)."""
    (d1, s1, _), (d2, s2, _), rel = content
    a, b = ["a", s1, DIGITS[d1]], ["a", s2, DIGITS[d2]]
    of = ["of"] if rel == "left" else []          # "left of", "right of"; "above", "below"
    return [a + [rel] + of + b, b + [OPPOSITE[rel]] + of + a,
            a + ["is", rel] + of + b, b + ["is", OPPOSITE[rel]] + of + a]


def parse_caption(tokens):
    """A caption -> its content without cells: ((digit, size), (digit, size), relation)
    with relation 'left' or 'above' (first object left of / above the second); None if
    the caption does not follow the grammar."""
    t = [w for w in tokens if w not in ("is", "of")]
    if (len(t) != 7 or t[0] != "a" or t[4] != "a" or t[1] not in ("small", "large")
            or t[5] not in ("small", "large") or t[2] not in DIGITS or t[6] not in DIGITS
            or t[3] not in OPPOSITE):
        return None
    x, y, rel = (DIGITS.index(t[2]), t[1]), (DIGITS.index(t[6]), t[5]), t[3]
    return (x, y, rel) if rel in ("left", "above") else (y, x, OPPOSITE[rel])


def content_correct(tokens, content):
    """True when the caption names both digits, both sizes and the relation right."""
    (d1, s1, _), (d2, s2, _), rel = content
    return parse_caption(tokens) == ((d1, s1), (d2, s2), rel)


def build_vocab():
    """The grammar's words (specials first): the same ids whatever the scenes."""
    words = ["a", "small", "large", "is", "of"] + list(OPPOSITE) + list(DIGITS)
    return WordVocab(words)


def caption_bleu(hypotheses, references):
    """sacrebleu corpus BLEU of tokenised hypotheses against all references of each scene.

    hypotheses: list of token lists; references: list (one per hypothesis) of lists of
    token lists (the same number for every scene). Returns sacrebleu's BLEUScore (.score in
    [0, 100]) with .signature added: sacrebleu's signature string, to print beside it.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"caption_bleu: expected one list of references per hypothesis, got "
                         f"{len(references)} for {len(hypotheses)}")
    streams = [[" ".join(refs[k]) for refs in references] for k in range(len(references[0]))]
    metric = sacrebleu.BLEU()
    result = metric.corpus_score([" ".join(h) for h in hypotheses], streams)
    result.signature = str(metric.get_signature())
    return result


CONFIG = dict(split_seed=12, n_train=6000, n_val=500, n_test=500, embed=32, hidden=64, plain_hidden=68,
              batch=64, steps=3000, lr=3e-3, clip_norm=1.0)


def prepare(config=CONFIG):
    """The fixed data of the chapter, from config["split_seed"] only: digit images split
    60/20/20 into pools, compositions split by `split_compositions`, and scenes: "train"
    (training compositions and images), "val" (training compositions, validation images),
    "val_new" (validation compositions and images), "test" (test compositions and images).
    Returns a dict of (canvases, contents) per part, plus "compositions" and "pools"."""
    rng = np.random.default_rng(config["split_seed"])
    images, labels = load_digit_images()
    order = rng.permutation(len(images))
    a, b = int(0.6 * len(order)), int(0.8 * len(order))
    pools = {"train": order[:a], "val": order[a:b], "test": order[b:]}
    comps = dict(zip(("train", "val", "test"), split_compositions(rng)))
    out = {"compositions": comps, "pools": pools}
    for part, n, pool, comp in (("train", "n_train", "train", "train"), ("val", "n_val", "val", "train"),
                                ("val_new", "n_val", "val", "val"), ("test", "n_test", "test", "test")):
        out[part] = make_scenes(config[n], images, labels, pools[pool], comps[comp], rng)
    return out
