#!/usr/bin/env python3
"""Writes N distinct 1024x768 JPEG photos-like images (smooth gradients plus noise and shapes,
quality 90, as a camera would make them smaller) into a folder tree, for measuring
`clip index` throughput against the model's own batch rate (Scripts/bench_index.sh).

    python3 Scripts/make_index_benchmark_images.py /work/scratch/index-bench 640

Pillow and numpy only; a fixed seed, so the same N gives the same files. Never committed.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_index_benchmark_images.py OUTPUT_DIR COUNT")
    out, count = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(2026)
    ys, xs = np.mgrid[0:768, 0:1024].astype(np.float32)
    for i in range(count):
        folder = os.path.join(out, f"album-{i // 100:03d}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"img-{i:05d}.jpg")
        if os.path.exists(path):
            continue
        a, b, c = rng.uniform(0, 255, 3), rng.uniform(-0.2, 0.2, 3), rng.uniform(-0.2, 0.2, 3)
        base = a[None, None, :] + xs[..., None] * b[None, None, :] + ys[..., None] * c[None, None, :]
        noise = rng.normal(0, 12, (768, 1024, 3))
        image = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x0, y0 = rng.integers(0, 900), rng.integers(0, 650)
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            draw.ellipse([x0, y0, x0 + rng.integers(20, 300), y0 + rng.integers(20, 300)], fill=colour)
        image.save(path, quality=90)
    print(f"{count} images in {out}")


if __name__ == "__main__":
    main()
