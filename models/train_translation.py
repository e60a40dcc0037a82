"""Train the two English-French models chapter 08 compares, and ship their weights.

    python models/train_translation.py            # writes models/translation_{attention,plain}.pt
    python models/train_translation.py --seed 1 --out /tmp   # the same with another seed

Both are word-level GRU encoder-decoders from rnnlib.seq2seq of the same size (a
bidirectional encoder; the decoder with additive attention, or without attention),
trained identically on the same split of the 5,000 shipped Tatoeba pairs
(tatoeba.org, CC-BY 2.0 FR) for a fixed number of steps from a fixed seed, so running
this script again reproduces the files (on the same machine and torch version). Training
takes a few minutes of CPU, longer than a notebook may spend, so chapter 08 trains
briefly to show the curve and then loads these weights; tests/test_translation_model.py
checks that the weights load and give the BLEU the chapter claims.

The training, loading and scoring code is rnnlib.apps.translation's (chapter 08 uses the same
functions); this script only runs it and writes the files. Each file holds: "config"
(rnnlib.apps.translation.CONFIG), "src_itos" / "tgt_itos" (the vocabularies, special tokens
first), "state_dict" (float16, to keep the files small; loading casts them to the model's
float32), and "history" (training loss per step, validation BLEU per evaluation).
"""
import argparse
from pathlib import Path

import rnnlib
from rnnlib.apps.translation import CONFIG, SHIPPED, evaluate_bleu, load, save, train

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=CONFIG["steps"])
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the .pt files (default: models/, only for the shipped settings)")
    parser.add_argument("--only", choices=list(SHIPPED), default=None)
    args = parser.parse_args()
    if args.out is None:
        if args.seed != 0 or args.steps != CONFIG["steps"]:
            parser.error("other seeds or budgets must not overwrite the shipped weights: give --out")
        args.out = HERE
    rnnlib.seed_everything(args.seed)
    config = {**CONFIG, "steps": args.steps}
    for name, attention in SHIPPED.items():
        if args.only and name != args.only:
            continue
        model, history, vocabs, splits = train(attention, args.seed, config)
        # score the weights as shipped: rounded to float16 and loaded back
        path = args.out / f"translation_{name}.pt"
        save(path, model, history, vocabs, config)
        model, vocabs, _ = load(path)
        bleu = evaluate_bleu(model, splits[2], *vocabs)
        val = ", ".join(f"{b:.1f}" for b in history.val["bleu"])
        print(f"{name}: seed {args.seed}, {config['steps']} steps, val BLEU [{val}], test BLEU {bleu:.2f}",
              flush=True)


if __name__ == "__main__":
    main()
