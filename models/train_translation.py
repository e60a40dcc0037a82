"""Train the English-French models chapter 08 compares, ship their weights, and record how
their test BLEU varies with the training seed.

    python models/train_translation.py                 # seed 0: writes models/translation_<name>.pt
    python models/train_translation.py --seeds 1 2     # other seeds: scores only, no files written

The three models (rnnlib.apps.translation.SHIPPED) are word-level GRU encoder-decoders from
rnnlib.seq2seq with a bidirectional encoder: with additive attention (hidden 64), without
attention at the same hidden size (fewer parameters), and without attention at a matched
parameter count (hidden 128). Each trains on the same split of the 5,000 shipped Tatoeba pairs
(tatoeba.org, CC-BY 2.0 FR; split by English sentence) for the same budget, and keeps the
weights of its best validation BLEU. Training takes several minutes of CPU per model, longer
than a notebook may spend, so chapter 08 trains briefly to show the curve and then loads the
seed-0 files; tests/test_translation_model.py checks that they give the BLEU the chapter
claims. Running this script again reproduces them (on the same machine and torch version).

Every run, shipped or not, adds its line to models/translation_seeds.json (model, seed, best
validation step and BLEU, test BLEU with sacrebleu's signature, parameter count); chapter 08
reads that file for the spread over seeds. Each .pt file holds: "name", "config"
(rnnlib.apps.translation.CONFIG), "src_itos" / "tgt_itos" (the vocabularies, special tokens
first), "state_dict" (float16, to keep the files small; loading casts them to float32) and
"history" (training loss per step, validation BLEU per evaluation).
"""
import argparse
import json
import tempfile
from pathlib import Path

import rnnlib
from rnnlib.apps.translation import CONFIG, SHIPPED, evaluate_bleu, load, save, train

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "translation_seeds.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", choices=list(SHIPPED), nargs="+", default=list(SHIPPED))
    args = parser.parse_args()
    for seed in args.seeds:
        for name in args.only:
            rnnlib.seed_everything(seed)
            model, history, vocabs, splits = train(name, seed, CONFIG)
            # score the weights as shipped: rounded to float16 and loaded back
            path = HERE / f"translation_{name}.pt" if seed == 0 else Path(tempfile.mkdtemp()) / "model.pt"
            save(path, name, model, history, vocabs, CONFIG)
            model, vocabs, _ = load(path)
            test_bleu, signature = evaluate_bleu(model, splits[2], *vocabs, signature=True)
            best = max(range(len(history.val["bleu"])), key=lambda i: history.val["bleu"][i])
            row = dict(model=name, seed=seed, steps=CONFIG["steps"], best_step=history.val["step"][best],
                       val_bleu=round(history.val["bleu"][best], 2), test_bleu=round(test_bleu, 2),
                       parameters=sum(p.numel() for p in model.parameters()), signature=signature)
            print(json.dumps(row), flush=True)
            results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []   # re-read: runs may overlap
            results = [r for r in results if (r["model"], r["seed"]) != (name, seed)] + [row]
            RESULTS.write_text(json.dumps(sorted(results, key=lambda r: (r["model"], r["seed"])), indent=1) + "\n")


if __name__ == "__main__":
    main()
