"""Tests for rnnlib.text: tokenising English and French, the word vocabulary, padding."""
import pytest
import torch

from rnnlib.text import BOS_ID, EOS_ID, PAD_ID, UNK_ID, WordVocab, pad_batch, tokenize


def test_tokenize_splits_french_elision_after_the_apostrophe():
    assert tokenize("L'homme qu'il aime.", "fr") == ["l'", "homme", "qu'", "il", "aime", "."]
    assert tokenize("J\u2019ai faim.", "fr") == ["j'", "ai", "faim", "."]


def test_tokenize_turns_no_break_spaces_into_spaces():
    for space in ("\u202f", "\u00a0", "\u2009"):
        assert tokenize(f"Va{space}!", "fr") == ["va", "!"]
    assert tokenize("Qui\u202fest-ce\u00a0?", "fr") == ["qui", "est-ce", "?"]


def test_tokenize_english_lower_cases_and_splits_clitics_and_punctuation():
    assert tokenize("Don't go, Tom!", "en") == ["don", "'t", "go", ",", "tom", "!"]
    assert tokenize("It's \"fine\".", "en") == ["it", "'s", '"', "fine", '"', "."]


def test_tokenize_rejects_unknown_language():
    with pytest.raises(ValueError, match="lang"):
        tokenize("hola", "es")


def test_word_vocab_specials_and_round_trip():
    sentences = [["the", "cat", "."], ["the", "dog", "."]]
    vocab = WordVocab.build(sentences)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (PAD_ID, BOS_ID, EOS_ID, UNK_ID) == (0, 1, 2, 3)
    assert vocab.itos[4] == "the"  # most frequent first
    ids = vocab.encode(["the", "dog", "."], add_bos=True)
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID and len(ids) == 5
    assert vocab.decode(ids) == ["the", "dog", "."]
    assert vocab.decode(ids + [PAD_ID, PAD_ID]) == ["the", "dog", "."]
    assert vocab.decode(ids, strip_special=False)[0] == "<bos>"
    assert vocab.encode(["bird"], add_eos=False) == [UNK_ID]
    assert vocab.decode(torch.tensor(ids)) == ["the", "dog", "."]


def test_word_vocab_min_freq_and_max_size():
    sentences = [["a", "a", "b", "c"], ["a", "b"]]
    assert len(WordVocab.build(sentences, min_freq=2)) == 4 + 2
    assert WordVocab.build(sentences, max_size=5).itos == ["<pad>", "<bos>", "<eos>", "<unk>", "a"]


def test_word_vocab_works_for_characters():
    vocab = WordVocab.build([list("2026-11-25")])
    assert "".join(vocab.decode(vocab.encode(list("2025-01-26")))) == "2025-01-26"


def test_pad_batch_is_time_first_with_lengths():
    ids, lengths = pad_batch([[5, 6, 7], [8]])
    assert ids.dtype == torch.int64 and ids.shape == (3, 2)
    assert ids[:, 1].tolist() == [8, 0, 0]
    assert lengths.tolist() == [3, 1]
    with pytest.raises(ValueError):
        pad_batch([[1], []])
