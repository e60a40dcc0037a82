"""Tests for rnnlib.apps.translation: loading the English-French pairs, tokenising them, the split, BLEU.
The shipped models are tested in test_translation_model.py."""
import numpy as np
import pytest

from rnnlib.apps.translation import bleu, load_translation_pairs, translation_split
from rnnlib.text import tokenize


def test_load_translation_pairs_gives_english_french_tuples():
    pairs = load_translation_pairs()
    assert len(pairs) == 5000
    assert pairs[0] == ("Go.", "Va !")
    assert all(isinstance(p, tuple) and len(p) == 2 and p[0] and p[1] for p in pairs)
    assert not any("tatoeba" in english or "tatoeba" in french for english, french in pairs)


def test_sentences_with_quotes_are_read_verbatim():
    pairs = load_translation_pairs()
    assert ('Say "aah."', "Faites aaah !") in pairs


def test_tokenize_every_shipped_pair_gives_tokens():
    for en, fr in load_translation_pairs()[:500]:
        assert tokenize(en, "en") and tokenize(fr, "fr")
        assert all(" " not in t and "\u202f" not in t for t in tokenize(fr, "fr"))


def test_translation_split_is_disjoint_complete_and_seeded():
    pairs = [(str(i), str(i)) for i in range(100)]
    train, val, test = translation_split(pairs, 10, 20, np.random.default_rng(0))
    assert (len(train), len(val), len(test)) == (70, 10, 20)
    assert sorted(train + val + test) == sorted(pairs)
    again = translation_split(pairs, 10, 20, np.random.default_rng(0))
    assert again == (train, val, test)


def test_bleu_of_identical_strings_is_100_and_of_disjoint_strings_0():
    refs = ["the cat sat on the mat .", "a dog barks loudly at night ."]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["xx yy zz ww vv", "qq rr ss tt uu"], refs) == pytest.approx(0.0)


def test_bleu_matches_sacrebleu_published_example():
    # sacrebleu's README example (first reference stream only): 48.53 with both streams.
    hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    refs = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]
    refs2 = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]
    import sacrebleu
    assert sacrebleu.corpus_bleu(hyps, [refs, refs2]).score == pytest.approx(48.53, abs=0.01)
    assert bleu(hyps, refs) == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert 0 < bleu(hyps, refs) < 100


def test_bleu_needs_one_reference_per_hypothesis():
    with pytest.raises(ValueError, match="references"):
        bleu(["a"], ["a", "b"])
