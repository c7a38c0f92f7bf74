#!/usr/bin/env python3
"""Writes two small, complete SigLIP model folders for the `clip` tool's tests, with the
probabilities transformers gives end to end (tokenizer, image processor, model):

  Tests/CLIPCommandTests/Fixtures/siglip-spiece   SigLIP: spiece.model + tokenizer_config.json from
      Tests/TextTokenizerTests/Fixtures/siglip-spiece (SiglipTokenizer, 3,000 pieces)
  Tests/CLIPCommandTests/Fixtures/siglip2-gemma   SigLIP 2 style: tokenizer.json +
      tokenizer_config.json from Tests/TextTokenizerTests/Fixtures/siglip2-gemma (GemmaTokenizer)

Each: random-weight SiglipModel (vision image 64, patch 16, width 32, 2 heads, 2 layers, MLP 64;
text vocab 3000, 64 positions, width 32, 2 heads, 2 layers, MLP 64), F32; preprocessor_config.json
of SiglipImageProcessor at 64×64 (bicubic, mean/std 0.5); reference.json: for Examples/photos/cat.jpg
and Tests/CLIPModelsTests/Fixtures/images/sample_64x48.png, the labels, the template
"This is a photo of {}.", input_ids (padding="max_length", max_length=64) and
torch.sigmoid(logits_per_image) from AutoTokenizer + SiglipImageProcessorPil + SiglipModel.

Pinned: torch 2.15.0, transformers 5.24.0, safetensors 0.8.0, numpy 2.4.6.
"""
import json
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_siglip_fixtures import PINNED, check_versions, randomize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["cat", "dog", "car", "Red Sports Car", "a bowl of soup"]
TEMPLATE = "This is a photo of {}."


def make(name, tokenizer_files, source, seed):
    from PIL import Image
    from transformers import AutoTokenizer, SiglipConfig, SiglipModel
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    out = ROOT / "Tests/CLIPCommandTests/Fixtures" / name
    out.mkdir(parents=True, exist_ok=True)
    for file in tokenizer_files:
        shutil.copy(source / file, out / file)
    tokenizer = AutoTokenizer.from_pretrained(out)
    vocab = len(tokenizer)
    config = SiglipConfig(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=64, patch_size=16),
        text_config=dict(vocab_size=max(vocab, 3000), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=None))
    model = SiglipModel(config)
    randomize(model, seed)
    model.eval()
    model.save_pretrained(out)
    processor = SiglipImageProcessorPil(size={"height": 64, "width": 64}, resample=3)
    processor.save_pretrained(out)
    settings = json.loads((out / "preprocessor_config.json").read_text())
    settings["image_processor_type"] = "SiglipImageProcessor"
    (out / "preprocessor_config.json").write_text(json.dumps(settings, indent=2) + "\n")

    images = ["Examples/photos/cat.jpg", "Tests/CLIPModelsTests/Fixtures/images/sample_64x48.png"]
    pixels = processor(images=[Image.open(ROOT / p).convert("RGB") for p in images], return_tensors="pt")["pixel_values"]
    texts = [TEMPLATE.format(label) for label in LABELS]
    ids = tokenizer(texts, padding="max_length", max_length=64, truncation=True, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out_model = model(input_ids=ids, pixel_values=pixels)
    reference = {
        "versions": PINNED, "script": "Scripts/make_siglip_cli_fixtures.py", "tokenizer_class": type(tokenizer).__name__,
        "images": images, "labels": LABELS, "template": TEMPLATE, "input_ids": ids.tolist(),
        "logits_per_image": out_model.logits_per_image.tolist(),
        "probabilities": torch.sigmoid(out_model.logits_per_image).tolist(),
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(name, type(tokenizer).__name__, vocab, reference["probabilities"][0][:3])


def main():
    check_versions()
    fixtures = ROOT / "Tests/TextTokenizerTests/Fixtures"
    make("siglip-spiece", ["spiece.model", "tokenizer_config.json"], fixtures / "siglip-spiece", 41)
    make("siglip2-gemma", ["tokenizer.json", "tokenizer_config.json"], fixtures / "siglip2-gemma", 42)


if __name__ == "__main__":
    main()
