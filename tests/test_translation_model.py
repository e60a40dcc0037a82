"""The shipped English-French weights (models/train_translation.py, rnnlib.apps.translation) load,
match the split and the record models/translation_seeds.json keeps of their training, and give the
held-out BLEU chapter 08 claims."""
import json

import pytest

from rnnlib.apps import translation
from rnnlib.apps.translation import MODELS_DIR as MODELS

# what models/train_translation.py printed for the shipped files (seed 0), and the floors chapter 08 asserts
BLEU = {"attention": 27.06, "plain": 10.39, "plain_matched": 12.78}
BLEU_FLOORS = {"attention": 20.0, "plain": 5.0, "plain_matched": 8.0}


@pytest.fixture(scope="module")
def shipped():
    (_, _, test_pairs), vocabs = translation.prepare()
    models = {name: translation.load_shipped(name) for name in translation.SHIPPED}
    return test_pairs, vocabs, models


def test_shipped_files_are_small():
    for name in translation.SHIPPED:
        assert (MODELS / f"translation_{name}.pt").stat().st_size < 2_000_000


def test_shipped_vocabularies_and_configs_are_the_ones_the_split_builds(shipped):
    _, (src_vocab, tgt_vocab), models = shipped
    for name, (model, (src, tgt), ckpt) in models.items():
        assert src.itos == src_vocab.itos and tgt.itos == tgt_vocab.itos
        assert ckpt["config"] == translation.CONFIG and ckpt["name"] == name


def test_the_matched_model_has_the_attention_models_parameter_count(shipped):
    count = {name: sum(p.numel() for p in m.parameters()) for name, (m, _, _) in shipped[2].items()}
    assert abs(count["plain_matched"] - count["attention"]) / count["attention"] < 0.01, count
    assert count["plain"] < 0.7 * count["attention"], count


def test_shipped_models_give_the_recorded_and_claimed_test_bleu(shipped):
    test_pairs, _, models = shipped
    bleu = {name: translation.evaluate_bleu(model, test_pairs, *vocabs) for name, (model, vocabs, _) in models.items()}
    record = {r["model"]: r for r in json.loads((MODELS / "translation_seeds.json").read_text()) if r["seed"] == 0}
    for name in translation.SHIPPED:
        assert bleu[name] == pytest.approx(BLEU[name], abs=0.5), bleu
        assert record[name]["test_bleu"] == pytest.approx(bleu[name], abs=0.01), (record[name], bleu[name])
        assert bleu[name] > BLEU_FLOORS[name], bleu


def test_load_shipped_names_the_models_it_knows():
    with pytest.raises(ValueError, match="attention"):
        translation.load_shipped("transformer")
