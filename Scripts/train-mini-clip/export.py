"""Exports the trained checkpoint in the Hugging Face CLIP layout.

    python Scripts/train-mini-clip/export.py --work-dir /tmp/mini-clip-work --out Sources/CLIPDemoModel/Resources/mini-clip

Writes config.json and model.safetensors (float16) with transformers' save_pretrained,
preprocessor_config.json with CLIPImageProcessor.save_pretrained, and vocab.json + merges.txt
(+ tokenizer_config.json) rebuilt from the OpenAI CLIP BPE table that open_clip 3.3.0 bundles
(bpe_simple_vocab_16e6.txt.gz, MIT license, OpenAI): the same 49,408 tokens and 48,894 merges in the
files' usual Hugging Face form. It then checks that transformers' CLIPTokenizer, loading those
files, produces the same ids as open_clip's tokenizer on every caption template and prompt.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os

import numpy as np

import render as R
from common import CLIP_MEAN, CLIP_STD, CONTEXT_LENGTH, IMAGE_SIZE, Tokenizer, check_versions, prompt_lists


def bytes_to_unicode() -> dict:
    """GPT-2's reversible byte -> printable character table (as used by CLIP's BPE)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, [chr(c) for c in chars]))


def write_tokenizer_files(out: str):
    import open_clip.tokenizer as oct

    path = os.path.join(os.path.dirname(oct.__file__), "bpe_simple_vocab_16e6.txt.gz")
    lines = gzip.open(path).read().decode("utf-8").split("\n")
    merges = [tuple(l.split()) for l in lines[1: 49152 - 256 - 2 + 1]]
    symbols = list(bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408 and len(set(vocab)) == 49408
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": CONTEXT_LENGTH,
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "do_lower_case": True,
        "errors": "replace",
        "clean_up_tokenization_spaces": False,
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return len(merges)


def check_tokenizer(out: str, texts: list[str]) -> int:
    from transformers import CLIPTokenizer

    hf = CLIPTokenizer.from_pretrained(out)
    oc = Tokenizer()
    for t in texts:
        a = hf(t)["input_ids"]
        b = oc.ids(t)
        if a != b:
            raise SystemExit(f"tokenizer mismatch on {t!r}: transformers {a} vs open_clip {b}")
    return len(texts)


def caption_sample(n: int = 3000) -> list[str]:
    texts = set()
    for i in range(n):
        s = R.render_sample(R.TRAIN_SEED, i, IMAGE_SIZE) if i < 300 else None
        if s is None:
            rng = R._rng(R.TRAIN_SEED, i)
            s = R.sample_scene(rng, IMAGE_SIZE, True)
        texts.add(R.caption(R._rng(1, i), s, IMAGE_SIZE)[0])
    c, s = prompt_lists()
    return sorted(texts) + c + s + ["A Photo of a RED   star!", "an orange heart, café-style", "two green squares"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", default="/tmp/mini-clip-work")
    ap.add_argument("--out", default="Sources/CLIPDemoModel/Resources/mini-clip")
    args = ap.parse_args()

    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    check_versions()
    ck = torch.load(os.path.join(args.work_dir, "checkpoint.pt"), weights_only=False)
    config = CLIPConfig.from_dict(ck["config"])
    # Only the top-level projection_dim is used by CLIPModel; make the sub-configs agree with it
    # so CLIPTextModelWithProjection / CLIPVisionModelWithProjection read the same width.
    config.text_config.projection_dim = config.vision_config.projection_dim = config.projection_dim
    model = CLIPModel(config)
    model.load_state_dict(ck["state_dict"], strict=True)
    os.makedirs(args.out, exist_ok=True)
    for name in ("model.safetensors", "config.json"):
        if os.path.exists(os.path.join(args.out, name)):
            os.remove(os.path.join(args.out, name))
    half = model.to(torch.float16)
    half.save_pretrained(args.out, safe_serialization=True)

    proc = CLIPImageProcessor(
        do_resize=True, size={"shortest_edge": IMAGE_SIZE}, resample=3, do_center_crop=True,
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, do_rescale=True, rescale_factor=1 / 255,
        do_normalize=True, image_mean=CLIP_MEAN, image_std=CLIP_STD, do_convert_rgb=True,
    )
    proc.save_pretrained(args.out)
    n_merges = write_tokenizer_files(args.out)
    checked = check_tokenizer(args.out, caption_sample())
    total = 0
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, name))
        total += size
        print(f"{size:>10}  {name}")
    print(f"{total:>10}  total; {n_merges} merges; transformers' CLIPTokenizer == open_clip on {checked} texts")


if __name__ == "__main__":
    main()
