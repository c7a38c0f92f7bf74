#!/usr/bin/env python3
"""Regenerates Tests/CLIPModelsTests/Fixtures: tiny random-weight CLIP checkpoints in the
Hugging Face and OpenCLIP layouts, with reference embeddings computed by transformers and
open_clip on fixed pixel tensors and token-id batches.

Pinned versions (checked at start): torch 2.15.0, transformers 5.24.0, open_clip_torch 3.3.0,
safetensors 0.8.0, numpy 2.4.6.

Usage: python3 Scripts/make_model_fixtures.py [output-dir]
(default: Tests/CLIPModelsTests/Fixtures next to this script's package). Deterministic: every
random tensor comes from a seeded torch.Generator.

Models (sizes deliberately unlike ViT-B/32 so that nothing can be hard-coded):
  models/hf-quickgelu        transformers CLIPModel, QuickGELU, F32. Vision: image 32, patch 8,
                             width 48, 3 heads, 2 layers, MLP 96. Text: vocab 400, context 20,
                             width 32, 2 heads, 2 layers, MLP 64, eos_token_id 399. Projection 24.
  models/hf-quickgelu-f16    the same weights stored as F16 (references from the F16 values).
  models/hf-quickgelu-bf16   the same weights stored as BF16, plus int64 `position_ids` buffers
                             as old transformers versions saved them (ignorable keys).
  models/hf-gelu-sharded     exact GELU, F32, two shards + model.safetensors.index.json, and a
                             2021-style config.json (text_config_dict / vision_config_dict,
                             eos_token_id 2, fields left to their defaults). Vision: image 48,
                             patch 16, width 32, 2 heads, 2 layers, MLP 80. Text: vocab 300,
                             context 16, width 24, 3 heads, 1 layer, MLP 48. Projection 20.
  models/openclip-gelu       open_clip CLIP, exact GELU, F32 (open_clip_config.json +
                             open_clip_model.safetensors). Vision: image 40, patch 10, width 32,
                             head_width 16, 2 layers, mlp_ratio 2.5. Text: vocab 300, context 24,
                             width 24, 4 heads, 2 layers, mlp_ratio 3. embed_dim 24.

References (references/<model>/): image-file.npy ([1, embed], hf-quickgelu and openclip-gelu)
for images/sample_64x48.png through CLIPImageProcessor (Pillow backend) at the model's size or
open_clip's inference transform; image.npy ([3, embed]) for pixels/<size>.npy, and
text-pad-zero.npy / text-pad-eot.npy ([4, embed]) for the id batches in tokens.json, padded to
the context length with 0 and with the end-of-text id. Every reference is computed in float32
from the weights as stored (F16/BF16 values widened exactly to float32).
"""
import copy
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch

PINNED = {"torch": "2.15.0", "transformers": "5.24.0", "open_clip": "3.3.0", "safetensors": "0.8.0", "numpy": "2.4.6"}


def check_versions():
    import open_clip
    import safetensors
    import transformers

    found = {
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "open_clip": open_clip.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }
    for name, version in PINNED.items():
        if found[name] != version:
            sys.exit(f"{name} {found[name]} found, {version} required")


def randomize(model, seed):
    """Replaces every parameter with seeded random values of a sensible scale: LayerNorm weights
    near 1, biases and norms' offsets around 0, matrices with std 1/sqrt(fan_in), embeddings
    with std 0.5. (Default initializations leave LayerNorms at 1/0 and biases at 0, which would
    let bugs in those paths go unnoticed.)"""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            is_norm = any(s in name for s in ("layer_norm", "layrnorm", "layernorm", "ln_"))
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name == "logit_scale":
                continue
            if is_norm and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("bias"):
                p.copy_(0.2 * noise)
            elif "embedding" in name:
                p.copy_(0.5 * noise)
            elif name in ("visual.proj", "text_projection", "text.text_projection"):
                p.copy_(noise / math.sqrt(p.shape[0]))  # OpenCLIP stores [width, embed]
            else:
                fan_in = int(np.prod(p.shape[1:]))
                p.copy_(noise / math.sqrt(fan_in))


def save_npy(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def token_batches(context, bos, eot, seed):
    """Four sequences with end-of-text at different places (including the last position),
    padded to `context` with 0 and with `eot`."""
    g = torch.Generator().manual_seed(seed)
    lengths = [2, 6, context, 11]  # including bos and eot
    sequences = []
    for n in lengths:
        middle = torch.randint(1, min(bos, eot) - 1, (n - 2,), generator=g).tolist()
        sequences.append([bos] + middle + [eot])
    pad_zero = [s + [0] * (context - len(s)) for s in sequences]
    pad_eot = [s + [eot] * (context - len(s)) for s in sequences]
    return sequences, pad_zero, pad_eot


def sample_image(root):
    """A 64×48 RGB PNG (smooth gradients plus seeded noise), for the image-file path."""
    from PIL import Image

    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:48, 0:64]
    base = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.float64)
    noisy = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    path = root / "images" / "sample_64x48.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(noisy, "RGB").save(path, optimize=False)
    return Image.open(path).convert("RGB")


def pixels(size, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((3, 3, size, size), generator=g, dtype=torch.float32)


def save_two_shards(model, directory):
    """Writes `model`'s state dict as two safetensors shards (keys sorted, split in half) and the
    model.safetensors.index.json that lists them, as transformers' sharded checkpoints are laid out.
    Returns the state dict written."""
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    keys = sorted(state)
    half = len(keys) // 2
    shards = {"model-00001-of-00002.safetensors": keys[:half], "model-00002-of-00002.safetensors": keys[half:]}
    weight_map = {}
    for file, names in shards.items():
        save_file({k: state[k] for k in names}, directory / file, metadata={"format": "pt"})
        weight_map.update({k: file for k in names})
    total = sum(v.numel() * v.element_size() for v in state.values())
    (directory / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, indent=2) + "\n")
    return state


# ----------------------------------------------------------------------------- Hugging Face


def hf_references(model, pixel_values, pad_zero, pad_eot):
    model.eval()
    with torch.no_grad():
        image = model.get_image_features(pixel_values=pixel_values).pooler_output
        text0 = model.get_text_features(input_ids=torch.tensor(pad_zero)).pooler_output
        text1 = model.get_text_features(input_ids=torch.tensor(pad_eot)).pooler_output
    return image.numpy(), text0.numpy(), text1.numpy()


def write_references(root, name, image, text0, text1, extra=None):
    ref = root / "references" / name
    save_npy(ref / "image.npy", image)
    save_npy(ref / "text-pad-zero.npy", text0)
    save_npy(ref / "text-pad-eot.npy", text1)
    meta = {"versions": PINNED, "script": "Scripts/make_model_fixtures.py"}
    meta.update(extra or {})
    (ref / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")


def make_hf_quickgelu(root):
    from safetensors.torch import load_file, save_file
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config=dict(vocab_size=400, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=20, hidden_act="quick_gelu",
                         bos_token_id=398, eos_token_id=399, pad_token_id=0),
        vision_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=3,
                           image_size=32, patch_size=8, hidden_act="quick_gelu"),
        projection_dim=24,
    )
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    randomize(model, seed=1)
    with torch.no_grad():
        model.logit_scale.fill_(4.0)

    px = pixels(32, seed=2)
    save_npy(root / "pixels" / "32.npy", px.numpy())
    sequences, pad_zero, pad_eot = token_batches(20, 398, 399, seed=3)

    for suffix, dtype in (("", torch.float32), ("-f16", torch.float16), ("-bf16", torch.bfloat16)):
        name = "hf-quickgelu" + suffix
        directory = root / "models" / name
        directory.mkdir(parents=True, exist_ok=True)
        copy.deepcopy(model).to(dtype).save_pretrained(directory)
        if dtype == torch.bfloat16:
            # Old transformers versions saved the position_ids buffers; loaders must ignore them.
            path = directory / "model.safetensors"
            tensors = load_file(path)
            tensors["text_model.embeddings.position_ids"] = torch.arange(20, dtype=torch.int64)[None]
            tensors["vision_model.embeddings.position_ids"] = torch.arange(17, dtype=torch.int64)[None]
            save_file(tensors, path, metadata={"format": "pt"})
        # References from the stored values, widened to float32.
        reloaded = CLIPModel.from_pretrained(directory, dtype=torch.float32, attn_implementation="eager")
        image, text0, text1 = hf_references(reloaded, px, pad_zero, pad_eot)
        write_references(root, name, image, text0, text1,
                         {"pixels": "pixels/32.npy", "tokens": "hf-quickgelu", "stored_dtype": str(dtype),
                          "logit_scale": 4.0})
        if dtype == torch.float32:
            # An image file through CLIPImageProcessor's defaults (Pillow backend) at the model's
            # size 32: shortest edge 32, bicubic, center crop 32, OpenAI mean/std.
            from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
            processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
            file_pixels = processor(images=[sample_image(root)], return_tensors="pt")["pixel_values"]
            with torch.no_grad():
                features = reloaded.get_image_features(pixel_values=file_pixels).pooler_output
            save_npy(root / "references" / name / "image-file.npy", features.numpy())
    return sequences, pad_zero, pad_eot


def make_hf_gelu_sharded(root):
    from safetensors.torch import save_file
    from transformers import CLIPConfig, CLIPModel

    text = dict(vocab_size=300, hidden_size=24, intermediate_size=48, num_hidden_layers=1, num_attention_heads=3,
                max_position_embeddings=16, hidden_act="gelu", bos_token_id=0, eos_token_id=2, pad_token_id=1)
    vision = dict(hidden_size=32, intermediate_size=80, num_hidden_layers=2, num_attention_heads=2,
                  image_size=48, patch_size=16, hidden_act="gelu")
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=20)
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    randomize(model, seed=11)
    with torch.no_grad():
        model.logit_scale.fill_(3.5)

    directory = root / "models" / "hf-gelu-sharded"
    directory.mkdir(parents=True, exist_ok=True)
    state = save_two_shards(model, directory)

    # A 2021-style configuration: the *_config_dict entries win over *_config (whose stale values
    # must be ignored), fields equal to the defaults are left out, eos_token_id is 2.
    legacy = {
        "_name_or_path": "tiny-legacy-clip",
        "architectures": ["CLIPModel"],
        "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "clip",
        "projection_dim": 20,
        "text_config": {"hidden_act": "quick_gelu", "hidden_size": 512, "vocab_size": 49408},
        "text_config_dict": {k: v for k, v in text.items()},
        "transformers_version": None,
        "vision_config": {"hidden_act": "quick_gelu", "image_size": 224},
        "vision_config_dict": {k: v for k, v in vision.items() if k != "layer_norm_eps"},
    }
    (directory / "config.json").write_text(json.dumps(legacy, indent=2) + "\n")

    reloaded = CLIPModel.from_pretrained(directory, dtype=torch.float32, attn_implementation="eager").eval()
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert reloaded.config.text_config.hidden_act == "gelu" and reloaded.config.text_config.eos_token_id == 2

    px = pixels(48, seed=12)
    save_npy(root / "pixels" / "48.npy", px.numpy())
    # eos_token_id 2 makes transformers pool at the highest id; 299 is the vocabulary's last id.
    sequences, pad_zero, pad_eot = token_batches(16, 298, 299, seed=13)
    image, text0, text1 = hf_references(reloaded, px, pad_zero, pad_eot)
    write_references(root, "hf-gelu-sharded", image, text0, text1,
                     {"pixels": "pixels/48.npy", "tokens": "hf-gelu-sharded", "stored_dtype": "torch.float32",
                      "logit_scale": 3.5})
    return sequences, pad_zero, pad_eot


# ----------------------------------------------------------------------------- OpenCLIP


def make_openclip(root):
    import open_clip
    from safetensors.torch import save_file

    model_cfg = {
        "embed_dim": 24,
        "vision_cfg": {"image_size": 40, "layers": 2, "width": 32, "head_width": 16, "mlp_ratio": 2.5,
                       "patch_size": 10},
        "text_cfg": {"context_length": 24, "vocab_size": 300, "width": 24, "heads": 4, "layers": 2,
                     "mlp_ratio": 3.0},
    }
    torch.manual_seed(0)
    model = open_clip.model.CLIP(**model_cfg).eval()
    randomize(model, seed=21)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1 / 0.07))

    directory = root / "models" / "openclip-gelu"
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, directory / "open_clip_model.safetensors", metadata={"format": "pt"})
    config = {
        "model_cfg": model_cfg,
        "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073],
                           "std": [0.26862954, 0.26130258, 0.27577711]},
    }
    (directory / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")

    # open_clip itself must load the directory and agree.
    reloaded = open_clip.create_model("local-dir:" + str(directory)).eval()

    px = pixels(40, seed=22)
    save_npy(root / "pixels" / "40.npy", px.numpy())
    sequences, pad_zero, pad_eot = token_batches(24, 298, 299, seed=23)
    with torch.no_grad():
        image = model.encode_image(px)
        text0 = model.encode_text(torch.tensor(pad_zero))
        text1 = model.encode_text(torch.tensor(pad_eot))
        assert torch.equal(image, reloaded.encode_image(px))
        assert torch.equal(text0, reloaded.encode_text(torch.tensor(pad_zero)))
    # An image file through open_clip's own inference transform for this directory.
    _, _, transform = open_clip.create_model_and_transforms("local-dir:" + str(directory))
    with torch.no_grad():
        file_features = reloaded.encode_image(transform(sample_image(root)).unsqueeze(0))
    save_npy(root / "references" / "openclip-gelu" / "image-file.npy", file_features.numpy())
    write_references(root, "openclip-gelu", image.numpy(), text0.numpy(), text1.numpy(),
                     {"pixels": "pixels/40.npy", "tokens": "openclip-gelu", "stored_dtype": "torch.float32",
                      "logit_scale": math.log(1 / 0.07)})
    return sequences, pad_zero, pad_eot


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    root.mkdir(parents=True, exist_ok=True)
    tokens = {}
    for name, make in (("hf-quickgelu", make_hf_quickgelu), ("hf-gelu-sharded", make_hf_gelu_sharded),
                       ("openclip-gelu", make_openclip)):
        sequences, pad_zero, pad_eot = make(root)
        tokens[name] = {"unpadded": sequences, "pad_zero": pad_zero, "pad_eot": pad_eot}
    (root / "tokens.json").write_text(json.dumps(tokens) + "\n")
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    print(f"fixtures written to {root} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
