#!/usr/bin/env python3
"""Checks which order Pillow runs its two resampling passes in, the rule Resampler reproduces.

Pillow resizes with a horizontal and a vertical pass through an 8-bit intermediate image, so the
order changes the rounding. Pillow 13 (python-pillow/Pillow#9549) runs the vertical pass first in
some cases; this script finds the order Pillow used for random sizes by comparing Image.resize
with an emulation of both orders, and checks the rule

    vertical first  <=>  out_h < in_h  and  in_h - out_h > 2 * (in_w - out_w)

(both passes needed). Pinned: pillow 13.0.0, numpy 2.4.6. Takes about a minute:

    python3 Scripts/check_resize_pass_order.py [TRIALS]
"""
import random
import sys

import numpy as np
import PIL
from PIL import Image

assert PIL.__version__ == "13.0.0", PIL.__version__
PRECISION = 22


def cubic(x):
    a = -0.5
    x = np.abs(x)
    return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1, np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def taps(size_in, size_out):
    """Fixed-point bicubic taps per output position: (first input index, int64 weights)."""
    scale = size_in / size_out
    filter_scale = max(scale, 1.0)
    support = 2.0 * filter_scale
    result = []
    for out in range(size_out):
        center = (out + 0.5) * scale
        first = max(int(center - support + 0.5), 0)
        count = min(int(center + support + 0.5), size_in) - first
        w = cubic((np.arange(count) + first - center + 0.5) / filter_scale)
        w = w / w.sum()
        fixed = np.where(w < 0, (-0.5 + w * (1 << PRECISION)).astype(np.int64), (0.5 + w * (1 << PRECISION)).astype(np.int64))
        result.append((first, fixed))
    return result


def horizontal(image, width):
    out = np.empty((image.shape[0], width, image.shape[2]), np.uint8)
    for x, (first, w) in enumerate(taps(image.shape[1], width)):
        window = image[:, first:first + len(w), :].astype(np.int64)
        total = (1 << (PRECISION - 1)) + np.einsum("hkc,k->hc", window, w)
        out[:, x, :] = np.clip(total >> PRECISION, 0, 255)
    return out


def vertical(image, height):
    return horizontal(image.transpose(1, 0, 2), height).transpose(1, 0, 2)


def rule(w, h, out_w, out_h):
    return out_h < h and h - out_h > 2 * (w - out_w)


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = np.random.default_rng(1)
    random.seed(2)
    checked = mismatches = 0
    for _ in range(trials):
        w, h = random.randint(3, 300), random.randint(3, 300)
        out_h = random.randint(1, h + 50)
        near_boundary = w - (h - out_h) // 2 + random.choice((-1, 0, 1))
        for out_w in (near_boundary, random.randint(1, 400)):
            if out_w < 1 or out_w == w or out_h == h:
                continue
            source = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            pillow = np.asarray(Image.fromarray(source).resize((out_w, out_h), Image.Resampling.BICUBIC))
            h_first = np.array_equal(vertical(horizontal(source, out_w), out_h), pillow)
            v_first = np.array_equal(horizontal(vertical(source, out_h), out_w), pillow)
            if h_first == v_first:
                continue  # both (or neither) orders reproduce Pillow: no information
            checked += 1
            if v_first != rule(w, h, out_w, out_h):
                mismatches += 1
                print("rule fails for", (w, h), "->", (out_w, out_h), "vertical first" if v_first else "horizontal first")
    print(f"{checked} informative size pairs, {mismatches} disagree with the rule")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
