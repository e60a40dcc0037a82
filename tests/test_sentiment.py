"""Tests for rnnlib.apps.sentiment: loading, tokens, vocabulary, padding, the two classifiers."""
import numpy as np
import pytest
import torch

from rnnlib import data
from rnnlib.apps import sentiment as st


def test_load_sentiment_reads_3000_balanced_sentences():
    sentences, labels, sources = st.load_sentiment()
    assert len(sentences) == len(labels) == len(sources) == 3000
    assert labels.dtype == np.int64 and labels.sum() == 1500
    assert {s: sources.count(s) for s in set(sources)} == {"amazon": 1000, "imdb": 1000, "yelp": 1000}
    assert sentences[1] == "Good case, Excellent value." and labels[1] == 1
    assert all(s and "\t" not in s for s in sentences)


def test_load_sentiment_keeps_u0085_inside_a_sentence():
    # str.splitlines would break these lines in two; load_sentiment must not
    sentences, _, _ = st.load_sentiment()
    assert any("\x85" in s for s in sentences)


def test_load_sentiment_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="amazon_cells_labelled.txt"):
        st.load_sentiment()


def test_load_sentiment_rejects_unknown_source():
    with pytest.raises(ValueError, match="unknown source"):
        st.load_sentiment(["twitter"])


def test_tokenize_lowercases_and_keeps_contractions_and_marks():
    assert st.tokenize("Not good, NOT bad!") == ["not", "good", ",", "not", "bad", "!"]
    assert st.tokenize("It isn't great.") == ["it", "isn't", "great", "."]


def test_train_test_split_is_a_partition():
    train, test = st.train_test_split(100, 0.2, np.random.default_rng(0))
    assert len(test) == 20 and len(train) == 80
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))


def test_encode_sentences_pads_batch_first_and_marks_unknown_words():
    vocab = st.WordVocab.build([["the", "food", "was", "good"], ["not", "good"]])
    ids, lengths = st.encode_sentences(["The food was good!", "not good", "@@"], vocab)
    assert ids.shape == (3, 5) and lengths.tolist() == [5, 2, 1]
    assert vocab.decode(ids[0]) == ["the", "food", "was", "good", "<unk>"]     # "!" unseen
    assert ids[1, 2:].tolist() == [vocab.pad_id] * 3
    assert ids[2, 0].item() == vocab.unk_id                                     # no tokens at all


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_a_prediction(cell, bidirectional):
    torch.manual_seed(0)
    model = st.RNNClassifier(8, 6, cell=cell, vocab_size=20, bidirectional=bidirectional).eval()
    short = torch.tensor([[3, 4, 5]])
    batch, lengths = st.pad_batch([[3, 4, 5], list(range(2, 19))])
    batch = batch.T                                    # the classifier reads batch first
    with torch.no_grad():
        alone = model(short, torch.tensor([3]))
        padded = model(batch, lengths)
    assert torch.allclose(alone, padded[:1], atol=1e-6)


def test_rnn_classifier_shapes_for_features_and_classes():
    model = st.RNNClassifier(5, 7, n_classes=10, cell="gru")
    out = model(torch.randn(4, 9, 5), torch.tensor([9, 3, 1, 5]))
    assert out.shape == (4, 10)
    with pytest.raises(ValueError, match=r"\(B, L, D\)"):
        model(torch.randn(4, 9), torch.tensor([9, 3, 1, 5]))
    with pytest.raises(ValueError, match="cell"):
        st.RNNClassifier(5, 7, cell="rnn")


def test_bag_of_words_ignores_order_and_padding():
    torch.manual_seed(0)
    bow = st.BagOfWords(10)
    torch.nn.init.normal_(bow.weight.weight)
    with torch.no_grad():
        bow.weight.weight[0] = 0.0
    ids, lengths = st.pad_batch([[2, 3, 4], [4, 2, 3], [2, 3, 4, 4]])
    ids = ids.T                                        # batch first
    logits = bow(ids, lengths)
    assert torch.allclose(logits[0], logits[1])
    assert not torch.allclose(logits[0], logits[2])       # a bag counts repeats
    wider = torch.nn.functional.pad(ids, (0, 5))
    assert torch.allclose(bow(wider, lengths), logits)


def test_negation_pairs_have_equal_bags_and_opposite_labels():
    sentences, labels = st.negation_pairs(("good",), ("bad",), np.random.default_rng(0), 12)
    assert len(sentences) == 24 and labels.tolist() == [1, 0] * 12
    for pos, neg in zip(sentences[::2], sentences[1::2]):
        assert sorted(st.tokenize(pos)) == sorted(st.tokenize(neg)) and pos != neg


def test_bag_of_words_scores_exactly_half_of_negation_pairs():
    sentences, labels = st.negation_pairs(("good", "nice"), ("bad", "poor"), np.random.default_rng(1), 20)
    vocab = st.WordVocab.build([st.tokenize(s) for s in sentences])
    ids, lengths = st.encode_sentences(sentences, vocab)
    bow = st.BagOfWords(len(vocab))
    torch.nn.init.normal_(bow.weight.weight)
    assert st.accuracy(bow, ids, lengths, torch.as_tensor(labels)) == 0.5


def test_lstm_learns_a_tiny_order_task_that_bag_of_words_cannot():
    import rnnlib
    rng = rnnlib.seed_everything(0)
    sentences, labels = st.negation_pairs(("good", "great"), ("bad", "awful"), rng, 40)
    vocab = st.WordVocab.build([st.tokenize(s) for s in sentences])
    ids, lengths = st.encode_sentences(sentences, vocab)
    y = torch.as_tensor(labels)
    model = st.RNNClassifier(8, 16, vocab_size=len(vocab))
    rnnlib.fit(model, st.binary_loss, st.minibatches(ids, lengths, y, 16, rng), steps=150, lr=1e-2, progress=False)
    assert st.accuracy(model, ids, lengths, y) > 0.95
