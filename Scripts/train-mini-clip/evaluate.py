"""Zero-shot evaluation of the exported model, run exactly as the Swift library runs it, and the
parity fixture for the Swift test.

    python Scripts/train-mini-clip/evaluate.py

Pipeline (transformers 5.24.0, Pillow 13.0.0): PIL.Image.open on each committed test PNG,
CLIPImageProcessor (use_fast=False) from the model's preprocessor_config.json, CLIPTokenizer from
its vocab.json/merges.txt, CLIPModel from config.json + model.safetensors (float16 weights
upcast to float32), get_image_features / get_text_features, L2 normalization, cosine x
exp(logit_scale), softmax over the labels. Two protocols (see `protocols()`): "single", one
prompt per label ("a photo of a {color} shape" over the 10 colors, "a photo of a {shape}" over
the 8 shapes), and "ensemble", which averages the other attribute out of each label embedding.

Writes <testset>/predictions.json (per image and protocol: labels, predictions and the logits of
every label; per protocol the templates and accuracies) and prints the accuracies and the example
images' predictions with the library's default template.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

import render as R
from common import COLOR_PROMPT, SHAPE_PROMPT, check_versions


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


def classify(model, image_embeds, label_embeds):
    import torch

    scale = model.logit_scale.exp()
    logits = scale * image_embeds @ label_embeds.T  # [images, labels]
    return logits, torch.softmax(logits, dim=-1)


def label_embeddings(model, tokenizer, labels, templates):
    """open_clip's build_zero_shot_classifier: per label, the normalized mean of the normalized
    embeddings of its captions (one per template)."""
    import torch.nn.functional as F

    captions = [t.replace("{}", label) for label in labels for t in templates]
    emb, ids = text_embeddings(model, tokenizer, captions)
    emb = emb.view(len(labels), len(templates), -1).mean(1)
    return F.normalize(emb, dim=-1), ids


def protocols():
    """The two zero-shot protocols evaluated. "single": one prompt per label, as issue 9 words it.
    "ensemble": the other attribute is averaged out: a shape's embedding is the mean over the ten
    "a photo of a {color} {shape}" captions, a color's over the eight "a photo of a {color}
    {shape}" captions (template ensembling, as CLIP's paper does with its 80 templates)."""
    return {
        "single": {"color_templates": [COLOR_PROMPT], "shape_templates": [SHAPE_PROMPT]},
        "ensemble": {"color_templates": [f"a photo of a {{}} {s}" for s in R.SHAPES],
                     "shape_templates": [f"a photo of a {c} {{}}" for c in R.COLORS]},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="Sources/CLIPDemoModel/Resources/mini-clip")
    ap.add_argument("--testset", default="Tests/CLIPTests/Fixtures/mini-clip-testset")
    ap.add_argument("--examples", default="Examples/images")
    args = ap.parse_args()

    found = check_versions()
    model, processor, tokenizer = load(args.model)
    meta = json.load(open(os.path.join(args.testset, "labels.json")))
    items = meta["images"]
    paths = [os.path.join(args.testset, it["file"]) for it in items]
    emb = image_embeddings(model, processor, paths)
    true_c = np.array([R.COLORS.index(it["color"]) for it in items])
    true_s = np.array([R.SHAPES.index(it["shape"]) for it in items])
    held = np.array([it["held_out"] for it in items])

    records = [{"file": it["file"], "color": it["color"], "shape": it["shape"], "held_out": it["held_out"]}
               for it in items]
    results = {}
    for name, p in protocols().items():
        tc, _ = label_embeddings(model, tokenizer, R.COLORS, p["color_templates"])
        ts, _ = label_embeddings(model, tokenizer, R.SHAPES, p["shape_templates"])
        cl, _ = classify(model, emb, tc)
        sl, _ = classify(model, emb, ts)
        pred_c, pred_s = cl.argmax(-1).numpy(), sl.argmax(-1).numpy()

        def acc(mask):
            return {"images": int(mask.sum()), "color": round(float((pred_c[mask] == true_c[mask]).mean()), 4),
                    "shape": round(float((pred_s[mask] == true_s[mask]).mean()), 4),
                    "both": round(float(((pred_c == true_c) & (pred_s == true_s))[mask].mean()), 4)}

        per_pair = {}
        for c, s in R.HELD_OUT_PAIRS:
            per_pair[f"{c} {s}"] = acc(held & (true_c == R.COLORS.index(c)) & (true_s == R.SHAPES.index(s)))
        results[name] = {**p, "accuracy": {"held_out": acc(held), "seen": acc(~held), "all": acc(np.ones_like(held))},
                         "held_out_pairs": per_pair}
        for k, rec in enumerate(records):
            rec[name] = {
                "predicted_color": R.COLORS[pred_c[k]], "predicted_shape": R.SHAPES[pred_s[k]],
                "color_logits": [round(float(v), 4) for v in cl[k]],
                "shape_logits": [round(float(v), 4) for v in sl[k]],
            }
        print(name, json.dumps(results[name]["accuracy"]))
        print(" ", json.dumps(per_pair))

    _, color_ids = text_embeddings(model, tokenizer, [COLOR_PROMPT.format(c) for c in R.COLORS])
    _, shape_ids = text_embeddings(model, tokenizer, [SHAPE_PROMPT.format(s) for s in R.SHAPES])
    fixture = {
        "generator": "Scripts/train-mini-clip/evaluate.py",
        "versions": found,
        "model": "Sources/CLIPDemoModel/Resources/mini-clip",
        "pipeline": "PIL.Image.open -> CLIPImageProcessor(use_fast=False) -> CLIPModel.get_image_features; "
                    "CLIPTokenizer -> get_text_features; L2-normalize; label embedding = normalized mean over "
                    "its templates; logits = exp(logit_scale) * cosine; softmax over labels",
        "logit_scale_exp": round(float(model.logit_scale.exp()), 6),
        "colors": R.COLORS,
        "shapes": R.SHAPES,
        "color_prompt_ids": [row.tolist()[: row.tolist().index(49407) + 1] for row in color_ids],
        "shape_prompt_ids": [row.tolist()[: row.tolist().index(49407) + 1] for row in shape_ids],
        "protocols": results,
        "images": records,
    }
    with open(os.path.join(args.testset, "predictions.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")

    if args.examples and os.path.isdir(args.examples):
        names = sorted(n for n in os.listdir(args.examples) if n.endswith((".png", ".jpg")))
        eemb = image_embeddings(model, processor, [os.path.join(args.examples, n) for n in names])
        default = ["a photo of a {}."]  # the library's default template
        _, ecp = classify(model, eemb, label_embeddings(model, tokenizer, R.COLORS, default)[0])
        _, esp = classify(model, eemb, label_embeddings(model, tokenizer, R.SHAPES, default)[0])
        print("examples, template 'a photo of a {}.':")
        for k, n in enumerate(names):
            c = ecp[k].argmax().item()
            s = esp[k].argmax().item()
            print(f"  {n:24s} color {R.COLORS[c]} ({ecp[k, c]:.3f})  shape {R.SHAPES[s]} ({esp[k, s]:.3f})")


if __name__ == "__main__":
    main()
