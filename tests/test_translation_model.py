"""The shipped English-French weights (models/train_translation.py, rnnlib.apps.translation) load
and give the held-out BLEU chapter 08 claims."""
import pytest

from rnnlib.apps import translation
from rnnlib.apps.translation import MODELS_DIR as MODELS
BLEU_MIN, BLEU_MARGIN_MIN = 15.0, 2.0       # the floors chapter 08 asserts
BLEU_ATTENTION, BLEU_PLAIN = 18.91, 12.81   # what models/train_translation.py printed


@pytest.fixture(scope="module")
def shipped():
    (_, _, test_pairs), vocabs = translation.prepare()
    models = {name: translation.load_shipped(name) for name in ("attention", "plain")}
    return translation, test_pairs, vocabs, models


def test_shipped_files_are_small():
    for name in ("attention", "plain"):
        assert (MODELS / f"translation_{name}.pt").stat().st_size < 2_000_000


def test_shipped_vocabularies_are_the_ones_the_split_builds(shipped):
    _, _, (src_vocab, tgt_vocab), models = shipped
    for model, (src, tgt), ckpt in models.values():
        assert src.itos == src_vocab.itos and tgt.itos == tgt_vocab.itos
        assert ckpt["config"] == shipped[0].CONFIG


def test_attention_model_beats_the_plain_one_on_held_out_bleu(shipped):
    tt, test_pairs, _, models = shipped
    bleu = {name: tt.evaluate_bleu(model, test_pairs, *vocabs) for name, (model, vocabs, _) in models.items()}
    # the thresholds chapter 08 asserts, and the values it reports (to a rounding margin)
    assert bleu["attention"] > BLEU_MIN, bleu
    assert bleu["attention"] - bleu["plain"] > BLEU_MARGIN_MIN, bleu
    assert bleu["attention"] == pytest.approx(BLEU_ATTENTION, abs=0.5), bleu
    assert bleu["plain"] == pytest.approx(BLEU_PLAIN, abs=0.5), bleu



def test_load_shipped_names_the_models_it_knows():
    with pytest.raises(ValueError, match="attention"):
        translation.load_shipped("transformer")
