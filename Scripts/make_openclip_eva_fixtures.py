#!/usr/bin/env python3
"""Writes Tests/CLIPModelsTests/Fixtures/openclip-eva: tiny random-weight open_clip EVA-CLIP
checkpoints (EVA01-g-14, EVA02-B-16, EVA02-L-14-336, EVA02-E-14) exactly as open_clip lays them
out (a `CustomTextCLIP` whose image tower is open_clip's `TimmModel` around a timm `Eva` with
`global_pool='token'` and `timm_proj: null`, so that timm's own `head` is a Linear width ->
embed_dim with bias, and whose text tower is open_clip's standard causal `TextTransformer` with
argmax pooling), with references computed by open_clip, and checks them against an independent
float64 numpy forward pass (`numpy_image` below and `numpy_text` of make_openclip_pe_fixtures.py,
from the safetensors file and reduced.json only).

Pinned versions and conventions as Scripts/make_openclip_timm_fixtures.py, whose helpers this
script imports (version check, randomization, timm.create_model reduction, checkpoint writing),
and Scripts/make_openclip_pe_fixtures.py (token batches, the numpy building blocks, the numpy
text tower, the full-size key/shape check).

Usage: python3 Scripts/make_openclip_eva_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures; the cases go to <fixtures-dir>/openclip-eva/<case>/).
Deterministic. Reads pixels/{32,36,40,48}.npy.

The model is built by `open_clip.create_model(<name>, pretrained=None)` from the real built-in
config of <name>; timm.create_model receives smaller `img_size, patch_size, embed_dim, depth,
num_heads, mlp_ratio` (everything else - qkv layout, SwiGLU, sub-norms, post-norm, RoPE
`ref_feat_shape`, `rope_grid_offset`, `rope_grid_indexing`, LayerNorm eps - stays the model
function's own), and create_model's overrides replace `embed_dim`, `text_cfg` (the real one with
smaller sizes) and `vision_cfg.image_size`. open_clip_config.json holds the REAL config of <name>,
unchanged (+ preprocess_cfg of its only pretrained tag); reduced.json the sizes and structural
options actually used, read off the built modules.

Each case folder: open_clip_config.json, open_clip_model.safetensors (state_dict(), F32),
reduced.json, image.npy [3, embed] (encode_image of pixels/<image>.npy, not normalized),
tokens.json ({"unpadded", "pad_zero", "pad_eot"}: 4 sequences [sot, ids..., eot], sot = vocab-2,
eot = vocab-1 = the highest id), text.npy [4, embed] (encode_text of the pad_zero batch, not
normalized).
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
    apply_rope, attention, check_full_size_shapes, gelu, layer_norm, linear, load_numpy_weights, numpy_text,
    relative_error, rope_angles, split_heads, token_batches)

EVA02_MLP_RATIO = 4 * 2 / 3  # the model functions' own (SwiGLU hidden width int(width * 8/3))

CASES = [
    # EVA02: separate q/k/v (no k bias), SwiGLU + mlp.norm, attn.norm, RoPE ref 16 / grid 4 = 4.
    dict(case="eva02-base", model="EVA02-B-16", seed=601, embed_dim=40, logit_scale=4.25,
         vision=dict(image_size=32, patch_size=8, width=48, layers=2, heads=4, mlp_ratio=EVA02_MLP_RATIO),
         text=dict(vocab_size=300, context_length=12, width=32, layers=2, heads=2, mlp_ratio=2.0),
         token_lengths=(2, 6, 12, 11)),
    # Odd 5x5 grid (ref 16 / 5 = 3.2), head_dim 20: an odd number (5) of frequencies per axis.
    dict(case="eva02-large336", model="EVA02-L-14-336", seed=602, embed_dim=32, logit_scale=3.75,
         vision=dict(image_size=40, patch_size=8, width=40, layers=3, heads=2, mlp_ratio=EVA02_MLP_RATIO),
         text=dict(vocab_size=320, context_length=14, width=24, layers=2, heads=3, mlp_ratio=2.5),
         token_lengths=(2, 6, 14, 11)),
    # EVA01: fused qkv without bias + q_bias / v_bias parameters (zero k bias), GELU Mlp, no RoPE.
    dict(case="eva01-giant", model="EVA01-g-14", seed=603, embed_dim=24, logit_scale=4.5,
         vision=dict(image_size=36, patch_size=12, width=32, layers=2, heads=2, mlp_ratio=6144 / 1408),
         text=dict(vocab_size=260, context_length=16, width=20, layers=2, heads=4, mlp_ratio=2.0),
         token_lengths=(2, 6, 16, 11)),
    # EVA02-E: post-norm blocks, fused qkv + q_bias / v_bias, GELU Mlp, no RoPE; embed > both widths;
    # 8x8 grid of 6-px patches (no patch larger than the real 14).
    dict(case="eva02-enormous", model="EVA02-E-14", seed=604, embed_dim=36, logit_scale=4.0,
         vision=dict(image_size=48, patch_size=6, width=24, layers=2, heads=2, mlp_ratio=15360 / 1792),
         text=dict(vocab_size=200, context_length=8, width=28, layers=2, heads=2, mlp_ratio=2.0),
         token_lengths=(2, 6, 8, 5)),
]

# Agreement required between the float64 numpy forward and open_clip's float32 references.
NUMPY_TOLERANCE = 1e-5


# ----------------------------------------------------------------------------------------------
# Building the reduced model with open_clip / timm.

def timm_kwargs(case):
    v = case["vision"]
    return dict(img_size=v["image_size"], patch_size=v["patch_size"], embed_dim=v["width"], depth=v["layers"],
                num_heads=v["heads"], mlp_ratio=v["mlp_ratio"])


def reduction_kwargs(case):
    import open_clip

    cfg = open_clip.get_model_config(case["model"])
    text_cfg = copy.deepcopy(cfg["text_cfg"])
    text_cfg.update(case["text"])
    vision_cfg = copy.deepcopy(cfg["vision_cfg"])
    vision_cfg["image_size"] = case["vision"]["image_size"]
    return dict(embed_dim=case["embed_dim"], text_cfg=text_cfg, vision_cfg=vision_cfg)


def build_reduced(case, directory=None):
    import open_clip

    name = case["model"] if directory is None else f"local-dir:{directory}"
    with reduced_timm(**timm_kwargs(case)) as calls:
        model = open_clip.create_model(name, pretrained=None, **reduction_kwargs(case))
    timm_name = open_clip.get_model_config(case["model"])["vision_cfg"]["timm_model_name"]
    assert calls == [timm_name], calls
    return model.eval()


def check_randomized(model):
    """Every parameter (but logit_scale) random: no zeros, no constant tensors - in particular
    q_bias / v_bias, every LayerNorm weight and bias and every Linear bias, which timm's default
    initialization leaves at 0 or 1."""
    for name, p in model.named_parameters():
        if name == "logit_scale":
            continue
        p = p.detach()
        assert bool((p != 0).all()), name
        assert p.numel() == 1 or float(p.std()) > 1e-3, name
        assert not bool((p == 1).any()), name


def block_description(block, width):
    """The structural options of one timm Eva block, read off its modules."""
    from timm.layers import Mlp, SwiGLU
    from timm.models.eva import EvaAttention, EvaBlock, EvaBlockPostNorm

    assert type(block) in (EvaBlock, EvaBlockPostNorm), type(block)
    attn, mlp = block.attn, block.mlp
    assert type(attn) is EvaAttention, type(attn)
    assert getattr(block, "gamma_1", None) is None and getattr(block, "gamma_2", None) is None  # no layer scale
    assert all(isinstance(getattr(block, m), torch.nn.Identity) for m in ("drop_path1", "drop_path2"))
    assert isinstance(block.norm1, torch.nn.LayerNorm) and isinstance(block.norm2, torch.nn.LayerNorm)
    assert isinstance(attn.q_norm, torch.nn.Identity) and isinstance(attn.k_norm, torch.nn.Identity)
    assert attn.gate is None and not attn.rotate_half and not attn.qkv_bias_separate
    assert attn.head_dim * attn.num_heads == width and attn.scale == attn.head_dim ** -0.5
    assert isinstance(attn.norm, (torch.nn.LayerNorm, torch.nn.Identity))
    if attn.qkv is not None:
        assert attn.qkv.bias is None and attn.qkv.out_features == 3 * width
        assert attn.q_bias is not None and attn.v_bias is not None
        assert not bool(attn.k_bias.any())  # a zero, non-persistent buffer
        q_bias, k_bias, v_bias = True, False, True
    else:
        q_bias, k_bias, v_bias = (getattr(attn, m).bias is not None for m in ("q_proj", "k_proj", "v_proj"))
    if isinstance(mlp, SwiGLU):
        assert isinstance(mlp.act, torch.nn.SiLU) and mlp.fc1_g.out_features == mlp.fc1_x.out_features
        assert all(layer.bias is not None for layer in (mlp.fc1_g, mlp.fc1_x, mlp.fc2))
        kind, hidden, activation = "swiglu", mlp.fc1_x.out_features, "silu"
    else:
        assert type(mlp) is Mlp and all(layer.bias is not None for layer in (mlp.fc1, mlp.fc2))
        kind, hidden, activation = "mlp", mlp.fc1.out_features, activation_name(mlp.act)
    assert isinstance(mlp.norm, (torch.nn.LayerNorm, torch.nn.Identity))
    assert mlp.fc2.in_features == hidden and mlp.fc2.out_features == width
    return {
        "post_norm": isinstance(block, EvaBlockPostNorm),
        "heads": attn.num_heads,
        "head_dim": attn.head_dim,
        "qkv_fused": attn.qkv is not None,
        "q_bias": q_bias,
        "k_bias": k_bias,
        "v_bias": v_bias,
        "attn_inner_norm": isinstance(attn.norm, torch.nn.LayerNorm),
        "mlp_kind": kind,
        "mlp_width": hidden,
        "activation": activation,
        "mlp_norm": isinstance(mlp.norm, torch.nn.LayerNorm),
        "prefix_tokens": attn.num_prefix_tokens,
    }


def describe(model, case):
    """reduced.json, read off the built model (and checked against the intended sizes)."""
    from timm.layers.pos_embed_sincos import RotaryEmbeddingCat

    trunk, text = model.visual.trunk, model.text
    grid = list(trunk.patch_embed.grid_size)
    width = trunk.embed_dim
    blocks = [block_description(b, width) for b in trunk.blocks]
    assert all(b == blocks[0] for b in blocks), blocks  # every layer built alike
    block = blocks[0]
    prefix = trunk.num_prefix_tokens
    assert type(trunk).__name__ == "Eva" and trunk.cls_token is not None and trunk.reg_token is None
    assert prefix == 1 and block.pop("prefix_tokens") == prefix and trunk.cls_embed
    assert not trunk.no_embed_class and not trunk.dynamic_img_size and trunk.patch_drop is None
    assert trunk.pos_embed is not None and trunk.pos_embed.shape[1] == grid[0] * grid[1] + prefix
    assert trunk.patch_embed.proj.bias is not None and isinstance(trunk.patch_embed.norm, torch.nn.Identity)
    assert isinstance(trunk.norm_pre, torch.nn.Identity)
    assert isinstance(trunk.norm, torch.nn.LayerNorm) and isinstance(trunk.fc_norm, torch.nn.Identity)
    assert trunk.global_pool == "token" and trunk.attn_pool is None
    assert isinstance(trunk.head, torch.nn.Linear) and trunk.head.bias is not None
    assert len(model.visual.head) == 0  # open_clip adds nothing after timm's head (timm_proj null)
    assert not trunk.rope_mixed
    rope = trunk.rope
    if rope is not None:
        assert isinstance(rope, RotaryEmbeddingCat)
        assert not rope.in_pixels and rope.grid_type == "index" and not rope.rotate_half and not rope.aug_active
        assert rope.dim == block["head_dim"] and rope.dim % 4 == 0 and list(rope.feat_shape) == grid
        assert rope.ref_feat_shape is not None
        rope_desc = {
            "kind": "axial 2-D, interleaved pairs",
            "theta": float(rope.temperature),
            "bands_per_axis": rope.dim // 4,
            "ref_feat_shape": list(rope.ref_feat_shape),
            "coordinate_scale": [r / g for r, g in zip(rope.ref_feat_shape, grid)],
            "grid_offset": float(rope.grid_offset),
            "grid_indexing": rope.grid_indexing,
            "rotate_half": bool(rope.rotate_half),
            "unrotated_prefix_tokens": prefix,
        }
    else:
        rope_desc = None
    vision = {
        "image_size": trunk.patch_embed.img_size[0],
        "patch_size": trunk.patch_embed.patch_size[0],
        "grid": grid,
        "width": width,
        "layers": len(trunk.blocks),
        **block,
        "eps": layer_norm_eps(trunk),
        "class_token": True,
        "pos_embed_includes_class_token": True,
        "patch_bias": True,
        "pre_norm": False,       # norm_pre (before the blocks): none
        "final_norm": True,      # trunk.norm after the blocks
        "fc_norm": False,
        "layer_scale": False,
        "pool": "token",
        "rope": rope_desc,
        "head_bias": True,
    }
    resblock = text.transformer.resblocks[0]
    assert text.attn_mask is not None and text.pool_type == "argmax" and text.cls_emb is None
    assert isinstance(text.text_projection, torch.nn.Parameter) and not text.use_pad_mask
    assert all(isinstance(getattr(b, m), torch.nn.Identity)
               for b in text.transformer.resblocks for m in ("ls_1", "ls_2"))
    text_desc = {
        "vocab_size": text.vocab_size,
        "context_length": text.context_length,
        "width": text.width,
        "layers": len(text.transformer.resblocks),
        "heads": resblock.attn.num_heads,
        "mlp_width": resblock.mlp.c_fc.out_features,
        "activation": activation_name(resblock.mlp.gelu),
        "eps": layer_norm_eps(text),
        "causal_mask": True,
        "pool": "argmax",
        "projection_bias": False,
        "sot_id": text.vocab_size - 2,
        "eot_id": text.vocab_size - 1,
    }
    v, t = case["vision"], case["text"]
    expected = (v["image_size"], v["patch_size"], v["width"], v["layers"], v["heads"], int(v["width"] * v["mlp_ratio"]))
    got = (vision["image_size"], vision["patch_size"], vision["width"], vision["layers"], vision["heads"],
           vision["mlp_width"])
    assert got == expected, (got, expected)
    assert (text_desc["vocab_size"], text_desc["context_length"], text_desc["width"], text_desc["layers"],
            text_desc["heads"], text_desc["mlp_width"]) == \
        (t["vocab_size"], t["context_length"], t["width"], t["layers"], t["heads"], int(t["width"] * t["mlp_ratio"]))
    assert model.text.output_dim == case["embed_dim"] and trunk.head.out_features == case["embed_dim"]
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
# Independent float64 forward pass of the image tower: numpy only, from the safetensors file and
# reduced.json (the text tower is make_openclip_pe_fixtures.numpy_text: the same open_clip tower).

def silu(x):
    return x / (1 + np.exp(-x))


def numpy_image(w, reduced, pixels, variant=()):
    """encode_image, float64. w: the safetensors tensors (float64), pixels [B, 3, S, S]."""
    v = reduced["vision"]
    p = "visual.trunk."
    eps, heads, width, (gh, gw), ps = v["eps"], v["heads"], v["width"], v["grid"], v["patch_size"]
    assert v["class_token"] and v["pos_embed_includes_class_token"] and v["pool"] == "token"
    prefix = 1
    rope = v["rope"] is not None and "no_rope" not in variant
    angles = rope_angles(v, variant) if rope else None
    act = "gelu_pytorch_tanh" if "tanh_gelu" in variant else v["activation"]
    post_norm = v["post_norm"] != ("swap_block_norm" in variant)

    def attention_branch(h, b):
        a = b + "attn."
        if v["qkv_fused"]:  # qkv.weight rows: q (all heads), k, v; bias [q_bias, 0, v_bias]
            zero = np.zeros(width)
            bias = np.concatenate([w[a + "q_bias"] if v["q_bias"] else zero, zero,
                                   w[a + "v_bias"] if v["v_bias"] else zero])
            qkv = linear(h, w[a + "qkv.weight"], bias)
            q, k, val = (qkv[:, j * width:(j + 1) * width] for j in range(3))
        else:  # q_proj / k_proj / v_proj, bias as reduced.json says (EVA02: no k bias)
            q, k, val = (linear(h, w[a + f"{m}_proj.weight"], w[a + f"{m}_proj.bias"] if v[f"{m}_bias"] else None)
                         for m in "qkv")
        q, k, val = split_heads(q, heads), split_heads(k, heads), split_heads(val, heads)
        if rope:  # the class token is not rotated
            q[:, prefix:] = apply_rope(q[:, prefix:], angles, variant)
            k[:, prefix:] = apply_rope(k[:, prefix:], angles, variant)
        o = attention(q, k, val)                                              # [N, width], heads in order
        if v["attn_inner_norm"] and "no_attn_norm" not in variant:          # attn.norm before attn.proj
            o = layer_norm(o, w[a + "norm.weight"], w[a + "norm.bias"], eps)
        return linear(o, w[a + "proj.weight"], w[a + "proj.bias"])

    def mlp_branch(h, b):
        m = b + "mlp."
        if v["mlp_kind"] == "swiglu":  # silu(fc1_g(h)) * fc1_x(h)
            gate, value = linear(h, w[m + "fc1_g.weight"], w[m + "fc1_g.bias"]), \
                linear(h, w[m + "fc1_x.weight"], w[m + "fc1_x.bias"])
            if "swap_swiglu" in variant:
                gate, value = value, gate
            hidden = silu(gate) * value
        else:
            hidden = gelu(linear(h, w[m + "fc1.weight"], w[m + "fc1.bias"]), act)
        if v["mlp_norm"] and "no_mlp_norm" not in variant:                  # mlp.norm over the hidden width
            hidden = layer_norm(hidden, w[m + "norm.weight"], w[m + "norm.bias"], eps)
        return linear(hidden, w[m + "fc2.weight"], w[m + "fc2.bias"])

    outputs = []
    for image in pixels.astype(np.float64):
        # Patch embedding: a stride-ps convolution WITH bias = one matrix product per patch, the
        # patch flattened in (channel, row, column) order; patches in row-major grid order.
        patches = image[:, :gh * ps, :gw * ps].reshape(3, gh, ps, gw, ps).transpose(1, 3, 0, 2, 4)
        x = linear(patches.reshape(gh * gw, 3 * ps * ps), w[p + "patch_embed.proj.weight"].reshape(width, -1),
                   w[p + "patch_embed.proj.bias"])
        x = np.concatenate([w[p + "cls_token"].reshape(1, width), x]) + w[p + "pos_embed"][0]
        for i in range(v["layers"]):
            b = f"{p}blocks.{i}."

            def norm(t, n):
                return layer_norm(t, w[f"{b}norm{n}.weight"], w[f"{b}norm{n}.bias"], eps)

            if post_norm:  # EvaBlockPostNorm: x + norm1(attn(x)); x + norm2(mlp(x))
                x = x + norm(attention_branch(x, b), 1)
                x = x + norm(mlp_branch(x, b), 2)
            else:          # EvaBlock: x + attn(norm1(x)); x + mlp(norm2(x))
                x = x + attention_branch(norm(x, 1), b)
                x = x + mlp_branch(norm(x, 2), b)
        if "no_final_norm" not in variant:
            x = layer_norm(x, w[p + "norm.weight"], w[p + "norm.bias"], eps)
        pooled = x[prefix:].mean(0) if "avg_pool" in variant else x[0]          # token pooling: class token
        outputs.append(linear(pooled, w[p + "head.weight"], w[p + "head.bias"]))  # timm head
    return np.stack(outputs)


VARIANTS = {  # plausible misreadings of the vision tower; the README reports how far each moves image.npy
    "rotate_half": "RoPE pairs (i, i + head_dim/2) instead of interleaved (2i, 2i+1)",
    "ij": "column coordinate in the first half of the pairs instead of the row (grid_indexing 'xy')",
    "offset_flip": "rope_grid_offset 1 instead of 0",
    "no_ref_scale": "no ref_feat_shape / grid scaling of the coordinates",
    "bands_over_half_dim": "frequencies theta^(-i / (head_dim/2)) instead of theta^(-i / (head_dim/4))",
    "no_rope": "no rotary embedding at all",
    "no_attn_norm": "attn.norm (inner LayerNorm before attn.proj) skipped",
    "no_mlp_norm": "mlp.norm (LayerNorm over the hidden width before fc2) skipped",
    "swap_swiglu": "SiLU on fc1_x instead of fc1_g",
    "swap_block_norm": "pre-norm blocks read as post-norm or vice versa",
    "no_final_norm": "final trunk.norm skipped",
    "avg_pool": "mean of the patch tokens instead of the class token",
    "tanh_gelu": "GELU tanh approximation in the image tower",
}


# ----------------------------------------------------------------------------------------------

def make_case(root, case):
    directory = root / "openclip-eva" / case["case"]
    torch.manual_seed(0)
    model = build_reduced(case)
    randomize(model, seed=case["seed"])
    with torch.no_grad():
        model.logit_scale.fill_(case["logit_scale"])
    check_randomized(model)
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
                           lengths=case["token_lengths"])
    (directory / "tokens.json").write_text(json.dumps(tokens) + "\n")
    with torch.no_grad():
        image = model.encode_image(px)
        text = model.encode_text(torch.tensor(tokens["pad_zero"]))
        text_eot = model.encode_text(torch.tensor(tokens["pad_eot"]))
    embed = reduced["embed_dim"]
    assert image.shape == (3, embed) and text.shape == (4, embed)
    save_npy(directory / "image.npy", image.numpy())
    save_npy(directory / "text.npy", text.numpy())
    # Causal mask + argmax pooling: nothing after the first end-of-text matters.
    assert relative_error(text_eot.double().numpy(), text.double().numpy()) < 1e-6

    # open_clip itself must load what was written (with the same reductions) and agree exactly.
    reloaded = build_reduced(case, directory)
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(px), image)
        assert torch.equal(reloaded.encode_text(torch.tensor(tokens["pad_zero"])), text)

    # The rotary table timm uses equals ours (sin then cos, each in the interleaved [f0, f0, f1, f1, ..] layout).
    if reduced["vision"]["rope"] is not None:
        angles = np.repeat(rope_angles(reduced["vision"]), 2, axis=1)
        timm_table = model.visual.trunk.rope.get_embed().double().numpy()
        assert np.abs(timm_table - np.concatenate([np.sin(angles), np.cos(angles)], 1)).max() < 1e-5

    # The independent float64 forward pass, from the files just written.
    w = load_numpy_weights(directory / "open_clip_model.safetensors")
    reduced_read = json.loads((directory / "reduced.json").read_text())
    image_error = relative_error(numpy_image(w, reduced_read, np.load(root / "pixels" / f"{size}.npy")),
                                 np.load(directory / "image.npy").astype(np.float64))
    text_error = relative_error(numpy_text(w, reduced_read, tokens["pad_zero"]),
                                np.load(directory / "text.npy").astype(np.float64))
    text_unpadded_error = relative_error(numpy_text(w, reduced_read, tokens["unpadded"]),
                                         np.load(directory / "text.npy").astype(np.float64))
    assert max(image_error, text_error, text_unpadded_error) < NUMPY_TOLERANCE, (image_error, text_error)
    # Measured against our own float64 output, so that a variant that changes nothing shows 0.
    baseline = numpy_image(w, reduced_read, px.numpy())
    variants = {name: relative_error(numpy_image(w, reduced_read, px.numpy(), (name,)), baseline)
                for name in VARIANTS}
    size_kib = (directory / "open_clip_model.safetensors").stat().st_size / 1024
    print(f"{case['case']}: {len(state)} tensors, {sum(v.numel() for v in state.values())} parameters "
          f"({size_kib:.0f} KiB), embed {embed}; numpy float64 vs open_clip: image {image_error:.1e}, "
          f"text {text_error:.1e} (unpadded {text_unpadded_error:.1e})")
    return {"numpy": max(image_error, text_error, text_unpadded_error), "image": image_error,
            "text": max(text_error, text_unpadded_error), "variants": variants}


README = """\
open_clip EVA-CLIP checkpoints (EVA01 / EVA02) with timm `Eva` image towers, for CLIPModelsTests.

Made by `Scripts/make_openclip_eva_fixtures.py` with torch {torch}, open_clip_torch {open_clip},
timm {timm}, safetensors {safetensors}, numpy {numpy} (the script checks these versions and is
deterministic: every random tensor comes from a seeded `torch.Generator`). All weights are
random; no trained model is included. Regenerate with
`python3 Scripts/make_openclip_eva_fixtures.py` (reads ../pixels/{{32,36,40,48}}.npy).

Each folder is laid out as open_clip's Hub export: `open_clip_config.json` (the REAL built-in
`model_cfg` of the named model, unchanged, so it names full-size towers, and the `preprocess_cfg`
of its only pretrained tag: OpenAI mean/std, bicubic, resize_mode "shortest") and
`open_clip_model.safetensors` (F32, the `state_dict()` of an open_clip `CustomTextCLIP`:
`visual.trunk.*` of timm's `Eva` (`global_pool='token'`, timm's `head` Linear width -> embed_dim
with bias), `text.*` of open_clip's causal `TextTransformer` (`text_projection` a bare
[width, embed] matrix, no bias), and a 0-dimensional `logit_scale`; no `logit_bias`).
`reduced.json` gives the sizes and structural options read off the built model: vision `grid`,
`head_dim`, `post_norm`, `qkv_fused`, `q_bias` / `k_bias` / `v_bias`, `attn_inner_norm`,
`mlp_kind` ("swiglu" | "mlp"), `mlp_width`, `activation`, `mlp_norm`, `eps`, `class_token`,
`pos_embed_includes_class_token`, `patch_bias`, `pre_norm`, `final_norm`, `fc_norm`,
`layer_scale`, `pool`, `rope` (null, or {{theta, bands_per_axis (= head_dim/4), ref_feat_shape,
coordinate_scale (= ref / grid), grid_offset, grid_indexing, rotate_half, unrotated_prefix_tokens}}),
`head_bias`; text `causal_mask`, `pool` ("argmax"), `projection_bias`, `sot_id`, `eot_id`.

    eva02-base/      EVA02-B-16 (eva02_base_patch16_clip_224). Vision: image 32, patch 8 (4x4),
                     width 48, 2 layers, 4 heads (head_dim 12: 3 frequencies per axis), SwiGLU
                     MLP 128, RoPE ref 16x16 (coordinates scaled by 16/4 = 4). Head 48 -> 40.
                     Text: vocab 300, context 12, width 32, 2 layers, 2 heads, MLP 64. embed 40.
    eva02-large336/  EVA02-L-14-336 (eva02_large_patch14_clip_336). Vision: image 40, patch 8
                     (odd 5x5 grid), width 40, 3 layers, 2 heads (head_dim 20: 5 frequencies per
                     axis), SwiGLU MLP 106, ref 16x16 (scale 3.2). Head 40 -> 32. Text: vocab 320,
                     context 14, width 24, 2 layers, 3 heads, MLP 60. embed 32.
    eva01-giant/     EVA01-g-14 (eva_giant_patch14_224). Vision: image 36, patch 12 (3x3), width 32,
                     2 layers, 2 heads, GELU MLP 139 (int(32 x 6144/1408)), no RoPE. Head 32 -> 24.
                     Text: vocab 260, context 16, width 20, 2 layers, 4 heads, MLP 40. embed 24.
    eva02-enormous/  EVA02-E-14 (eva02_enormous_patch14_clip_224): POST-norm blocks. Vision: image
                     48, patch 6 (8x8), width 24, 2 layers, 2 heads, GELU MLP 205
                     (int(24 x 15360/1792)), no RoPE. Head 24 -> 36. Text: vocab 200, context 8,
                     width 28, 2 layers, 2 heads, MLP 56. embed 36.

Common to all: patch convolution with bias; class token; learned pos_embed including the class
token position; no norm_pre; no layer scale; final `norm`, class-token pooling, no fc_norm;
image LayerNorm eps 1e-6, text LayerNorm eps 1e-5; exact (erf) GELU. EVA02-B/L: separate
`q_proj` (bias), `k_proj` (NO bias), `v_proj` (bias); `attn.norm` LayerNorm over the width on the
attention output before `attn.proj`; SwiGLU `silu(fc1_g(x)) * fc1_x(x)`, then `mlp.norm`
LayerNorm over the hidden width, then `fc2`; RoPE on every token but the class token, interleaved
pairs, row coordinate first (grid_indexing 'ij'), grid_offset 0, coordinates
(index + 0) / grid * 16. EVA01-g / EVA02-E: fused `attn.qkv.weight` without bias plus
`attn.q_bias` and `attn.v_bias` (key bias 0, not stored); plain fc1 -> GELU -> fc2 MLP.
EVA02-E: x = x + norm1(attn(x)); x = x + norm2(mlp(x)). At full size the coordinate scale is
16/14 for EVA02-B-16 and 16/24 for EVA02-L-14-336 (ref_feat_shape is 16 in both), never 1.

References, computed by open_clip in float32:
    image.npy    [3, embed]  model.encode_image(pixels/<image_size>.npy), not normalized.
    tokens.json  "unpadded": 4 sequences [sot, ids..., eot] of lengths 2, 6, context and 11
                 (5 for eva02-enormous, context 8) (sot = vocab-2, eot = vocab-1, the highest
                 id, so argmax pooling takes it; middle ids in [1, vocab-3)); "pad_zero": the
                 same padded to the context with 0; "pad_eot": padded with eot.
    text.npy     [4, embed]  model.encode_text(pad_zero), not normalized. The same values come
                 from the pad_eot batch (open_clip, to < 1e-6 of max |reference|) and from each
                 unpadded sequence alone (float64 forward below).

An independent float64 re-implementation from the safetensors and reduced.json alone
(`numpy_image` in the script, `numpy_text` of make_openclip_pe_fixtures.py) agrees with the
references to within {numpy_error:.0e} of max |reference| (max |diff| / max |reference|):
{per_case}
How far plausible misreadings of the image tower move the image embeddings (max |variant -
correct| / max |correct|, both from the float64 forward pass; "0": below 1e-12, i.e. the case
does not have that part):
{variants}
A key bias (EVA01 / EVA02-E have none: zero, not stored; EVA02 `k_proj` has none) would cancel
in the softmax anyway (it adds the same q.b to every score of a row), so no reference could tell.
Exact and tanh GELU differ here by under 2e-4 of max |reference|: a test that must tell them
apart needs a tolerance well below that.
"""


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = [make_case(root, case) for case in CASES]
    numpy_error = max(r["numpy"] for r in results)
    per_case = "\n".join(f"    {case['case']:<16} image {r['image']:.1e}, text {r['text']:.1e}"
                         for case, r in zip(CASES, results))
    lines = ["    " + "".join(f"{case['case']:>15}" for case in CASES)]
    for name, what in VARIANTS.items():
        values = "".join(f"{r['variants'][name]:>15.1e}" if r["variants"][name] > 1e-12 else f"{'0':>15}"
                         for r in results)
        lines.append(f"    {values}  {name}: {what}")
    out = root / "openclip-eva"
    (out / "README.md").write_text(README.format(**PINNED, numpy_error=max(numpy_error, 1e-8), per_case=per_case,
                                                 variants="\n".join(lines)))
    print("\n".join(lines))
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"fixtures written to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
