#!/usr/bin/env python3
"""Writes the SafeTensors interoperability fixture with the reference `safetensors` library.

    python Scripts/make_safetensors_fixture.py                # -> Tests/SafeTensorsTests/Fixtures/interop.safetensors
    python Scripts/make_safetensors_fixture.py --large PATH   # ~600 MB F32 file at ViT-B/32 CLIP shapes (never commit)
    python Scripts/make_safetensors_fixture.py --check FILE   # checks a file written by the Swift SafeTensorsWriter

Pinned versions (the fixture records them in its __metadata__): safetensors 0.8.0, torch 2.15.0,
numpy 2.4.6, Python 3.11.

The fixture holds F32/F16/BF16/I64 tensors with chosen values (signed zeros, subnormals,
extremes, infinities, NaN), every other dtype the Swift reader converts, all 256 bit patterns of
each 8-bit float format together with torch's Float32 conversion of them (`<name>.as_f32`), an
empty tensor, a scalar, a C64 tensor and string metadata. Tests read it with exact expected
values; they never need Python.
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import safetensors
import torch
from safetensors.torch import save_file

PINNED = {"safetensors": "0.8.0", "torch": "2.15.0", "numpy": "2.4.6"}
ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "SafeTensorsTests" / "Fixtures" / "interop.safetensors"


def check_versions():
    found = {"safetensors": safetensors.__version__, "torch": torch.__version__.split("+")[0],
             "numpy": np.__version__}
    for name, version in PINNED.items():
        if found[name] != version:
            sys.exit(f"{name} {found[name]} is installed; this script is pinned to {version}")


def interop_tensors():
    t = {}
    t["f32"] = torch.tensor([0.0, -0.0, 1.5, -3.25, 1e-40, 3.4028234663852886e38], dtype=torch.float32).reshape(2, 3)
    # f32.grid[i] = i * 0.125 - 1, exact in every float format used here.
    t["f32.grid"] = (torch.arange(20, dtype=torch.float32) * 0.125 - 1.0).reshape(4, 5)
    t["f16"] = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-14, 2.0**-24, float("inf"), float("-inf"), float("nan")],
                            dtype=torch.float16)
    t["f16.rounded"] = torch.tensor([0.1, 1.0 / 3.0, -1234.567, 70000.0], dtype=torch.float32).to(torch.float16)
    t["f16.rounded.as_f32"] = t["f16.rounded"].float()
    t["bf16"] = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.3895313892515355e38, 2.0**-133, float("inf"), float("-inf"), float("nan")],
                             dtype=torch.bfloat16)
    t["bf16.rounded"] = torch.tensor([0.1, 1.0 / 3.0, -1234.567, 1e-3], dtype=torch.float32).to(torch.bfloat16)
    t["bf16.rounded.as_f32"] = t["bf16.rounded"].float()
    t["bf16.grid"] = t["f32.grid"].to(torch.bfloat16)
    t["position_ids"] = torch.arange(77, dtype=torch.int64).reshape(1, 77)
    t["i64.extremes"] = torch.tensor([-(2**63), 2**63 - 1, -1, 0, 16777217], dtype=torch.int64)
    t["f64"] = torch.tensor([0.1, -1e300, 1e-50, 2.0**60 + 1.0], dtype=torch.float64)
    t["f64.as_f32"] = t["f64"].float()
    t["i32"] = torch.tensor([-(2**31), 2**31 - 1, -7], dtype=torch.int32)
    t["i16"] = torch.tensor([-(2**15), 2**15 - 1, 3], dtype=torch.int16)
    t["i8"] = torch.tensor([-128, 127, -1], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    t["bool"] = torch.tensor([True, False, True], dtype=torch.bool)
    t["u16"] = torch.tensor([0, 65535], dtype=torch.uint16)
    t["u32"] = torch.tensor([0, 2**32 - 1], dtype=torch.uint32)
    t["u64"] = torch.tensor([0, 2**63 - 1], dtype=torch.uint64)
    all_bytes = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    for name, dtype in [("f8_e4m3", torch.float8_e4m3fn), ("f8_e5m2", torch.float8_e5m2),
                        ("f8_e4m3fnuz", torch.float8_e4m3fnuz), ("f8_e5m2fnuz", torch.float8_e5m2fnuz)]:
        t[name] = all_bytes.clone().view(dtype)
        t[name + ".as_f32"] = t[name].float()
    t["empty"] = torch.zeros((0, 3), dtype=torch.float32)
    t["scalar"] = torch.tensor(42.5, dtype=torch.float32)
    t["c64"] = torch.tensor([1 + 2j, -3.5 - 0.25j], dtype=torch.complex64)
    return t


def write_interop():
    tensors = interop_tensors()
    metadata = {"format": "pt", "generator": "Scripts/make_safetensors_fixture.py",
                "note": "unicode \u2713 \"quoted\" \\ backslash"}
    metadata.update(PINNED)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(FIXTURE), metadata=metadata)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes, {len(tensors)} tensors)")


def vit_b32_shapes():
    """Tensor names and shapes of a Hugging Face CLIP ViT-B/32 checkpoint (151,277,313 parameters)."""
    shapes = {}

    def encoder(prefix, layers, width, mlp):
        for i in range(layers):
            p = f"{prefix}.encoder.layers.{i}"
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                shapes[f"{p}.self_attn.{proj}.weight"] = [width, width]
                shapes[f"{p}.self_attn.{proj}.bias"] = [width]
            for norm in ("layer_norm1", "layer_norm2"):
                shapes[f"{p}.{norm}.weight"] = [width]
                shapes[f"{p}.{norm}.bias"] = [width]
            shapes[f"{p}.mlp.fc1.weight"] = [mlp, width]
            shapes[f"{p}.mlp.fc1.bias"] = [mlp]
            shapes[f"{p}.mlp.fc2.weight"] = [width, mlp]
            shapes[f"{p}.mlp.fc2.bias"] = [width]

    encoder("text_model", 12, 512, 2048)
    shapes["text_model.embeddings.token_embedding.weight"] = [49408, 512]
    shapes["text_model.embeddings.position_embedding.weight"] = [77, 512]
    shapes["text_model.final_layer_norm.weight"] = [512]
    shapes["text_model.final_layer_norm.bias"] = [512]
    encoder("vision_model", 12, 768, 3072)
    shapes["vision_model.embeddings.class_embedding"] = [768]
    shapes["vision_model.embeddings.patch_embedding.weight"] = [768, 3, 32, 32]
    shapes["vision_model.embeddings.position_embedding.weight"] = [50, 768]
    shapes["vision_model.pre_layrnorm.weight"] = [768]
    shapes["vision_model.pre_layrnorm.bias"] = [768]
    shapes["vision_model.post_layernorm.weight"] = [768]
    shapes["vision_model.post_layernorm.bias"] = [768]
    shapes["visual_projection.weight"] = [512, 768]
    shapes["text_projection.weight"] = [512, 512]
    shapes["logit_scale"] = []
    return shapes


def write_large(path):
    from safetensors.numpy import save_file as save_numpy
    rng = np.random.default_rng(0)
    tensors = {name: np.asarray(rng.standard_normal(size=shape, dtype=np.float32) * np.float32(0.02), dtype=np.float32)
               for name, shape in vit_b32_shapes().items()}
    tensors["text_model.embeddings.position_ids"] = np.arange(77, dtype=np.int64).reshape(1, 77)
    save_numpy(tensors, path, metadata={"format": "pt", "generator": "Scripts/make_safetensors_fixture.py --large"})
    count = sum(t.size for t in tensors.values())
    print(f"wrote {path} ({Path(path).stat().st_size} bytes, {len(tensors)} tensors, {count} elements)")


def check_swift_file(path):
    """Checks the file the Swift test `writerOutputForPython` leaves in the temporary directory."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    tensors = load_file(path)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
    expected = json.loads(metadata["expected"])
    failures = 0
    for name, want in expected.items():
        got = tensors[name]
        if list(got.shape) != want["shape"] or str(got.dtype) != want["torch_dtype"]:
            print(f"MISMATCH {name}: {got.dtype} {list(got.shape)} vs {want}")
            failures += 1
            continue
        values = got.float().flatten().tolist() if got.is_floating_point() else got.flatten().tolist()
        if values != want["values"]:
            print(f"MISMATCH {name}: {values} vs {want['values']}")
            failures += 1
    print(f"checked {len(expected)} tensors of {path} with safetensors {safetensors.__version__}: "
          f"{len(expected) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", metavar="PATH")
    parser.add_argument("--check", metavar="FILE")
    args = parser.parse_args()
    check_versions()
    if args.large:
        write_large(args.large)
    elif args.check:
        check_swift_file(args.check)
    else:
        write_interop()
