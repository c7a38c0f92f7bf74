#!/usr/bin/env python3
"""Checks `clip` against open_clip on a FULL-SIZE open_clip model with random weights.

Usage: python3 Scripts/check_openclip_model.py MODEL OUTPUT-DIR CLIP-BINARY [--seed N]
  e.g. python3 Scripts/check_openclip_model.py ViT-B-16-SigLIP /tmp/b16-siglip .build/release/clip

MODEL is a built-in open_clip model name (ViT-B-16-SigLIP, ViT-B-16-SigLIP2,
ViT-SO400M-14-SigLIP-384, PE-Core-B-16, ...). The script
  1. builds it with open_clip.create_model(MODEL, pretrained=None) at full size and replaces every
     parameter with seeded random values (make_openclip_timm_fixtures.randomize: LayerNorm weights
     1 + 0.2·noise, biases 0.1·noise, matrices std 1/sqrt(fan_in), embeddings std 0.5);
  2. writes OUTPUT-DIR/open_clip_config.json ({"model_cfg": the built-in config, unchanged,
     "preprocess_cfg": as open_clip's Hub export writes it}) and open_clip_model.safetensors (F32);
  3. computes encode_image on 2 random pixel tensors (OUTPUT-DIR/pixels.npy, [2, 3, S, S]) and
     encode_text on 2 random id sequences of the full context length (OUTPUT-DIR/ids.json; for a
     CLIP text tower each with a start and an end-of-text token, padded with 0);
  4. runs `CLIP-BINARY embed-image --model OUTPUT-DIR --pixel-values pixels.npy` and
     `CLIP-BINARY embed-text --model OUTPUT-DIR --token-ids ids.json` (one JSON array per row) and
     prints max |clip - open_clip| / max |open_clip| for image and text.
Exit status 0 and PASS if both are <= 1e-4; FAIL and status 1 otherwise (also when clip fails).

Memory: the model is held once in float32 by Python and once by clip (ViT-B-16-SigLIP: 0.8 GB
on disk, a few GB peak in all; PE-Core-B-16: 448 M parameters, 1.8 GB on disk, 3 GB peak in
Python). Pinned versions as make_openclip_timm_fixtures.py.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_openclip_timm_fixtures import check_versions, randomize, write_checkpoint  # noqa: E402
from make_openclip_native_fixtures import extended_randomize_rules  # noqa: E402

TOLERANCE = 1e-4


def run_clip(command, what):
    """Runs clip; returns its rows as a float64 array, or None after printing why it failed."""
    print(f"$ {' '.join(command)}", flush=True)
    start = time.time()
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        print(f"FAIL {what}: could not run clip: {error}")
        return None
    print(f"  ({time.time() - start:.1f} s, exit status {result.returncode})")
    if result.returncode != 0:
        tail = "\n".join(("  " + line) for line in result.stderr.strip().splitlines()[-15:])
        print(f"FAIL {what}: clip exited with status {result.returncode}:\n{tail}")
        return None
    try:
        rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        return np.array(rows, dtype=np.float64)
    except ValueError as error:
        print(f"FAIL {what}: clip's output is not one JSON array per line: {error}\n  {result.stdout[:300]!r}")
        return None


def compare(what, ours, reference):
    if ours is None:
        return False
    if ours.shape != reference.shape:
        print(f"FAIL {what}: clip gave shape {list(ours.shape)}, open_clip {list(reference.shape)}")
        return False
    error = float(np.abs(ours - reference).max() / np.abs(reference).max())
    verdict = "ok" if error <= TOLERANCE else "too large"
    print(f"{what}: max |clip - open_clip| / max |open_clip| = {error:.3e} ({verdict})")
    return error <= TOLERANCE


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="built-in open_clip model name, e.g. ViT-B-16-SigLIP")
    parser.add_argument("output", type=Path, help="folder to write the checkpoint and inputs to")
    parser.add_argument("clip", help="path of the clip binary")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    check_versions()
    import open_clip

    torch.manual_seed(0)
    start = time.time()
    model = open_clip.create_model(args.model, pretrained=None).eval()
    with extended_randomize_rules():  # native towers' class embeddings, CoCa's pooler and cls_emb
        randomize(model, seed=args.seed)
    with torch.no_grad():
        model.logit_scale.fill_(4.75)
        if getattr(model, "logit_bias", None) is not None:
            model.logit_bias.fill_(-12.5)
    state = write_checkpoint(model, args.model, args.output)
    print(f"{args.model}: {sum(v.numel() for v in state.values()) / 1e6:.1f} M parameters written to "
          f"{args.output} ({time.time() - start:.0f} s)", flush=True)
    del state

    size = model.visual.image_size
    size = size if isinstance(size, (tuple, list)) else (size, size)
    g = torch.Generator().manual_seed(args.seed + 1)
    pixels = torch.randn((2, 3, *size), generator=g, dtype=torch.float32)
    text_tower = getattr(model, "text", model)   # CustomTextCLIP / CoCa keep the text tower apart
    vocab_size, context_length = text_tower.vocab_size, text_tower.context_length
    ids = torch.randint(0, vocab_size, (2, context_length), generator=g)
    pool = getattr(text_tower, "pool_type", "argmax")
    if pool in ("argmax", "eos"):
        # A CLIP text tower pools at the end-of-text token: start, random ids below it, the
        # end-of-text id (the highest) at two different positions, padding with 0.
        eot = vocab_size - 1
        ids = torch.randint(1, eot - 1, (2, context_length), generator=g)
        ids[:, 0] = eot - 1
        for row, end in enumerate((context_length - 1, context_length // 2)):
            ids[row, end] = eot
            ids[row, end + 1:] = 0
    pixels_path, ids_path = args.output / "pixels.npy", args.output / "ids.json"
    np.save(pixels_path, pixels.numpy())
    ids_path.write_text(json.dumps(ids.tolist()) + "\n")
    with torch.no_grad():
        # (CoCa normalizes by default; the references are the raw embeddings.)
        image_ref = model.encode_image(pixels, normalize=False).double().numpy()
        text_ref = model.encode_text(ids, normalize=False).double().numpy()
    np.save(args.output / "reference-image.npy", image_ref.astype(np.float32))
    np.save(args.output / "reference-text.npy", text_ref.astype(np.float32))
    print(f"open_clip references: image {list(image_ref.shape)}, text {list(text_ref.shape)}", flush=True)
    del model

    image = run_clip([args.clip, "embed-image", "--model", str(args.output), "--pixel-values", str(pixels_path)],
                     "image")
    image_ok = compare("image", image, image_ref)
    text = run_clip([args.clip, "embed-text", "--model", str(args.output), "--token-ids", str(ids_path)], "text")
    text_ok = compare("text", text, text_ref)
    print("PASS" if image_ok and text_ok else "FAIL")
    sys.exit(0 if image_ok and text_ok else 1)


if __name__ == "__main__":
    main()
