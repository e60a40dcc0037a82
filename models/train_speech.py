"""Train chapter 11's CTC acoustic model on connected spoken digits and ship its weights.

    python models/train_speech.py                     # writes models/speech_ctc.pt
    python models/train_speech.py --seed 1 --out /tmp/speech_ctc_1.pt   # another seed

A 2-layer bidirectional GRU (hidden 96) over stacked log-mel frames, trained with
torch.nn.CTCLoss on freshly generated utterances of 2-7 digits joined from the Free Spoken
Digit Dataset's training recordings (five speakers, takes 10-49; rnnlib.apps.speech.splits),
for a fixed number of steps from a fixed seed, so running it again reproduces the file on the
same machine and torch version. It takes about 10 minutes of one CPU core, longer than a
chapter may spend, so chapter 11 trains briefly to show the curve and then evaluates these
weights; tests/test_speech.py checks that they give the digit error rates the chapter claims.
The file holds "config" (rnnlib.apps.speech.CONFIG), "state_dict" (float16), "loss" (per step)
and "val" (greedy digit error rate on the validation utterances every 250 steps).
Derived from FSDD recordings, the weights are shared under CC BY-SA 4.0 like their source.
"""
import argparse
from pathlib import Path

from rnnlib.apps import speech


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=speech.CONFIG["steps"])
    parser.add_argument("--out", type=Path, default=None, help="output file (default: the shipped one)")
    args = parser.parse_args()
    if args.out is None:
        if args.seed != 0 or args.steps != speech.CONFIG["steps"]:
            parser.error("other seeds or budgets must not overwrite the shipped weights: give --out")
        args.out = speech.SHIPPED
    config = {**speech.CONFIG, "steps": args.steps}
    model, history = speech.train(args.seed, args.steps, config, progress=False, eval_every=250)
    speech.save(args.out, model, history, config)
    val = ", ".join(f"{s}: {d:.3f}" for s, d in zip(history.val["step"], history.val["der"]))
    print(f"seed {args.seed}, {args.steps} steps, {history.seconds:.0f} s, validation DER by step [{val}]", flush=True)


if __name__ == "__main__":
    main()
