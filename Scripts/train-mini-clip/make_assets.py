"""Renders the committed images: the zero-shot test set and the example images.

    python Scripts/train-mini-clip/make_assets.py

Test set (Tests/CLIPTests/Fixtures/mini-clip-testset/): 300 single-object 64x64 PNGs from
render.TEST_SEED, a seed never used in training: every held-out color x shape pair 20 times
(200 images) and 100 images of pairs seen in training; backgrounds drawn as in training
(plain 35%, gradient 35%, noise 30%). labels.json lists file, color, shape, held_out, size and
background. Examples (Examples/images/): a dozen 128x128 single-object renders from
render.EXAMPLE_SEED, PNG and JPEG, named color-shape.ext, including held-out pairs.
Deterministic: rerunning rewrites identical files (Pillow 13.0.0, numpy 2.4.6).
"""

from __future__ import annotations

import argparse
import json
import os

from PIL import Image

import render as R
from common import IMAGE_SIZE, check_versions

TEST_PER_HELD_OUT_PAIR = 20
TEST_SEEN = 100

EXAMPLES = [  # (color, shape, background, format)
    ("red", "star", "plain", "png"),
    ("green", "triangle", "gradient", "jpg"),
    ("blue", "heart", "noise", "png"),
    ("yellow", "circle", "gradient", "jpg"),
    ("purple", "ring", "plain", "png"),
    ("white", "diamond", "gradient", "png"),
    ("blue", "circle", "gradient", "png"),
    ("orange", "star", "noise", "jpg"),
    ("green", "square", "plain", "png"),
    ("black", "cross", "gradient", "jpg"),
    ("pink", "heart", "plain", "png"),
    ("gray", "triangle", "noise", "jpg"),
]
EXAMPLE_SIZE = 128


def test_set(out: str):
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".png"):
            os.remove(os.path.join(out, name))
    plan = [(c, s, True) for c, s in R.HELD_OUT_PAIRS for _ in range(TEST_PER_HELD_OUT_PAIR)]
    plan += [(None, None, False)] * TEST_SEEN
    labels = []
    for k, (c, s, held) in enumerate(plan):
        smp = R.render_sample(R.TEST_SEED, k, IMAGE_SIZE, exclude_held_out=not held, jpeg_probability=0.0,
                              force_pair=(c, s) if held else None, two_objects=False)
        o = smp.objects[0]
        assert ((o.color, o.shape) in R.HELD_OUT_SET) == held
        name = f"{k:03d}-{R.COLORS[o.color]}-{R.SHAPES[o.shape]}.png"
        Image.fromarray(smp.image).save(os.path.join(out, name), format="PNG", optimize=True)
        labels.append({"file": name, "color": R.COLORS[o.color], "shape": R.SHAPES[o.shape], "held_out": held,
                       "size": R.SIZES[o.size], "background": smp.background})
    meta = {
        "generator": "Scripts/train-mini-clip/make_assets.py",
        "seed": R.TEST_SEED,
        "image_size": IMAGE_SIZE,
        "held_out_pairs": [f"{c} {s}" for c, s in R.HELD_OUT_PAIRS],
        "images": labels,
    }
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return len(labels)


def examples(out: str):
    os.makedirs(out, exist_ok=True)
    written = []
    for k, (c, s, bg, fmt) in enumerate(EXAMPLES):
        j = 0
        while True:  # the first render of this pair that is not "small", so the example is clear
            smp = R.render_sample(R.EXAMPLE_SEED, 1000 * k + j, EXAMPLE_SIZE, exclude_held_out=False,
                                  jpeg_probability=0.0, force_pair=(c, s), two_objects=False, background=bg)
            if smp.objects[0].size > 0:
                break
            j += 1
        name = f"{c}-{s}.{fmt}"
        img = Image.fromarray(smp.image)
        if fmt == "png":
            img.save(os.path.join(out, name), format="PNG", optimize=True)
        else:
            img.save(os.path.join(out, name), format="JPEG", quality=90)
        written.append(name)
    return written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--testset", default="Tests/CLIPTests/Fixtures/mini-clip-testset")
    ap.add_argument("--examples", default="Examples/images")
    args = ap.parse_args()
    check_versions()
    print("test images:", test_set(args.testset))
    print("examples:", ", ".join(examples(args.examples)))


if __name__ == "__main__":
    main()
