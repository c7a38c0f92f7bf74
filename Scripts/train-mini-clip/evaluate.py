"""Zero-shot evaluation of the exported model, run exactly as the Swift library runs it, and the
parity fixture for the Swift test.

    python Scripts/train-mini-clip/evaluate.py

Pipeline (transformers 5.24.0, Pillow 13.0.0): PIL.Image.open on each committed test PNG,
CLIPImageProcessor (use_fast=False) from the model's preprocessor_config.json, CLIPTokenizer from
its vocab.json/merges.txt, CLIPModel from config.json + model.safetensors (float16 weights
upcast to float32), get_image_features / get_text_features, L2 normalization, cosine x
exp(logit_scale), softmax over the labels. One prompt per label, no ensembling:
"a photo of a {color} shape" over the 10 colors and "a photo of a {shape}" over the 8 shapes.

Writes <testset>/predictions.json (per image: labels, predictions, logits and probabilities for
every prompt; plus the accuracies) and prints the accuracies and the example images' rankings.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

import render as R
from common import COLOR_PROMPT, SHAPE_PROMPT, check_versions, prompt_lists


def load(model_dir: str):
    import torch
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizer

    model = CLIPModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    processor = CLIPImageProcessor.from_pretrained(model_dir, use_fast=False)
    tokenizer = CLIPTokenizer.from_pretrained(model_dir)
    return model, processor, tokenizer


def text_embeddings(model, tokenizer, prompts):
    import torch
    import torch.nn.functional as F

    batch = tokenizer(prompts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model.get_text_features(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    out = out.pooler_output if hasattr(out, "pooler_output") else out
    return F.normalize(out, dim=-1), batch["input_ids"]


def image_embeddings(model, processor, paths, batch_size=100):
    import torch
    import torch.nn.functional as F
    from PIL import Image

    chunks = []
    for start in range(0, len(paths), batch_size):
        images = [Image.open(p) for p in paths[start: start + batch_size]]
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            out = model.get_image_features(pixel_values=pixels)
        out = out.pooler_output if hasattr(out, "pooler_output") else out
        chunks.append(F.normalize(out, dim=-1))
    return torch.cat(chunks)


def classify(model, image_embeds, text_embeds):
    import torch

    scale = model.logit_scale.exp()
    logits = scale * image_embeds @ text_embeds.T  # [images, labels]
    return logits, torch.softmax(logits, dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="Sources/CLIP/Resources/mini-clip")
    ap.add_argument("--testset", default="Tests/CLIPTests/Fixtures/mini-clip-testset")
    ap.add_argument("--examples", default="Examples/images")
    args = ap.parse_args()

    found = check_versions()
    model, processor, tokenizer = load(args.model)
    color_prompts, shape_prompts = prompt_lists()
    tc, color_ids = text_embeddings(model, tokenizer, color_prompts)
    ts, shape_ids = text_embeddings(model, tokenizer, shape_prompts)

    meta = json.load(open(os.path.join(args.testset, "labels.json")))
    items = meta["images"]
    paths = [os.path.join(args.testset, it["file"]) for it in items]
    emb = image_embeddings(model, processor, paths)
    cl, cp = classify(model, emb, tc)
    sl, sp = classify(model, emb, ts)
    pred_c = cl.argmax(-1).numpy()
    pred_s = sl.argmax(-1).numpy()
    true_c = np.array([R.COLORS.index(it["color"]) for it in items])
    true_s = np.array([R.SHAPES.index(it["shape"]) for it in items])
    held = np.array([it["held_out"] for it in items])

    def acc(mask):
        return {"images": int(mask.sum()), "color": round(float((pred_c[mask] == true_c[mask]).mean()), 4),
                "shape": round(float((pred_s[mask] == true_s[mask]).mean()), 4),
                "both": round(float(((pred_c == true_c) & (pred_s == true_s))[mask].mean()), 4)}

    accuracy = {"held_out": acc(held), "seen": acc(~held), "all": acc(np.ones_like(held))}
    per_pair = {}
    for c, s in R.HELD_OUT_PAIRS:
        m = held & (true_c == R.COLORS.index(c)) & (true_s == R.SHAPES.index(s))
        per_pair[f"{c} {s}"] = acc(m)

    records = []
    for k, it in enumerate(items):
        records.append({
            "file": it["file"], "color": it["color"], "shape": it["shape"], "held_out": it["held_out"],
            "predicted_color": R.COLORS[pred_c[k]], "predicted_shape": R.SHAPES[pred_s[k]],
            "color_logits": [round(float(v), 5) for v in cl[k]],
            "color_probabilities": [round(float(v), 6) for v in cp[k]],
            "shape_logits": [round(float(v), 5) for v in sl[k]],
            "shape_probabilities": [round(float(v), 6) for v in sp[k]],
        })
    fixture = {
        "generator": "Scripts/train-mini-clip/evaluate.py",
        "versions": found,
        "model": "Sources/CLIP/Resources/mini-clip",
        "pipeline": "PIL.Image.open -> CLIPImageProcessor(use_fast=False) -> CLIPModel.get_image_features; "
                    "CLIPTokenizer -> get_text_features; L2-normalize; logits = exp(logit_scale) * cosine; "
                    "softmax over labels; one prompt per label",
        "logit_scale_exp": round(float(model.logit_scale.exp()), 6),
        "color_template": COLOR_PROMPT,
        "shape_template": SHAPE_PROMPT,
        "colors": R.COLORS,
        "shapes": R.SHAPES,
        "color_prompts": color_prompts,
        "shape_prompts": shape_prompts,
        "color_prompt_ids": [row.tolist()[: row.tolist().index(49407) + 1] for row in color_ids],
        "shape_prompt_ids": [row.tolist()[: row.tolist().index(49407) + 1] for row in shape_ids],
        "accuracy": accuracy,
        "held_out_pairs": per_pair,
        "images": records,
    }
    with open(os.path.join(args.testset, "predictions.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(json.dumps(accuracy, indent=1))
    print(json.dumps(per_pair))

    if args.examples and os.path.isdir(args.examples):
        names = sorted(n for n in os.listdir(args.examples) if n.endswith((".png", ".jpg")))
        eemb = image_embeddings(model, processor, [os.path.join(args.examples, n) for n in names])
        _, ecp = classify(model, eemb, tc)
        _, esp = classify(model, eemb, ts)
        for k, n in enumerate(names):
            c = ecp[k].argmax().item()
            s = esp[k].argmax().item()
            print(f"{n:24s} color {R.COLORS[c]} ({ecp[k, c]:.3f})  shape {R.SHAPES[s]} ({esp[k, s]:.3f})")


if __name__ == "__main__":
    main()
