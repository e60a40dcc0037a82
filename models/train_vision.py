"""Train chapter 12's two captioners and ship their weights.

    python models/train_vision.py            # writes models/vision_attention.pt and models/vision_plain.pt
    python models/train_vision.py --seed 1 --out-dir /tmp/vision_1     # another seed

Both read the same fixed training scenes (rnnlib.apps.vision.prepare: scenes of two
handwritten digits from scikit-learn's load_digits, the held-out compositions never among
them) and train for the same number of steps with the same batches: an LSTM decoder
started from a small CNN's 6x6 feature grid (Show and Tell), and the same with additive
attention over the grid (Show, Attend and Tell), the attention-free one widened to the
same parameter count. A fixed seed makes a re-run reproduce the files on the same machine
and torch version. Training takes several minutes of one CPU core, longer than a chapter may
spend, so chapter 12 trains briefly to show the curve and evaluates these weights;
tests/test_vision.py checks that they load and give the numbers the chapter claims.
Each file holds "config", "attention", "loss" (per step) and "state_dict" (float16).
"""
import argparse
from pathlib import Path

from rnnlib.apps import captioner, vision


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["attention", "plain"], default=None)
    parser.add_argument("--out-dir", type=Path, default=None, help="output folder (default: models/)")
    args = parser.parse_args()
    if args.out_dir is None and args.seed != 0:
        parser.error("other seeds must not overwrite the shipped weights: give --out-dir")
    out_dir = args.out_dir or captioner.MODELS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    data = vision.prepare()
    for name in ("attention", "plain"):
        if args.only not in (None, name):
            continue
        model, history = captioner.train(name == "attention", args.seed, data=data, progress=False)
        captioner.save(out_dir / f"vision_{name}.pt", model, history, name == "attention")
        print(f"{name}: seed {args.seed}, {len(history.train['loss'])} steps, {history.seconds:.0f} s, "
              f"final loss {sum(history.train['loss'][-50:]) / 50:.3f}", flush=True)


if __name__ == "__main__":
    main()
