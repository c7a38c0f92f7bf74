#!/usr/bin/env python3
"""Writes Tests/CLIPModelsTests/Fixtures/openclip-vit: tiny random-weight open_clip MobileCLIP2-L-14
checkpoints exactly as open_clip lays them out (a `CustomTextCLIP` whose image tower is open_clip's
`TimmModel` around timm's plain `VisionTransformer` `vit_large_patch14_clip_224` - class token,
`norm_pre`, bias-free patch convolution, final `norm`, `global_pool='token'`, `timm_proj: null` so
that timm's own `head` is a Linear width -> embed_dim with bias - and whose text tower is
open_clip's `TextTransformer` with `no_causal_mask: true` and argmax pooling), with references
computed by open_clip, checked against an independent float64 numpy forward pass (`numpy_image`
below, `numpy_text` of Scripts/make_openclip_pe_fixtures.py) from the safetensors file and
reduced.json only.

Pinned versions and conventions as Scripts/make_openclip_timm_fixtures.py and
Scripts/make_openclip_pe_fixtures.py, whose helpers this script imports.

Usage: python3 Scripts/make_openclip_vit_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures; the cases go to <fixtures-dir>/openclip-vit/<case>/).
Deterministic. Reads pixels/{32,40}.npy.

The model is built by `open_clip.create_model("MobileCLIP2-L-14", pretrained=None)` from the real
built-in config; timm.create_model receives smaller `img_size, patch_size, embed_dim, depth,
num_heads, mlp_ratio` (everything else - class token, pre_norm, LayerNorm eps 1e-5, GELU - stays
vit_large_patch14_clip_224's own), and create_model's overrides replace `embed_dim`, `text_cfg`
(the real one, no_causal_mask included, with smaller sizes) and `vision_cfg.image_size`.
open_clip_config.json holds the REAL config, unchanged; reduced.json the sizes and options used.

Each case folder: open_clip_config.json, open_clip_model.safetensors (state_dict(), F32),
reduced.json, tokens.json ({"unpadded", "pad_zero"}), image.npy [3, embed], text.npy [4, embed]
(encode_text of the pad_zero batch), text-unpadded.npy [4, embed] (each unpadded sequence alone).
"""
import copy
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_openclip_timm_fixtures import (  # noqa: E402
    PINNED, activation_name, check_versions, layer_norm_eps, randomize, reduced_timm, save_npy, write_checkpoint)
from make_openclip_pe_fixtures import (  # noqa: E402
    NUMPY_TOLERANCE, attention, check_full_size_shapes, gelu, layer_norm, linear, load_numpy_weights, numpy_text,
    reduction_kwargs, relative_error, split_heads, token_batches)

MODEL = "MobileCLIP2-L-14"

CASES = [
    dict(case="mobileclip2-l14", model=MODEL, seed=601, embed_dim=40, logit_scale=4.125,
         vision=dict(image_size=32, patch_size=8, width=48, layers=2, heads=4, mlp_ratio=2.5),
         text=dict(vocab_size=300, context_length=12, width=32, layers=2, heads=2, mlp_ratio=2.0),
         lengths=(2, 6, 12, 9)),
    dict(case="mobileclip2-l14-b", model=MODEL, seed=602, embed_dim=24, logit_scale=3.875,
         vision=dict(image_size=40, patch_size=10, width=32, layers=3, heads=2, mlp_ratio=3.0),
         text=dict(vocab_size=280, context_length=10, width=24, layers=2, heads=3, mlp_ratio=2.5),
         lengths=(2, 5, 10, 8)),
]


def timm_kwargs(case):
    v = case["vision"]
    return dict(img_size=v["image_size"], patch_size=v["patch_size"], embed_dim=v["width"], depth=v["layers"],
                num_heads=v["heads"], mlp_ratio=v["mlp_ratio"])


def build_reduced(case, directory=None):
    import open_clip

    name = case["model"] if directory is None else f"local-dir:{directory}"
    with reduced_timm(**timm_kwargs(case)) as calls:
        model = open_clip.create_model(name, pretrained=None, **reduction_kwargs(case))
    timm_name = open_clip.get_model_config(case["model"])["vision_cfg"]["timm_model_name"]
    assert calls == [timm_name], calls
    return model.eval()


def describe(model, case):
    """reduced.json, read off the built model; asserts everything numpy_image assumes about it."""
    from timm.layers import Mlp, PatchEmbed
    from timm.models.vision_transformer import Attention, Block, VisionTransformer

    trunk, text = model.visual.trunk, model.text
    block = trunk.blocks[0]
    assert type(trunk) is VisionTransformer and type(trunk.patch_embed) is PatchEmbed
    assert trunk.patch_embed.proj.bias is None and isinstance(trunk.patch_embed.norm, torch.nn.Identity)
    assert trunk.cls_token is not None and trunk.reg_token is None and not trunk.no_embed_class
    assert trunk.num_prefix_tokens == 1 and not trunk.dynamic_img_size
    assert tuple(trunk.pos_embed.shape) == (1, trunk.patch_embed.num_patches + 1, trunk.embed_dim)
    assert isinstance(trunk.patch_drop, torch.nn.Identity) and isinstance(trunk.norm_pre, torch.nn.LayerNorm)
    for b in trunk.blocks:
        assert type(b) is Block and type(b.attn) is Attention and type(b.mlp) is Mlp
        assert all(isinstance(m, torch.nn.Identity) for m in (b.ls1, b.ls2, b.attn.q_norm, b.attn.k_norm,
                                                               b.attn.norm, b.mlp.norm))
        assert b.attn.qkv.bias is not None and b.attn.proj.bias is not None and b.attn.gate is None
        assert b.mlp.fc1.bias is not None and b.mlp.fc2.bias is not None
        assert abs(b.attn.scale - b.attn.head_dim ** -0.5) < 1e-12
    assert isinstance(trunk.norm, torch.nn.LayerNorm) and isinstance(trunk.fc_norm, torch.nn.Identity)
    assert trunk.global_pool == "token" and trunk.attn_pool is None
    assert isinstance(trunk.head, torch.nn.Linear) and trunk.head.bias is not None
    assert len(model.visual.head) == 0  # open_clip adds nothing after timm's head (timm_proj null)
    vision = {
        "image_size": trunk.patch_embed.img_size[0],
        "patch_size": trunk.patch_embed.patch_size[0],
        "grid": list(trunk.patch_embed.grid_size),
        "width": trunk.embed_dim,
        "layers": len(trunk.blocks),
        "heads": block.attn.num_heads,
        "head_dim": block.attn.head_dim,
        "mlp_width": block.mlp.fc1.out_features,
        "activation": activation_name(block.mlp.act),
        "eps": layer_norm_eps(trunk),
        "class_token": True,
        "pre_norm": True,
        "patch_bias": False,
        "qkv_bias": True,
        "layer_scale": False,
        "final_norm": True,   # trunk.norm on every token, before pooling
        "fc_norm": False,     # no norm after pooling
        "pool": "token",
        "head_bias": True,
    }
    resblock = text.transformer.resblocks[0]
    assert text.attn_mask is None and text.pool_type == "argmax" and text.cls_emb is None
    assert isinstance(text.text_projection, torch.nn.Parameter) and not text.use_pad_mask
    assert all(type(b).__name__ == "ResidualAttentionBlock" and isinstance(b.attn, torch.nn.MultiheadAttention)
               and isinstance(b.ls_1, torch.nn.Identity) and isinstance(b.ls_2, torch.nn.Identity)
               for b in text.transformer.resblocks)
    text_desc = {
        "vocab_size": text.vocab_size,
        "context_length": text.context_length,
        "width": text.width,
        "layers": len(text.transformer.resblocks),
        "heads": resblock.attn.num_heads,
        "mlp_width": resblock.mlp.c_fc.out_features,
        "activation": activation_name(resblock.mlp.gelu),
        "eps": layer_norm_eps(text),
        "causal_mask": False,
        "pool": "argmax",
        "projection_bias": False,
        "sot_id": text.vocab_size - 2,
        "eot_id": text.vocab_size - 1,
    }
    v, t = case["vision"], case["text"]
    assert (vision["image_size"], vision["patch_size"], vision["width"], vision["layers"], vision["heads"],
            vision["mlp_width"]) == (v["image_size"], v["patch_size"], v["width"], v["layers"], v["heads"],
                                     int(v["width"] * v["mlp_ratio"])), vision
    assert (text_desc["vocab_size"], text_desc["context_length"], text_desc["width"], text_desc["layers"],
            text_desc["heads"], text_desc["mlp_width"]) == \
        (t["vocab_size"], t["context_length"], t["width"], t["layers"], t["heads"], int(t["width"] * t["mlp_ratio"]))
    assert vision["activation"] == text_desc["activation"] == "gelu" and vision["eps"] == text_desc["eps"] == 1e-5
    assert text.output_dim == case["embed_dim"] and trunk.head.out_features == case["embed_dim"]
    return {
        "vision": vision,
        "text": text_desc,
        "embed_dim": case["embed_dim"],
        "logit_scale": float(model.logit_scale.item()),
        "logit_bias": None,
        "timm_model_name": trunk.default_cfg["architecture"],
        "open_clip_model": case["model"],
    }


# ----------------------------------------------------------------------------------------------
# Independent float64 forward pass of the image tower (numpy only).

def numpy_image(w, reduced, pixels, variant=()):
    """encode_image, float64. w: the safetensors tensors (float64), pixels [B, 3, S, S]."""
    v = reduced["vision"]
    p = "visual.trunk."
    heads, width, (gh, gw), ps = v["heads"], v["width"], v["grid"], v["patch_size"]
    eps = 1e-6 if "eps_1e-6" in variant else v["eps"]
    act = next((k for k in ("gelu_pytorch_tanh", "quick_gelu") if k in variant), v["activation"])
    outputs = []
    for image in pixels.astype(np.float64):
        # Patch embedding: a stride-ps convolution WITHOUT bias = one matrix product per patch,
        # the patch flattened in (channel, row, column) order; patches in row-major grid order.
        patches = image[:, :gh * ps, :gw * ps].reshape(3, gh, ps, gw, ps).transpose(1, 3, 0, 2, 4)
        x = patches.reshape(gh * gw, 3 * ps * ps) @ w[p + "patch_embed.proj.weight"].reshape(width, -1).T
        x = np.concatenate([w[p + "cls_token"].reshape(1, width), x])       # class token first
        x = x + w[p + "pos_embed"][0]                                          # [1 + grid, width]
        if "no_norm_pre" not in variant:
            x = layer_norm(x, w[p + "norm_pre.weight"], w[p + "norm_pre.bias"], eps)
        for i in range(v["layers"]):
            b = f"{p}blocks.{i}."
            h = layer_norm(x, w[b + "norm1.weight"], w[b + "norm1.bias"], eps)
            qkv = linear(h, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])  # q | k | v, heads in order
            q, k, val = (split_heads(qkv[:, j * width:(j + 1) * width], heads) for j in range(3))
            x = x + linear(attention(q, k, val), w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
            h = layer_norm(x, w[b + "norm2.weight"], w[b + "norm2.bias"], eps)
            h = gelu(linear(h, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"]), act)
            x = x + linear(h, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
        if "avg_pool" in variant:
            pooled = x[1:].mean(0)  # (pooled before the norm: as timm's fc_norm path would do)
            pooled = layer_norm(pooled, w[p + "norm.weight"], w[p + "norm.bias"], eps)
        elif "no_final_norm" in variant:
            pooled = x[0]
        elif "norm_after_pool" in variant:  # fc_norm placement: identical for token pooling
            pooled = layer_norm(x[0], w[p + "norm.weight"], w[p + "norm.bias"], eps)
        else:
            x = layer_norm(x, w[p + "norm.weight"], w[p + "norm.bias"], eps)  # timm's final norm
            pooled = x[0]                                                      # 'token': class token
        head_bias = 0 if "no_head_bias" in variant else w[p + "head.bias"]
        outputs.append(linear(pooled, w[p + "head.weight"], head_bias))        # timm head -> embed
    return np.stack(outputs)


IMAGE_VARIANTS = {  # plausible misreadings of the image tower
    "no_norm_pre": "norm_pre skipped",
    "no_final_norm": "final norm skipped",
    "norm_after_pool": "final norm applied after pooling (fc_norm placement)",
    "avg_pool": "mean of the patch tokens instead of the class token",
    "no_head_bias": "head without its bias",
    "gelu_pytorch_tanh": "GELU tanh approximation",
    "quick_gelu": "QuickGELU x*sigmoid(1.702x)",
    "eps_1e-6": "LayerNorm eps 1e-6",
}
TEXT_VARIANTS = {  # (reduced.json text overrides, batch) -> misreadings of the text tower
    "causal": ({"causal_mask": True}, "pad_zero", "a causal mask"),
    "unpadded": ({}, "unpadded", "the sequence run without its padding (= text-unpadded.npy)"),
    "gelu_pytorch_tanh": ({"activation": "gelu_pytorch_tanh"}, "pad_zero", "GELU tanh approximation"),
    "quick_gelu": ({"activation": "quick_gelu"}, "pad_zero", "QuickGELU x*sigmoid(1.702x)"),
}


def text_variant(w, reduced, tokens, name):
    overrides, batch, _ = TEXT_VARIANTS[name]
    r = copy.deepcopy(reduced)
    r["text"].update(overrides)
    return numpy_text(w, r, tokens[batch])


# ----------------------------------------------------------------------------------------------

def make_case(root, case):
    directory = root / "openclip-vit" / case["case"]
    torch.manual_seed(0)
    model = build_reduced(case)
    randomize(model, seed=case["seed"])
    with torch.no_grad():
        model.logit_scale.fill_(case["logit_scale"])
    assert getattr(model, "logit_bias", None) is None
    assert set(model.state_dict()) == {k for k, _ in model.named_parameters()}, "unexpected buffers"
    state = write_checkpoint(model, case["model"], directory)
    check_full_size_shapes(state, case["model"])
    reduced = describe(model, case)
    (directory / "reduced.json").write_text(json.dumps(reduced, indent=2) + "\n")

    size = case["vision"]["image_size"]
    px = torch.from_numpy(np.load(root / "pixels" / f"{size}.npy"))
    assert px.shape == (3, 3, size, size) and px.dtype == torch.float32, px.shape
    t = reduced["text"]
    tokens = token_batches(t["context_length"], t["sot_id"], t["eot_id"], seed=case["seed"] + 1,
                           lengths=case["lengths"])
    tokens = {"unpadded": tokens["unpadded"], "pad_zero": tokens["pad_zero"]}
    (directory / "tokens.json").write_text(json.dumps(tokens) + "\n")
    with torch.no_grad():
        image = model.encode_image(px)
        text = model.encode_text(torch.tensor(tokens["pad_zero"]))
        # No causal mask: open_clip's attn_mask is None, so a shorter sequence runs as it is.
        text_unpadded = torch.cat([model.encode_text(torch.tensor([s])) for s in tokens["unpadded"]])
    embed = reduced["embed_dim"]
    assert image.shape == (3, embed) and text.shape == (4, embed) and text_unpadded.shape == (4, embed)
    save_npy(directory / "image.npy", image.numpy())
    save_npy(directory / "text.npy", text.numpy())
    save_npy(directory / "text-unpadded.npy", text_unpadded.numpy())
    full_length = [i for i, s in enumerate(tokens["unpadded"]) if len(s) == t["context_length"]]
    # (the same computation, batched differently: equal up to float32 rounding)
    assert full_length and all(relative_error(text[i].double().numpy(), text_unpadded[i].double().numpy()) < 1e-6
                               for i in full_length)

    # open_clip itself must load what was written (with the same reductions) and agree exactly.
    reloaded = build_reduced(case, directory)
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(px), image)
        assert torch.equal(reloaded.encode_text(torch.tensor(tokens["pad_zero"])), text)

    # Masking the zero padding as keys (open_clip's use_pad_mask, off in this model) would give the
    # unpadded values instead: the padding matters only because nothing masks it.
    model.text.use_pad_mask = True
    with torch.no_grad():
        text_pad_masked = model.encode_text(torch.tensor(tokens["pad_zero"]))
    model.text.use_pad_mask = False
    assert relative_error(text_pad_masked.double().numpy(), text_unpadded.double().numpy()) < 1e-6

    # The independent float64 forward pass, from the files just written.
    w = load_numpy_weights(directory / "open_clip_model.safetensors")
    reduced_read = json.loads((directory / "reduced.json").read_text())
    tokens_read = json.loads((directory / "tokens.json").read_text())
    reference = {name: np.load(directory / f"{name}.npy").astype(np.float64)
                 for name in ("image", "text", "text-unpadded")}
    errors = {
        "image": relative_error(numpy_image(w, reduced_read, np.load(root / "pixels" / f"{size}.npy")),
                                reference["image"]),
        "text": relative_error(numpy_text(w, reduced_read, tokens_read["pad_zero"]), reference["text"]),
        "text-unpadded": relative_error(numpy_text(w, reduced_read, tokens_read["unpadded"]),
                                        reference["text-unpadded"]),
    }
    assert max(errors.values()) < NUMPY_TOLERANCE, errors
    # Measured against our own float64 output, so that a variant that changes nothing shows 0.
    baseline_image = numpy_image(w, reduced_read, px.numpy())
    baseline_text = numpy_text(w, reduced_read, tokens_read["pad_zero"])
    variants = {f"image {n}": relative_error(numpy_image(w, reduced_read, px.numpy(), (n,)), baseline_image)
                for n in IMAGE_VARIANTS}
    variants.update({f"text {n}": relative_error(text_variant(w, reduced_read, tokens_read, n), baseline_text)
                     for n in TEXT_VARIANTS})
    # Per sequence: how far the padding moves each padded sequence's embedding.
    padding = [relative_error(reference["text"][i], reference["text-unpadded"][i])
               for i in range(4) if i not in full_length]
    print(f"{case['case']}: {len(state)} tensors, {sum(v.numel() for v in state.values())} parameters, "
          f"embed {embed}; numpy float64 vs open_clip: " + ", ".join(f"{k} {e:.1e}" for k, e in errors.items()))
    return {"numpy": max(errors.values()), "variants": variants, "padding": padding,
            "vision_keys": [(k, tuple(v.shape)) for k, v in state.items() if k.startswith("visual.")]}


README = """\
open_clip MobileCLIP2-L-14 checkpoints (timm `vit_large_patch14_clip_224` image tower, open_clip
text tower WITHOUT a causal mask), for CLIPModelsTests.

Made by `Scripts/make_openclip_vit_fixtures.py` with torch {torch}, open_clip_torch {open_clip},
timm {timm}, safetensors {safetensors}, numpy {numpy} (the script checks these versions and is
deterministic: every random tensor comes from a seeded `torch.Generator`). All weights are
random; no trained model is included.

Each folder is laid out as open_clip's Hub export: `open_clip_config.json` (the REAL built-in
`model_cfg` of MobileCLIP2-L-14, unchanged, so it names full-size towers, and the
`preprocess_cfg` of its only pretrained tag `dfndr2b`: OpenAI CLIP mean/std, bicubic, resize mode
shortest) and `open_clip_model.safetensors` (F32, the `state_dict()` of an open_clip
`CustomTextCLIP`: `visual.trunk.*` of timm's plain `VisionTransformer`, `text.*` of open_clip's
`TextTransformer` (`text_projection` a bare [width, embed] matrix, no bias), and a 0-dimensional
`logit_scale`; no `logit_bias`: CLIP-style scoring). The key set equals the full-size model's
(up to the layer count). `reduced.json` gives the sizes and options actually used.

Image tower (timm VisionTransformer, pre_norm=True, global_pool='token', timm_proj null):
    x = patches(image) @ patch_embed.proj.weight^T        stride-p convolution, NO bias
    x = [cls_token; x] + pos_embed                          class token first, pos_embed [1, 1+grid, width]
    x = LayerNorm(norm_pre)(x)
    per block: x += attn.proj(MHA(LN(norm1)(x)))            qkv Linear with bias, heads split q|k|v,
               x += mlp.fc2(GELU(mlp.fc1(LN(norm2)(x))))    scale head_dim^-0.5; no layer scale
    x = LayerNorm(norm)(x)                                  final norm on every token (no fc_norm)
    embedding = head(x[0])                                  class token, Linear width -> embed WITH bias
Text tower: x = token_embedding[ids] + positional_embedding[:n]; pre-norm blocks (ln_1, MHA with
in_proj/out_proj, ln_2, c_fc, GELU, c_proj), NO attention mask at all (every position attends to
every position, padding included); ln_final; the row at the FIRST position of the highest id
(argmax; eot = vocab-1) @ text_projection. Exact (erf) GELU and LayerNorm eps 1e-5 everywhere.

    mobileclip2-l14/    Vision: image 32, patch 8 (4x4 grid), width 48, 2 layers, 4 heads, MLP 120.
                        Text: vocab 300, context 12, width 32, 2 layers, 2 heads, MLP 64.
                        embed 40. Sequence lengths 2, 6, 12, 9.
    mobileclip2-l14-b/  Vision: image 40, patch 10 (4x4 grid), width 32, 3 layers, 2 heads, MLP 96.
                        Text: vocab 280, context 10, width 24, 2 layers, 3 heads, MLP 60.
                        embed 24. Sequence lengths 2, 5, 10, 8.
At full size: image 224, patch 14, width 1024, 24 layers, 16 heads, MLP 4096; text vocab 49408,
context 77, width 768, 12 layers, 12 heads, MLP 3072; embed 768.

References, computed by open_clip in float32:
    image.npy          [3, embed]  model.encode_image(pixels/<image_size>.npy), not normalized.
    tokens.json        "unpadded": 4 sequences [sot, ids..., eot] (sot = vocab-2, eot = vocab-1,
                       the highest id; middle ids in [1, vocab-3)), one of them exactly the
                       context length; "pad_zero": the same padded to the context with 0.
    text.npy           [4, embed]  model.encode_text(pad_zero), not normalized.
    text-unpadded.npy  [4, embed]  model.encode_text of each unpadded sequence alone, at its own
                       length (open_clip allows it: with no causal mask there is no
                       context-sized mask to mismatch; positional_embedding[:n] is added).

THE PADDING MATTERS. With no causal mask (and open_clip's use_pad_mask off) the zeros after the
end-of-text token are ordinary tokens that every position attends to, so a padded sequence's
embedding differs from the unpadded one's: text.npy != text-unpadded.npy except for the
full-length sequence (identical there). Relative change max |padded - unpadded| / max |unpadded|
for the padded sequences (lengths as listed above, the full-length one left out):
{padding}
A runtime must run the sequence padded to the context length with 0 exactly as open_clip's
tokenizer produces it (text.npy), never trim it. Masking the padding keys instead (open_clip's
use_pad_mask, off here) gives the unpadded values (checked), not open_clip's.

Tests require max |ours - reference| <= 1e-4 x max |reference| for every output. An independent
float64 re-implementation from the safetensors and reduced.json alone (`numpy_image` in the script,
`numpy_text` in Scripts/make_openclip_pe_fixtures.py) agrees to {numpy_error:.0e} of max |reference|.
How far plausible misreadings move the embeddings (max |variant - correct| / max |correct|, both
from the float64 forward pass; image.npy for image variants, text.npy for text variants):
{variants}
("0": below 1e-12.) eps 1e-6 vs 1e-5 and tanh vs exact GELU are within or near the 1e-4 test
tolerance: these fixtures cannot tell them apart. LayerNorm acts per token, so normalizing all
tokens and then taking the class token equals taking it and then normalizing (timm's fc_norm
placement): a runtime may do either.
"""


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = [make_case(root, case) for case in CASES]
    numpy_error = max(r["numpy"] for r in results)
    descriptions = {**{f"image {n}": d for n, d in IMAGE_VARIANTS.items()},
                    **{f"text {n}": d for n, (_, _, d) in TEXT_VARIANTS.items()}}
    lines = ["    " + "".join(f"{case['case']:>19}" for case in CASES)]
    for name, what in descriptions.items():
        values = "".join(f"{r['variants'][name]:>19.1e}" if r["variants"][name] > 1e-12 else f"{'0':>19}"
                         for r in results)
        lines.append(f"    {values}  {name}: {what}")
    padding = "\n".join(f"    {case['case'] + ':':<19} " + ", ".join(f"{e:.1e}" for e in r["padding"])
                         for case, r in zip(CASES, results))
    out = root / "openclip-vit"
    (out / "README.md").write_text(README.format(**PINNED, numpy_error=max(numpy_error, 1e-8),
                                                 variants="\n".join(lines), padding=padding))
    print("\n".join(lines))
    print("padding:", padding)
    for case, r in zip(CASES, results):
        print(case["case"], "vision keys:")
        for k, shape in r["vision_keys"]:
            print(f"    {k} {list(shape)}")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"fixtures written to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
