#!/usr/bin/env python3
"""Writes Tests/CLIPModelsTests/Fixtures/openclip-pe: tiny random-weight open_clip PE-Core
(Perception Encoder) checkpoints exactly as open_clip lays them out (a `CustomTextCLIP` whose
image tower is open_clip's `TimmModel` around a timm `vit_pe_core_*` `Eva` with `global_pool='map'`
and `timm_proj: null`, so that timm's own `head` is a Linear width -> embed_dim, and whose text
tower is open_clip's standard causal `TextTransformer` with argmax pooling), with references
computed by open_clip, and checks them against an independent float64 numpy forward pass
(`numpy_image` / `numpy_text` below, from the safetensors file and reduced.json only).

Pinned versions and conventions as Scripts/make_openclip_timm_fixtures.py, whose helpers this
script imports (version check, randomization, timm.create_model reduction, checkpoint writing).

Usage: python3 Scripts/make_openclip_pe_fixtures.py [fixtures-dir]
(default: Tests/CLIPModelsTests/Fixtures; the cases go to <fixtures-dir>/openclip-pe/<case>/).
Deterministic. Reads pixels/{32,36,40,48}.npy.

The model is built by `open_clip.create_model(<name>, pretrained=None)` from the real built-in
config of <name>; timm.create_model receives smaller `img_size, patch_size, embed_dim, depth,
num_heads, mlp_ratio, attn_pool_num_heads, attn_pool_mlp_ratio` (everything else - class token,
norm_pre, RoPE `ref_feat_shape`, `rope_grid_offset`, `rope_grid_indexing`, LayerNorm eps - stays
the model function's own), and create_model's overrides replace `embed_dim`, `text_cfg` (the
real one with smaller sizes) and `vision_cfg.image_size`. open_clip_config.json holds the REAL
config of <name>, unchanged; reduced.json the sizes and options actually used.

Cases (sizes unlike any real model and unlike each other; see README below for the list).
Each case folder: open_clip_config.json, open_clip_model.safetensors (state_dict(), F32),
reduced.json, image.npy [3, embed] (encode_image of pixels/<image>.npy, not normalized),
tokens.json ({"unpadded", "pad_zero", "pad_eot"}: 4 sequences [sot, ids..., eot] of lengths 2, 6,
context and 11, sot = vocab-2, eot = vocab-1 = the highest id), text.npy [4, embed] (encode_text
of the pad_zero batch, not normalized).
"""
import copy
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_openclip_timm_fixtures import (  # noqa: E402
    PINNED, activation_name, check_against_full_size, check_versions, layer_norm_eps, randomize, reduced_timm,
    save_npy, write_checkpoint)

CASES = [
    # Trunk heads 4, pool heads 2; coordinates scaled by ref 14 / grid 4 = 3.5.
    dict(case="pe-base", model="PE-Core-B-16", seed=501, embed_dim=40, logit_scale=4.25,
         vision=dict(image_size=32, patch_size=8, width=48, layers=2, heads=4, mlp_ratio=2.5,
                     pool_heads=2, pool_mlp_ratio=3.0),
         text=dict(vocab_size=300, context_length=12, width=32, layers=2, heads=2, mlp_ratio=2.0)),
    # Odd 5x5 grid, ref 24 / 5 = 4.8, 3 layers, pool heads 4 > trunk heads 2.
    dict(case="pe-large", model="PE-Core-L-14-336", seed=502, embed_dim=24, logit_scale=3.75,
         vision=dict(image_size=40, patch_size=8, width=32, layers=3, heads=2, mlp_ratio=3.0,
                     pool_heads=4, pool_mlp_ratio=2.0),
         text=dict(vocab_size=320, context_length=14, width=24, layers=2, heads=3, mlp_ratio=2.5)),
    # head_dim 20: an odd number (5) of frequencies per axis; 3x3 grid of 12-px patches, ref 24.
    dict(case="pe-tiny", model="PE-Core-T-16-384", seed=503, embed_dim=32, logit_scale=4.5,
         vision=dict(image_size=36, patch_size=12, width=40, layers=2, heads=2, mlp_ratio=2.0,
                     pool_heads=5, pool_mlp_ratio=1.5),
         text=dict(vocab_size=260, context_length=16, width=20, layers=2, heads=4, mlp_ratio=2.0)),
    # bigG: NO class token, rope_grid_offset 0, ref 32; embed_dim larger than the width.
    dict(case="pe-bigg", model="PE-Core-bigG-14-448", seed=504, embed_dim=48, logit_scale=4.0,
         vision=dict(image_size=48, patch_size=8, width=32, layers=2, heads=4, mlp_ratio=3.5,
                     pool_heads=2, pool_mlp_ratio=4.0),
         text=dict(vocab_size=280, context_length=18, width=28, layers=2, heads=2, mlp_ratio=2.0)),
]

# Agreement required between the float64 numpy forward and open_clip's float32 references.
NUMPY_TOLERANCE = 1e-5


# ----------------------------------------------------------------------------------------------
# Building the reduced model with open_clip / timm.

def timm_kwargs(case):
    v = case["vision"]
    return dict(img_size=v["image_size"], patch_size=v["patch_size"], embed_dim=v["width"], depth=v["layers"],
                num_heads=v["heads"], mlp_ratio=v["mlp_ratio"], attn_pool_num_heads=v["pool_heads"],
                attn_pool_mlp_ratio=v["pool_mlp_ratio"])


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


def describe(model, case):
    """reduced.json, read off the built model (and checked against the intended sizes)."""
    from timm.layers import AttentionRope
    from timm.layers.pos_embed_sincos import RotaryEmbeddingCat

    trunk, text = model.visual.trunk, model.text
    block, pool, rope = trunk.blocks[0], trunk.attn_pool, trunk.rope
    attn = block.attn
    grid = list(trunk.patch_embed.grid_size)
    # Everything the forward pass below assumes about the timm model.
    assert type(trunk).__name__ == "Eva" and isinstance(attn, AttentionRope) and isinstance(rope, RotaryEmbeddingCat)
    assert all(type(b).__name__ == "EvaBlock" and b.gamma_1 is None and b.gamma_2 is None for b in trunk.blocks)
    assert all(isinstance(getattr(b.attn, m), torch.nn.Identity) for b in trunk.blocks
               for m in ("q_norm", "k_norm", "norm"))
    assert attn.qkv is not None and attn.qkv.bias is not None and attn.gate is None and attn.num_kv_groups == 1
    assert attn.head_dim * attn.num_heads == trunk.embed_dim and not attn.rotate_half
    assert trunk.reg_token is None and not trunk.no_embed_class and not trunk.dynamic_img_size
    assert trunk.patch_embed.proj.bias is None and isinstance(trunk.norm_pre, torch.nn.LayerNorm)
    assert isinstance(trunk.norm, torch.nn.LayerNorm) and isinstance(trunk.fc_norm, torch.nn.Identity)
    assert trunk.global_pool == "map" and isinstance(trunk.head, torch.nn.Linear) and trunk.head.bias is not None
    assert len(model.visual.head) == 0  # open_clip adds nothing after timm's head (timm_proj null)
    assert not rope.in_pixels and rope.grid_type == "index" and not rope.rotate_half and not rope.aug_active
    assert rope.dim == attn.head_dim and rope.dim % 4 == 0 and list(rope.feat_shape) == grid
    assert all(b.attn.num_prefix_tokens == trunk.num_prefix_tokens for b in trunk.blocks)
    assert pool.latent_len == 1 and pool.pool == "token" and pool.pos_embed is None
    assert isinstance(pool.q, torch.nn.Linear) and isinstance(pool.q_norm, torch.nn.Identity)
    assert isinstance(pool.norm, torch.nn.LayerNorm) and pool.mlp is not None
    assert not trunk.rope_mixed and trunk.patch_drop is None
    vision = {
        "image_size": trunk.patch_embed.img_size[0],
        "patch_size": trunk.patch_embed.patch_size[0],
        "grid": grid,
        "width": trunk.embed_dim,
        "layers": len(trunk.blocks),
        "heads": attn.num_heads,
        "head_dim": attn.head_dim,
        "mlp_width": block.mlp.fc1.out_features,
        "activation": activation_name(block.mlp.act),
        "eps": layer_norm_eps(trunk),
        "class_token": trunk.cls_token is not None,
        "patch_bias": False,
        "pre_norm": True,
        "layer_scale": False,
        "qkv_bias": True,
        "rope": {
            "kind": "axial 2-D, interleaved pairs",
            "theta": float(rope.temperature),
            "bands_per_axis": rope.dim // 4,
            "ref_feat_shape": list(rope.ref_feat_shape),
            "grid_offset": float(rope.grid_offset),
            "grid_indexing": rope.grid_indexing,
            "rotate_half": bool(rope.rotate_half),
            "unrotated_prefix_tokens": attn.num_prefix_tokens,
        },
        "pool_heads": pool.num_heads,
        "pool_head_dim": pool.head_dim,
        "pool_mlp_width": pool.mlp.fc1.out_features,
        "pool_activation": activation_name(pool.mlp.act),
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
    expected = (v["image_size"], v["patch_size"], v["width"], v["layers"], v["heads"], v["pool_heads"],
                int(v["width"] * v["mlp_ratio"]), int(v["width"] * v["pool_mlp_ratio"]))
    got = (vision["image_size"], vision["patch_size"], vision["width"], vision["layers"], vision["heads"],
           vision["pool_heads"], vision["mlp_width"], vision["pool_mlp_width"])
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


def token_batches(context, sot, eot, seed, lengths=None):
    """As Scripts/make_model_fixtures.py: sequences [sot, ids in [1, sot-1), eot] of the given
    lengths (default 2, 6, context and 11), padded to `context` with 0 and with `eot`."""
    g = torch.Generator().manual_seed(seed)
    sequences = []
    for n in lengths or (2, 6, context, 11):
        assert 2 <= n <= context, (n, context)
        middle = torch.randint(1, sot - 1, (n - 2,), generator=g).tolist()
        sequences.append([sot] + middle + [eot])
    return {"unpadded": sequences,
            "pad_zero": [s + [0] * (context - len(s)) for s in sequences],
            "pad_eot": [s + [eot] * (context - len(s)) for s in sequences]}


# ----------------------------------------------------------------------------------------------
# Independent float64 forward pass: numpy only, from the safetensors file and reduced.json.

def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


_erf = np.vectorize(math.erf)


def gelu(x, kind="gelu"):
    if kind == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    if kind == "quick_gelu":  # open_clip's QuickGELU (OpenAI CLIP), x * sigmoid(1.702 x)
        return x / (1 + np.exp(-1.702 * x))
    assert kind == "gelu_pytorch_tanh"
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def linear(x, w, b=None):
    return x @ w.T + (0 if b is None else b)


def attention(q, k, v, mask=None):
    """q [heads, Nq, d], k/v [heads, Nk, d] -> [Nq, heads*d] (heads concatenated in order)."""
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    out = probs @ v
    return out.transpose(1, 0, 2).reshape(q.shape[1], -1)


def split_heads(x, heads):
    """[N, heads*d] -> [heads, N, d]: head h is columns h*d ..< (h+1)*d."""
    n, width = x.shape
    return x.reshape(n, heads, width // heads).transpose(1, 0, 2)


def rope_angles(vision, variant=()):
    """[grid_h * grid_w, head_dim / 2] angles, one per (token in row-major order, rotated pair)."""
    rope = vision["rope"]
    gh, gw = vision["grid"]
    ref_h, ref_w = rope["ref_feat_shape"]
    nb = rope["bands_per_axis"]
    offset = rope["grid_offset"]
    if "offset_flip" in variant:
        offset = 1.0 - offset
    if "no_ref_scale" in variant:
        ref_h, ref_w = gh, gw
    exponent = np.arange(nb) / nb
    if "bands_over_half_dim" in variant:
        exponent = np.arange(nb) / (2 * nb)
    freqs = 1.0 / rope["theta"] ** exponent                      # [nb]
    rows, cols = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
    y = ((rows.reshape(-1) + offset) / gh * ref_h)[:, None]     # row coordinate
    x = ((cols.reshape(-1) + offset) / gw * ref_w)[:, None]     # column coordinate
    first, second = (x, y) if rope["grid_indexing"] == "xy" else (y, x)
    if "ij" in variant:
        first, second = second, first
    return np.concatenate([first * freqs, second * freqs], axis=1)  # [N, 2*nb]


def apply_rope(t, angles, variant=()):
    """t [heads, N, head_dim]; pair j = dims (2j, 2j+1) is rotated by angles[:, j]."""
    cos, sin = np.cos(angles), np.sin(angles)
    out = np.empty_like(t)
    if "rotate_half" in variant:
        half = t.shape[-1] // 2
        a, b = t[..., :half], t[..., half:]
        out[..., :half], out[..., half:] = a * cos - b * sin, b * cos + a * sin
        return out
    a, b = t[..., 0::2], t[..., 1::2]
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = b * cos + a * sin
    return out


def numpy_image(w, reduced, pixels, variant=()):
    """encode_image, float64. w: the safetensors tensors (float64), pixels [B, 3, S, S]."""
    v = reduced["vision"]
    p = "visual.trunk."
    eps, heads, width, (gh, gw), ps = v["eps"], v["heads"], v["width"], v["grid"], v["patch_size"]
    prefix = 1 if v["class_token"] else 0
    angles = rope_angles(v, variant)
    act = "gelu_pytorch_tanh" if "tanh_gelu" in variant else v["activation"]
    outputs = []
    for image in pixels.astype(np.float64):
        # Patch embedding: a stride-ps convolution without bias = one matrix product per patch,
        # the patch flattened in (channel, row, column) order; patches in row-major grid order.
        patches = image[:, :gh * ps, :gw * ps].reshape(3, gh, ps, gw, ps).transpose(1, 3, 0, 2, 4)
        x = patches.reshape(gh * gw, 3 * ps * ps) @ w[p + "patch_embed.proj.weight"].reshape(width, -1).T
        if prefix:
            x = np.concatenate([w[p + "cls_token"].reshape(1, width), x])
        x = x + w[p + "pos_embed"][0]
        if "no_norm_pre" not in variant:
            x = layer_norm(x, w[p + "norm_pre.weight"], w[p + "norm_pre.bias"], eps)
        for i in range(v["layers"]):
            b = f"{p}blocks.{i}."
            h = layer_norm(x, w[b + "norm1.weight"], w[b + "norm1.bias"], eps)
            qkv = linear(h, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])
            q, k, val = (split_heads(qkv[:, j * width:(j + 1) * width], heads) for j in range(3))
            if "no_rope" not in variant:  # the class token (if any) is not rotated
                q[:, prefix:] = apply_rope(q[:, prefix:], angles, variant)
                k[:, prefix:] = apply_rope(k[:, prefix:], angles, variant)
            x = x + linear(attention(q, k, val), w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
            h = layer_norm(x, w[b + "norm2.weight"], w[b + "norm2.bias"], eps)
            h = gelu(linear(h, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"]), act)
            x = x + linear(h, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
        x = layer_norm(x, w[p + "norm.weight"], w[p + "norm.bias"], eps)
        # Attention pool: one learned latent query attends over ALL tokens (class token included).
        a = p + "attn_pool."
        pool_heads = heads if "pool_trunk_heads" in variant else v["pool_heads"]
        tokens = x[prefix:] if "pool_no_prefix" in variant else x
        q = linear(w[a + "latent"][0], w[a + "q.weight"], w[a + "q.bias"])           # [1, width]
        kv = linear(tokens, w[a + "kv.weight"], w[a + "kv.bias"])                    # [N, 2*width]
        y = attention(split_heads(q, pool_heads), split_heads(kv[:, :width], pool_heads),
                      split_heads(kv[:, width:], pool_heads))
        y = linear(y, w[a + "proj.weight"], w[a + "proj.bias"])                      # no residual
        h = layer_norm(y, w[a + "norm.weight"], w[a + "norm.bias"], eps)
        h = gelu(linear(h, w[a + "mlp.fc1.weight"], w[a + "mlp.fc1.bias"]), act)
        y = y + linear(h, w[a + "mlp.fc2.weight"], w[a + "mlp.fc2.bias"])           # residual
        outputs.append(linear(y[0], w[p + "head.weight"], w[p + "head.bias"]))      # timm head
    return np.stack(outputs)


def numpy_text(w, reduced, batch):
    """encode_text, float64: open_clip's text transformer (causal unless reduced says
    causal_mask false), pooled at argmax(ids) - the first highest id."""
    t = reduced["text"]
    eps, heads, width = t["eps"], t["heads"], t["width"]
    outputs = []
    for ids in batch:
        n = len(ids)
        x = w["text.token_embedding.weight"][ids] + w["text.positional_embedding"][:n]
        mask = np.triu(np.full((n, n), -np.inf), 1) if t["causal_mask"] else None
        for i in range(t["layers"]):
            b = f"text.transformer.resblocks.{i}."
            h = layer_norm(x, w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
            qkv = linear(h, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"])
            q, k, val = (split_heads(qkv[:, j * width:(j + 1) * width], heads) for j in range(3))
            x = x + linear(attention(q, k, val, mask), w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"])
            h = layer_norm(x, w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps)
            h = gelu(linear(h, w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"]), t["activation"])
            x = x + linear(h, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        x = layer_norm(x, w["text.ln_final.weight"], w["text.ln_final.bias"], eps)
        outputs.append(x[int(np.argmax(ids))] @ w["text.text_projection"])          # first highest id
    return np.stack(outputs)


VARIANTS = {  # plausible misreadings of the vision tower; the README reports how far each moves image.npy
    "rotate_half": "RoPE pairs (i, i + head_dim/2) instead of interleaved (2i, 2i+1)",
    "ij": "row coordinate in the first half of the pairs instead of the column (grid_indexing 'ij')",
    "offset_flip": "rope_grid_offset 1 - offset (0 for T/S/B/L, 1 for bigG)",
    "no_ref_scale": "no ref_feat_shape / grid scaling of the coordinates",
    "bands_over_half_dim": "frequencies theta^(-i / (head_dim/2)) instead of theta^(-i / (head_dim/4))",
    "no_rope": "no rotary embedding at all",
    "pool_trunk_heads": "attention pool with the trunk's head count",
    "pool_no_prefix": "attention pool over the patch tokens only (class token left out)",
    "no_norm_pre": "norm_pre skipped",
    "tanh_gelu": "GELU tanh approximation in the image tower",
}


def load_numpy_weights(path):
    from safetensors.numpy import load_file

    return {k: v.astype(np.float64) for k, v in load_file(str(path)).items()}


def relative_error(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


# ----------------------------------------------------------------------------------------------

def check_full_size_shapes(state, model_name):
    """Key names as the full-size model (up to the layer count), same ranks, no larger shapes."""
    full_state = check_against_full_size(state, model_name)
    for k, v in state.items():
        assert all(r <= f for r, f in zip(v.shape, full_state[k].shape)), (k, v.shape, full_state[k].shape)


def make_case(root, case):
    directory = root / "openclip-pe" / case["case"]
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
    tokens = token_batches(t["context_length"], t["sot_id"], t["eot_id"], seed=case["seed"] + 1)
    (directory / "tokens.json").write_text(json.dumps(tokens) + "\n")
    with torch.no_grad():
        image = model.encode_image(px)
        text = model.encode_text(torch.tensor(tokens["pad_zero"]))
        text_eot = model.encode_text(torch.tensor(tokens["pad_eot"]))
    embed = reduced["embed_dim"]
    assert image.shape == (3, embed) and text.shape == (4, embed)
    save_npy(directory / "image.npy", image.numpy())
    save_npy(directory / "text.npy", text.numpy())
    # Causal mask + argmax pooling: nothing after the first end-of-text matters. (open_clip cannot
    # encode a shorter sequence with this tower - its full-context causal mask does not fit - so
    # the unpadded sequences are checked by the numpy forward pass below.)
    assert relative_error(text_eot.double().numpy(), text.double().numpy()) < 1e-6

    # open_clip itself must load what was written (with the same reductions) and agree exactly.
    reloaded = build_reduced(case, directory)
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with torch.no_grad():
        assert torch.equal(reloaded.encode_image(px), image)
        assert torch.equal(reloaded.encode_text(torch.tensor(tokens["pad_zero"])), text)

    # The rotary table timm uses equals ours (sin then cos, each in the interleaved [f0, f0, f1, f1, ..] layout).
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
    print(f"{case['case']}: {len(state)} tensors, {sum(v.numel() for v in state.values())} parameters, "
          f"embed {embed}; numpy float64 vs open_clip: image {image_error:.1e}, text {text_error:.1e} "
          f"(unpadded {text_unpadded_error:.1e})")
    return {"numpy": max(image_error, text_error, text_unpadded_error), "variants": variants}


README = """\
open_clip PE-Core (Perception Encoder) checkpoints with timm `Eva` image towers, for
CLIPModelsTests.

Made by `Scripts/make_openclip_pe_fixtures.py` with torch {torch}, open_clip_torch {open_clip},
timm {timm}, safetensors {safetensors}, numpy {numpy} (the script checks these versions and is
deterministic: every random tensor comes from a seeded `torch.Generator`). All weights are
random; no trained model is included.

Each folder is laid out as open_clip's Hub export: `open_clip_config.json` (the REAL built-in
`model_cfg` of the named model, unchanged, so it names full-size towers, and the `preprocess_cfg`
of its `meta` weights: mean and std 0.5, bilinear, squash) and `open_clip_model.safetensors` (F32,
the `state_dict()` of an open_clip `CustomTextCLIP`: `visual.trunk.*` of timm's `Eva`
(`vit_pe_core_*`, `global_pool='map'`, timm's `head` Linear width -> embed_dim with bias),
`text.*` of open_clip's causal `TextTransformer` (`text_projection` a bare [width, embed]
matrix, no bias), and a 0-dimensional `logit_scale`; no `logit_bias`: CLIP-style scoring).
`reduced.json` gives the sizes and options actually used; besides the SigLIP fixtures' fields:
vision `grid`, `head_dim`, `class_token`, `patch_bias` (false), `pre_norm` (norm_pre, true),
`layer_scale` (false), `qkv_bias` (true), `rope` {{theta, bands_per_axis (= head_dim/4),
ref_feat_shape, grid_offset, grid_indexing, rotate_half (false: interleaved pairs),
unrotated_prefix_tokens}}, `pool_heads`, `pool_head_dim`, `pool_mlp_width`, `pool_activation`,
`head_bias`; text `causal_mask`, `pool` ("argmax"), `projection_bias`, `sot_id`, `eot_id`.

    pe-base/   PE-Core-B-16 (vit_pe_core_base_patch16_224). Vision: image 32, patch 8 (4x4 grid),
               width 48, 2 layers, 4 heads (head_dim 12: 3 frequencies per axis), MLP 120,
               RoPE ref 14x14 (coordinates scaled by 14/4), offset 1; attention pool 2 heads,
               MLP 144. Head 48 -> 40. Text: vocab 300, context 12, width 32, 2 layers, 2 heads,
               MLP 64. embed 40.
    pe-large/  PE-Core-L-14-336 (vit_pe_core_large_patch14_336). Vision: image 40, patch 8 (5x5),
               width 32, 3 layers, 2 heads (head_dim 16), MLP 96, ref 24x24 (scale 4.8), offset 1;
               pool 4 heads, MLP 64. Head 32 -> 24. Text: vocab 320, context 14, width 24,
               2 layers, 3 heads, MLP 60. embed 24.
    pe-tiny/   PE-Core-T-16-384 (vit_pe_core_tiny_patch16_384). Vision: image 36, patch 12 (3x3),
               width 40, 2 layers, 2 heads (head_dim 20: 5 frequencies per axis), MLP 80,
               ref 24x24 (scale 8), offset 1; pool 5 heads, MLP 60. Head 40 -> 32. Text: vocab
               260, context 16, width 20, 2 layers, 4 heads, MLP 40. embed 32.
    pe-bigg/   PE-Core-bigG-14-448 (vit_pe_core_gigantic_patch14_448): NO class token (pos_embed
               has grid tokens only, every token rotated), rope_grid_offset 0. Vision: image 48,
               patch 8 (6x6), width 32, 2 layers, 4 heads (head_dim 8), MLP 112, ref 32x32
               (scale 32/6); pool 2 heads, MLP 128. Head 32 -> 48. Text: vocab 280, context 18,
               width 28, 2 layers, 2 heads, MLP 56. embed 48.

In every case: exact (erf) GELU everywhere, every LayerNorm eps 1e-5, no layer scale, the
attention pool's head count and MLP width differ from the trunk's, embed_dim differs from both
tower widths. PE-Core-T/S/B/L differ from each other only in sizes and ref_feat_shape (always
image_size / patch_size of the real model, so the coordinate scale is exactly 1 at full size);
bigG additionally has no class token, rope_grid_offset 0 and MLP ratio 8960/1536. At full size
every attention pool has 8 heads and MLP ratio 4; the text context is 32 (72 for bigG).

References, computed by open_clip in float32:
    image.npy    [3, embed]  model.encode_image(pixels/<image_size>.npy), not normalized.
    tokens.json  "unpadded": 4 sequences [sot, ids..., eot] of lengths 2, 6, context and 11
                 (sot = vocab-2, eot = vocab-1, the highest id, so argmax pooling takes it; middle
                 ids in [1, vocab-3)); "pad_zero": the same padded to the context with 0;
                 "pad_eot": padded with eot.
    text.npy     [4, embed]  model.encode_text(pad_zero), not normalized. The same values
                 (causal mask + pooling at the FIRST highest id) come from the pad_eot batch
                 (open_clip, to < 1e-6 of max |reference|) and from each unpadded sequence alone
                 at its own length (float64 forward below; open_clip itself cannot run a sequence
                 shorter than the context through this tower: its causal mask is not sliced).

Tests require max |ours - reference| <= 1e-4 x max |reference| for every output. An
independent float64 re-implementation from the safetensors and reduced.json alone
(`numpy_image` / `numpy_text` in the script) agrees to {numpy_error:.0e} of max |reference|.
How far plausible misreadings of the image tower move the image embeddings (max |variant -
correct| / max |correct|, both from the float64 forward pass):
{variants}
("0": below 1e-12.) A constant shift of every rotated position cancels in q.k, so
rope_grid_offset matters only through the unrotated class token: not at all for bigG, which has
none (and whose pool therefore has no class token to attend to either).
"""


def main():
    check_versions()
    torch.set_num_threads(1)
    default = Path(__file__).resolve().parent.parent / "Tests" / "CLIPModelsTests" / "Fixtures"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    results = [make_case(root, case) for case in CASES]
    numpy_error = max(r["numpy"] for r in results)
    lines = ["    " + "".join(f"{case['case']:>10}" for case in CASES)]
    for name, what in VARIANTS.items():
        values = "".join(f"{r['variants'][name]:>10.1e}" if r["variants"][name] > 1e-12 else f"{'0':>10}"
                         for r in results)
        lines.append(f"    {values}  {name}: {what}")
    out = root / "openclip-pe"
    (out / "README.md").write_text(README.format(**PINNED, numpy_error=max(numpy_error, 1e-8),
                                                 variants="\n".join(lines)))
    print("\n".join(lines))
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"fixtures written to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
