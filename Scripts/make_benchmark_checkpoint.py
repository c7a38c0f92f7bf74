#!/usr/bin/env python3
"""Makes a random-weight CLIP checkpoint at the real ViT-B/32 size (about 151 M parameters,
600 MB in float32) in both layouts, for local parity checks and timings. Never committed.

Pinned versions: torch 2.15.0, transformers 5.24.0, open_clip_torch 3.3.0, safetensors 0.8.0,
numpy 2.4.6 (checked by make_model_fixtures.check_versions).

Usage: python3 Scripts/make_benchmark_checkpoint.py [output-dir]   (default /work/scratch/vit-b-32)

Writes:
  <out>/hf/        config.json, model.safetensors (transformers CLIPModel, ViT-B/32 sizes,
                   QuickGELU), vocab.json + merges.txt + tokenizer files (CLIP's BPE, built from
                   open_clip's bpe_simple_vocab_16e6.txt.gz), preprocessor_config.json
  <out>/openclip/  open_clip_config.json (ViT-B-32-quickgelu) + open_clip_model.safetensors: the
                   same weights converted to OpenCLIP's key names (q/k/v packed into in_proj,
                   projections transposed); checked against open_clip's own outputs
  <out>/reference/ pixels.npy [4,3,224,224], image.npy, prompts.json (texts and ids),
                   text.npy: transformers' get_image_features / get_text_features
"""
import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_model_fixtures import check_versions, randomize  # noqa: E402

PROMPTS = [
    "a photo of a cat", "a photo of a dog", "a diagram", "a cassette player",
    "a photo of a red sports car", "an oil painting of a lighthouse", "two people playing chess", "a bowl of soup",
]


def hf_to_openclip(state, layers_vision, layers_text):
    out = {}

    def tower(src, dst, layers):
        for i in range(layers):
            s, d = f"{src}encoder.layers.{i}.", f"{dst}transformer.resblocks.{i}."
            out[d + "ln_1.weight"] = state[s + "layer_norm1.weight"]
            out[d + "ln_1.bias"] = state[s + "layer_norm1.bias"]
            out[d + "attn.in_proj_weight"] = torch.cat([state[s + f"self_attn.{p}_proj.weight"] for p in "qkv"])
            out[d + "attn.in_proj_bias"] = torch.cat([state[s + f"self_attn.{p}_proj.bias"] for p in "qkv"])
            out[d + "attn.out_proj.weight"] = state[s + "self_attn.out_proj.weight"]
            out[d + "attn.out_proj.bias"] = state[s + "self_attn.out_proj.bias"]
            out[d + "ln_2.weight"] = state[s + "layer_norm2.weight"]
            out[d + "ln_2.bias"] = state[s + "layer_norm2.bias"]
            out[d + "mlp.c_fc.weight"] = state[s + "mlp.fc1.weight"]
            out[d + "mlp.c_fc.bias"] = state[s + "mlp.fc1.bias"]
            out[d + "mlp.c_proj.weight"] = state[s + "mlp.fc2.weight"]
            out[d + "mlp.c_proj.bias"] = state[s + "mlp.fc2.bias"]

    v = "vision_model."
    out["visual.conv1.weight"] = state[v + "embeddings.patch_embedding.weight"]
    out["visual.class_embedding"] = state[v + "embeddings.class_embedding"]
    out["visual.positional_embedding"] = state[v + "embeddings.position_embedding.weight"]
    for a, b in (("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")):
        out[f"visual.{b}.weight"] = state[v + a + ".weight"]
        out[f"visual.{b}.bias"] = state[v + a + ".bias"]
    tower(v, "visual.", layers_vision)
    out["visual.proj"] = state["visual_projection.weight"].t()
    t = "text_model."
    out["token_embedding.weight"] = state[t + "embeddings.token_embedding.weight"]
    out["positional_embedding"] = state[t + "embeddings.position_embedding.weight"]
    tower(t, "", layers_text)
    out["ln_final.weight"] = state[t + "final_layer_norm.weight"]
    out["ln_final.bias"] = state[t + "final_layer_norm.bias"]
    out["text_projection"] = state["text_projection.weight"].t()
    out["logit_scale"] = state["logit_scale"]
    return {k: v.contiguous().clone() for k, v in out.items()}


def write_tokenizer(directory):
    """CLIP's BPE vocabulary as vocab.json + merges.txt, built from open_clip's merges file the
    way open_clip's SimpleTokenizer builds it, then saved through transformers' CLIPTokenizer."""
    import open_clip
    from transformers import CLIPTokenizer

    path = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    merges = gzip.open(path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    byte_chars = list(open_clip.tokenizer.bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    (directory / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    tokenizer = CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"))
    tokenizer.save_pretrained(directory)
    reference = open_clip.get_tokenizer("ViT-B-32")
    for prompt in PROMPTS:
        ours = tokenizer(prompt)["input_ids"]
        theirs = [i for i in reference([prompt])[0].tolist() if i != 0]
        assert ours == theirs, (prompt, ours, theirs)
    return tokenizer


def main():
    check_versions()
    import open_clip
    from safetensors.torch import save_file
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/scratch/vit-b-32")
    hf_dir, oc_dir, ref_dir = out / "hf", out / "openclip", out / "reference"
    for d in (hf_dir, oc_dir, ref_dir):
        d.mkdir(parents=True, exist_ok=True)

    config = CLIPConfig()  # transformers' defaults are OpenAI's ViT-B/32 (QuickGELU)
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    randomize(model, seed=100)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(100.0))
    model.save_pretrained(hf_dir)
    tokenizer = write_tokenizer(hf_dir)
    CLIPImageProcessor().save_pretrained(hf_dir)

    state = {k: v for k, v in model.state_dict().items()}
    converted = hf_to_openclip(state, config.vision_config.num_hidden_layers, config.text_config.num_hidden_layers)
    save_file(converted, oc_dir / "open_clip_model.safetensors", metadata={"format": "pt"})
    model_cfg = json.loads((Path(open_clip.__file__).parent / "model_configs" / "ViT-B-32-quickgelu.json").read_text())
    (oc_dir / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": {}}, indent=2))

    g = torch.Generator().manual_seed(101)
    pixels = torch.randn((4, 3, 224, 224), generator=g)
    encoded = tokenizer(PROMPTS, padding="max_length", max_length=77)
    ids = torch.tensor(encoded["input_ids"])
    with torch.no_grad():
        image = model.get_image_features(pixel_values=pixels).pooler_output
        text = model.get_text_features(input_ids=ids).pooler_output
        oc = open_clip.create_model("local-dir:" + str(oc_dir)).eval()
        oc_image = oc.encode_image(pixels)
        oc_text = oc.encode_text(torch.tensor([[i if k < n else 0 for k, i in enumerate(row)]
                                               for row, n in zip(encoded["input_ids"],
                                                                 [sum(m) for m in encoded["attention_mask"]])]))
    for a, b, what in ((image, oc_image, "image"), (text, oc_text, "text")):
        diff = (a - b).abs().max().item() / a.abs().max().item()
        print(f"open_clip vs transformers, {what}: max|diff|/max|ref| = {diff:.2e}")
        assert diff < 1e-4
    np.save(ref_dir / "pixels.npy", pixels.numpy())
    np.save(ref_dir / "image.npy", image.numpy())
    np.save(ref_dir / "text.npy", text.numpy())
    unpadded = [row[:sum(mask)] for row, mask in zip(encoded["input_ids"], encoded["attention_mask"])]
    (ref_dir / "prompts.json").write_text(json.dumps({"prompts": PROMPTS, "ids": unpadded, "padded": encoded["input_ids"]}))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
