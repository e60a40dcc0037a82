"""Tests for rnnlib.apps.translation: loading the English-French pairs, tokenising them, the split, BLEU.
The shipped models are tested in test_translation_model.py."""
import numpy as np
import pytest

from rnnlib.apps import translation
from rnnlib.apps.translation import (bleu, detokenize_fr, group_references, load_translation_pairs,
                                       paired_bootstrap, translation_split)
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


def test_translation_split_is_by_english_sentence_complete_and_seeded():
    # 30 English sentences, sentence i with i % 3 + 1 translations
    pairs = [(f"e{i}", f"f{i}.{j}") for i in range(30) for j in range(i % 3 + 1)]
    train, val, test = translation_split(pairs, 5, 10, np.random.default_rng(0))
    english = [{e for e, _ in part} for part in (train, val, test)]
    assert [len(e) for e in english] == [15, 5, 10]          # counts of sentences, not of pairs
    assert not (english[0] & english[2]) and not (english[0] & english[1]) and not (english[1] & english[2])
    assert sorted(train + val + test) == sorted(pairs)        # every translation kept, on one side
    assert translation_split(pairs, 5, 10, np.random.default_rng(0)) == (train, val, test)
    with pytest.raises(ValueError, match="English sentences"):
        translation_split(pairs, 10, 20, np.random.default_rng(0))


def test_the_shipped_split_holds_out_every_test_and_validation_sentence():
    (train, val, test), _ = translation.prepare()
    seen = {e for e, _ in train}
    assert not seen & {e for e, _ in test} and not seen & {e for e, _ in val}
    assert not {e for e, _ in val} & {e for e, _ in test}
    cfg = translation.CONFIG
    assert (len(group_references(val)[0]), len(group_references(test)[0])) == (cfg["val"], cfg["test"])


def test_group_references_keeps_every_translation_in_order():
    sources, refs = group_references([("a", "1"), ("b", "2"), ("a", "3")])
    assert sources == ["a", "b"] and refs == [["1", "3"], ["2"]]


def test_detokenize_fr_undoes_tokenize_on_the_shipped_sentences():
    french = [f for _, f in load_translation_pairs()]
    assert detokenize_fr(["l'", "homme", "est", "là", "."]) == "l'homme est là."
    assert detokenize_fr(["c'", "est", "toi", "?"]) == "c'est toi ?"
    assert bleu([detokenize_fr(tokenize(f, "fr")) for f in french], french) > 99


def test_bleu_of_identical_strings_is_100_and_of_disjoint_strings_0():
    refs = ["the cat sat on the mat .", "a dog barks loudly at night ."]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["xx yy zz ww vv", "qq rr ss tt uu"], refs) == pytest.approx(0.0)


HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
REFS = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]
REFS2 = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]


def test_bleu_matches_sacrebleu_published_example_with_one_two_and_a_variable_number_of_references():
    # sacrebleu's README example: 48.53 with both reference streams (case does not change it).
    import sacrebleu
    assert sacrebleu.corpus_bleu(HYPS, [REFS, REFS2]).score == pytest.approx(48.53, abs=0.01)
    score, signature = bleu(HYPS, [[a, b] for a, b in zip(REFS, REFS2)], signature=True)
    assert score == pytest.approx(48.53, abs=0.01)
    assert signature.startswith("nrefs:2|case:lc|") and "smooth:exp" in signature
    assert bleu(HYPS, REFS) == pytest.approx(sacrebleu.corpus_bleu(HYPS, [REFS], lowercase=True).score)
    variable = [[REFS[0], REFS2[0]], [REFS[1]], [REFS[2], REFS2[2]]]
    expected = sacrebleu.corpus_bleu(HYPS, [REFS, [REFS2[0], None, REFS2[2]]], lowercase=True).score
    score, signature = bleu(HYPS, variable, signature=True)
    assert score == pytest.approx(expected) and signature.startswith("nrefs:var")
    assert bleu([h.upper() for h in HYPS], REFS) == pytest.approx(bleu(HYPS, REFS))   # case-insensitive


def test_bleu_needs_one_reference_list_per_hypothesis_and_at_least_one_reference():
    with pytest.raises(ValueError, match="one reference list per hypothesis"):
        bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="at least one reference"):
        bleu(["a"], [[]])


def test_paired_bootstrap_is_zero_for_equal_systems_and_brackets_a_real_difference():
    refs = [[r, r2] for r, r2 in zip(REFS, REFS2)] * 20
    good, bad = HYPS * 20, ["the cat sat.", "it was.", "him first."] * 20
    assert paired_bootstrap(good, good, refs, np.random.default_rng(0), n=200) == (0.0, 0.0, 0.0)
    diff, low, high = paired_bootstrap(good, bad, refs, np.random.default_rng(0), n=200)
    assert diff == pytest.approx(bleu(good, refs) - bleu(bad, refs))
    assert 0 < low <= diff <= high
    assert paired_bootstrap(good, bad, refs, np.random.default_rng(0), n=200) == (diff, low, high)


def test_nearest_neighbour_translation_copies_the_closest_training_sentence():
    train = [("I am hungry.", "J'ai faim."), ("I am hungry.", "Je meurs de faim."), ("He runs.", "Il court.")]
    for analyzer in ("word", "char"):
        out = translation.nearest_neighbour_translate(train, ["I am very hungry.", "He runs!"], analyzer)
        assert out == ["J'ai faim.", "Il court."]
    with pytest.raises(ValueError, match="analyzer"):
        translation.nearest_neighbour_translate(train, ["x"], "bpe")
