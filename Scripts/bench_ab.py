#!/usr/bin/env python3
"""Compares two `clip` binaries' speed in one run: `clip bench` alternated between them, round by
round, for each precision, and the median of each timing with the ratio B / A.

Usage: python3 Scripts/bench_ab.py OLD-CLIP NEW-CLIP --model DIR [--rounds 5] [--batch 8]
                                   [--precisions f32,bf16,int8] [--threads 2]

Alternating keeps slow drifts of the machine (frequency, other load) out of the ratio. Prints one
line per precision and timing: median A, median B, B/A. Exit status 1 when any B/A is above
--limit (default 1.05).
"""
import argparse
import json
import statistics
import subprocess
import sys

FIELDS = ["load_s", "image_b1_ms", "image_ms_per_image", "text8_ms"]


def bench(binary, args, precision):
    command = [binary, "bench", "--model", args.model, "--precision", precision,
               "--threads", str(args.threads), "--batch", str(args.batch)]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--model", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precisions", default="f32,bf16,int8")
    parser.add_argument("--limit", type=float, default=1.05)
    args = parser.parse_args()
    worst = 0.0
    for precision in args.precisions.split(","):
        runs = {"A": [], "B": []}
        for round_ in range(args.rounds):
            order = [("A", args.old), ("B", args.new)] if round_ % 2 == 0 else [("B", args.new), ("A", args.old)]
            for label, binary in order:
                runs[label].append(bench(binary, args, precision))
        isa = runs["B"][-1].get("isa", "?")
        for field in FIELDS:
            a = statistics.median(r[field] for r in runs["A"])
            b = statistics.median(r[field] for r in runs["B"])
            ratio = b / a if a else float("nan")
            if field != "load_s":
                worst = max(worst, ratio)
            print(f"{precision:5} {field:20} A {a:10.3f}  B {b:10.3f}  B/A {ratio:.3f}  ({isa})")
    print(f"worst B/A of the compute timings: {worst:.3f}")
    sys.exit(0 if worst <= args.limit else 1)


if __name__ == "__main__":
    main()
