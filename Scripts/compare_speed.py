#!/usr/bin/env python3
"""Puts swift-clip's `clip bench` next to transformers (Scripts/time_transformers_clip.py) on the
same checkpoint, alternating the two for a few rounds, and prints the ratios swift-clip ÷ PyTorch
(below 1 means swift-clip is faster; for memory, smaller). Not run by CI.

Usage: python3 Scripts/compare_speed.py CHECKPOINT_DIR [--rounds 3] [--batch 32] [--repeat 5]
                                        [--threads 2] [--clip .build/release/clip]

Build first: swift build -c release --product clip. Timings on a busy machine are meaningless;
alternating rounds and taking medians only softens slow drifts.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def last_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clip", default=str(HERE.parent / ".build/release/clip"))
    args = parser.parse_args()
    common = ["--batch", str(args.batch), "--repeat", str(args.repeat)]
    ours, theirs = [], []
    for round_ in range(args.rounds):
        ours.append(last_json([args.clip, "bench", "--model", args.checkpoint, "--threads", str(args.threads)] + common))
        theirs.append(last_json([sys.executable, str(HERE / "time_transformers_clip.py"), args.checkpoint,
                                 "--threads", str(args.threads)] + common))
        print(f"round {round_ + 1}: swift-clip {json.dumps(ours[-1], sort_keys=True)}", file=sys.stderr)
        print(f"round {round_ + 1}: pytorch    {json.dumps(theirs[-1], sort_keys=True)}", file=sys.stderr)

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    rows = [("model opening (s)", "load_s", "load_s"),
            ("image, batch 1 (ms)", "image_b1_ms", "image_b1_ms"),
            (f"image, batch {args.batch}, per image (ms)", "image_ms_per_image", "image_ms_per_image"),
            ("8 prompts, padded to the longest (ms)", "text8_ms", "text8_ms"),
            ("8 prompts vs PyTorch padded to 77 (ms)", "text8_ms", "text8_77_ms"),
            ("peak RSS, one image + 8 prompts (MB)", "peak_rss_mb", "peak_rss_mb")]
    print(f"{'':44} {'swift-clip':>11} {'PyTorch':>11} {'ratio':>7}")
    for label, our_key, their_key in rows:
        a, b = median(ours, our_key), median(theirs, their_key)
        print(f"{label:44} {a:11.3f} {b:11.3f} {a / b:7.2f}")
    print(json.dumps({"blas_core": ours[-1].get("blas_core"), "rounds": args.rounds, "batch": args.batch,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
