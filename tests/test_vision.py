"""Tests for chapter 12: the digit scenes and their captions (rnnlib.apps.vision), the
captioners and their shipped weights (rnnlib.apps.captioner, models/train_vision.py), and
the clips, DTW and 1-NN of rnnlib.apps.video."""
import numpy as np
import pytest
import torch

from rnnlib.apps import captioner, video, vision


@pytest.fixture(scope="module")
def data():
    return vision.prepare()


def test_compositions_split_holds_out_whole_compositions():
    train, val, test = vision.split_compositions(np.random.default_rng(0))
    assert len(train) + len(val) + len(test) == 90
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    train_pairs = {p for p, _ in train}
    assert all(p in train_pairs for p, _ in val + test)      # the pair is seen, in the other relation


def test_prepare_is_fixed_and_test_scenes_are_unseen(data):
    again = vision.prepare()
    np.testing.assert_array_equal(data["test"][0], again["test"][0])
    assert set(map(tuple, [(c[0][0], c[1][0], c[2]) for c in data["test"][1]])).isdisjoint(
        {(c[0][0], c[1][0], c[2]) for c in data["train"][1]})
    pools = data["pools"]
    assert not set(pools["train"]) & set(pools["test"]) and not set(pools["val"]) & set(pools["test"])


def test_captions_parse_back_to_their_content(data):
    for content in data["train"][1][:200]:
        refs = vision.captions(content)
        assert len(refs) == 4
        assert all(vision.content_correct(r, content) for r in refs)
    content = data["train"][1][0]
    wrong = list(vision.captions(content)[0])
    wrong[2] = "zero" if wrong[2] != "zero" else "one"
    assert not vision.content_correct(wrong, content)
    assert vision.parse_caption(["a", "small"]) is None


def test_caption_bleu_is_100_for_a_reference_and_less_for_a_wrong_digit(data):
    contents = data["val"][1][:20]
    refs = [vision.captions(c) for c in contents]
    assert vision.caption_bleu([r[1] for r in refs], refs).score == pytest.approx(100)
    wrong = [["a", "small", "zero"] + r[0][3:] for r in refs]
    assert vision.caption_bleu(wrong, refs).score < 90
    with pytest.raises(ValueError, match="one list of references"):
        vision.caption_bleu(wrong, refs[:3])


def test_captioner_decodes_with_rnnlib_decoding_and_checks_shapes(data):
    vocab = vision.build_vocab()
    model = captioner.make_captioner(len(vocab), True, 16)
    images = data["val"][0][:3]
    (tokens, weights) = captioner.caption_images(model, images, max_len=5)
    assert len(tokens) == 3 and weights[0].shape == (len(tokens[0]), 36)
    np.testing.assert_allclose(weights[0].sum(1), 1, atol=1e-5)
    beam, _ = captioner.caption_images(model, images, beam_width=1, max_len=5)
    assert beam == tokens                       # beam width 1 is greedy decoding
    with pytest.raises(ValueError, match="images"):
        model.use_images(np.zeros((2, 24, 24), np.float32))


@pytest.mark.parametrize("name", ["attention", "plain"])
def test_shipped_captioners_load_and_caption_held_out_compositions(data, name):
    model, loss = captioner.load(name)
    assert model.decoder.attention is not None if name == "attention" else model.decoder.attention is None
    tokens, _ = captioner.caption_images(model, data["test"][0])
    vocab = vision.build_vocab()
    acc = np.mean([vision.content_correct(vocab.decode(t), c) for t, c in zip(tokens, data["test"][1])])
    assert acc > 0.25, f"{name}: content accuracy {acc}"


def test_clips_reversed_are_the_opposite_action():
    images, _ = vision.load_digit_images()
    clips, labels = video.make_clips(8, images, np.arange(100), np.random.default_rng(0))
    back, back_labels = video.reverse_clips(clips, labels)
    np.testing.assert_array_equal(back[:, 0], clips[:, -1])
    assert all(video.ACTIONS[b] != video.ACTIONS[a] for a, b in zip(labels, back_labels))
    blind = video.ClipClassifier(ordered=False)
    with torch.no_grad():
        a, b = blind(torch.from_numpy(clips)), blind(torch.from_numpy(back))
    torch.testing.assert_close(a, b)            # the order-blind model cannot tell them apart


def test_dtw_against_a_direct_recursion_and_euclid():
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((3, 2, 9)), rng.standard_normal((4, 2, 9))
    for w in (None, 0, 2):
        got = video.dtw_distances(A, B, w)
        for i in range(3):
            for j in range(4):
                D = np.full((10, 10), np.inf)
                D[0, 0] = 0
                for p in range(1, 10):
                    for q in range(1, 10):
                        if w is None or abs(p - q) <= w:
                            d = ((A[i, :, p - 1] - B[j, :, q - 1]) ** 2).sum()
                            D[p, q] = d + min(D[p - 1, q], D[p, q - 1], D[p - 1, q - 1])
                assert got[i, j] == pytest.approx(np.sqrt(D[9, 9]))
    np.testing.assert_allclose(video.dtw_distances(A, B, 0),
                               np.sqrt(((A[:, None] - B[None]) ** 2).sum((2, 3))))
    with pytest.raises(ValueError, match="window"):
        video.dtw_distances(A, B, -1)


def test_gunpoint_one_nn_euclidean_matches_the_published_error():
    Xtr, ytr, classes = video.load_ts("GunPoint_TRAIN.ts")
    Xte, yte, _ = video.load_ts("GunPoint_TEST.ts")
    assert Xtr.shape == (50, 1, 150) and Xte.shape == (150, 1, 150) and classes == ["1", "2"]
    err = 1 - np.mean(video.one_nn(video.dtw_distances(Xte, Xtr, 0), ytr) == yte)
    assert err == pytest.approx(0.087, abs=0.001)   # the UCR archive's published 1-NN Euclidean error
