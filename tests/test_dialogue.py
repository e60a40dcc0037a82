"""Chapter 14's dialogue module and the sampling decoder it added to rnnlib.seq2seq."""
import numpy as np
import pytest
import torch

from rnnlib import seq2seq
from rnnlib.apps import dialogue as dl
from rnnlib.text import tokenize


@pytest.fixture(scope="module")
def pairs():
    return dl.adjacent_pairs(dl.load_conversations())


def test_corpus_has_its_topics_and_pairs(pairs):
    counts = dl.topic_counts(pairs)
    assert len(counts) == 21 and sum(counts.values()) == len(pairs)
    assert 2000 < len(pairs) < 3000
    assert next(iter(counts)) == "tech_support"          # the largest topic
    assert all(isinstance(p, str) and isinstance(r, str) and p and r for _, p, r in pairs)


def test_split_keeps_each_prompt_in_one_part(pairs):
    train, val, test = dl.split_by_prompt(pairs, 200, 300, np.random.default_rng(0))
    assert len(train) + len(val) + len(test) == len(pairs)
    assert len(test) >= 300 and len(val) >= 200
    keys = [{dl.prompt_key(p) for _, p, _ in part} for part in (train, val, test)]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]
    again = dl.split_by_prompt(pairs, 200, 300, np.random.default_rng(0))
    assert again == (train, val, test)
    with pytest.raises(ValueError, match="no training pairs"):
        dl.split_by_prompt(pairs, len(pairs), 1, np.random.default_rng(0))


def test_distinct_n_and_frequent_share_by_hand():
    replies = [["i", "do", "not", "know"], ["i", "do", "not", "know"], ["yes"], ["i", "like", "it"]]
    # unigrams: 4 + 4 + 1 + 3 = 12, distinct {i, do, not, know, yes, like, it} = 7
    assert dl.distinct_n(replies, 1) == pytest.approx(7 / 12)
    # bigrams: 3 + 3 + 0 + 2 = 8, distinct {i do, do not, not know, i like, like it} = 5
    assert dl.distinct_n(replies, 2) == pytest.approx(5 / 8)
    assert dl.frequent_reply_share(replies, k=1) == pytest.approx(2 / 4)
    assert dl.frequent_reply_share(replies, k=5) == 1.0
    assert np.isnan(dl.distinct_n([["a"]], 2))
    with pytest.raises(ValueError):
        dl.distinct_n(replies, 0)


def test_retrieval_answers_a_training_prompt_with_its_reply():
    prompts = ["what is your name", "do you like music", "how old are you"]
    replies = ["i am a bot", "i love jazz", "quite young"]
    r = dl.TfidfRetriever().fit(prompts, replies)
    assert r.reply(prompts) == replies
    assert r.reply(["tell me, what music do you like?"]) == ["i love jazz"]
    with pytest.raises(ValueError, match="as many replies"):
        dl.TfidfRetriever().fit(prompts, replies[:2])


def test_mmi_rerank_prefers_specific_replies():
    logp = np.array([-2.0, -3.0, -4.0])      # log p(r | prompt): the first is likeliest
    prior = np.array([-2.5, -9.0, -6.0])     # log p(r): the first is generic
    assert dl.mmi_rerank(logp, prior, 0.0) == 0
    assert dl.mmi_rerank(logp, prior, 0.5) == 1   # -0.75, 1.5, -1.0
    with pytest.raises(ValueError, match="one shape"):
        dl.mmi_rerank(logp, prior[:2], 0.5)


def test_transcript_format(pairs):
    text = dl.transcript(pairs[:2])
    assert text == f"User: {pairs[0][1]}\nBot: {pairs[0][2]}\n\nUser: {pairs[1][1]}\nBot: {pairs[1][2]}\n\n"
    shuffled = dl.transcript(pairs[:50], np.random.default_rng(0))
    assert sorted(shuffled.split("\n\n")) == sorted(dl.transcript(pairs[:50]).split("\n\n"))


def _tiny_model():
    torch.manual_seed(0)
    return seq2seq.make_model(12, 12, 8, 16, "gru", "additive", seed=0).eval()


def test_sample_decode_is_repeatable_and_cold_temperature_is_greedy():
    model = _tiny_model()
    src, lengths = seq2seq.make_batch([([4, 5, 6], [7]), ([8, 9], [7])])[:2]
    greedy, _ = seq2seq.greedy_decode(model, src, lengths, max_len=8)
    cold = seq2seq.sample_decode(model, src, lengths, 1e-4, torch.Generator().manual_seed(0), max_len=8)
    assert cold == greedy
    a = seq2seq.sample_decode(model, src, lengths, 1.0, torch.Generator().manual_seed(1), max_len=8)
    b = seq2seq.sample_decode(model, src, lengths, 1.0, torch.Generator().manual_seed(1), max_len=8)
    assert a == b
    hot = [seq2seq.sample_decode(model, src, lengths, 5.0, torch.Generator().manual_seed(s), max_len=8)
           for s in range(5)]
    assert any(h != greedy for h in hot)      # an untrained model's flat distribution: draws differ
    for bad in (0, -1.0, True):
        with pytest.raises(ValueError, match="temperature"):
            seq2seq.sample_decode(model, src, lengths, bad)


def test_generate_and_perplexity_on_an_untrained_model(pairs):
    few = dl.short_pairs(pairs[:60])
    vocab = dl.build_vocab(few, dict(dl.CONFIG, min_freq=1))
    model = dl.build_model(len(vocab))
    ids = dl.encode_pairs(few, vocab)
    ppl = dl.perplexity(model, ids)
    assert len(vocab) * 0.5 < ppl < len(vocab) * 2     # untrained: near uniform over the vocabulary
    prompts = [p for _, p, _ in few[:3]]
    for decoder in ("greedy", "beam", "sample"):
        out = dl.generate(model, vocab, prompts, decoder, max_len=5, generator=torch.Generator().manual_seed(0))
        assert len(out) == 3 and all(isinstance(t, str) for r in out for t in r) and all(len(r) <= 5 for r in out)
    with pytest.raises(ValueError, match="decoder"):
        dl.generate(model, vocab, prompts, "nucleus")
    lp = dl.mean_log_prob(model, vocab, prompts, [tokenize(r) for _, _, r in few[:3]])
    assert lp < 0


def test_mean_log_prob_in_batches_equals_one_pair_at_a_time(pairs):
    few = dl.short_pairs(pairs[:40])
    vocab = dl.build_vocab(few, dict(dl.CONFIG, min_freq=1))
    model = dl.build_model(len(vocab)).eval()
    prompts, replies = [p for _, p, _ in few], [tokenize(r) for _, _, r in few]
    one_by_one = [seq2seq.sequence_log_prob(model, torch.tensor(vocab.encode(tokenize(p), add_eos=False)),
                                            vocab.encode(r, add_eos=False)) / (len(r) + 1)
                  for p, r in zip(prompts, replies)]
    assert dl.mean_log_prob(model, vocab, prompts, replies) == pytest.approx(np.mean(one_by_one), rel=1e-5)
