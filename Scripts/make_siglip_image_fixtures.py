#!/usr/bin/env python3
"""Writes Tests/ImageProcessingTests/Fixtures/siglip (SigLIP preprocessing references).

Pinned reference versions (checked at start; the script refuses to run with others):
    pillow 13.0.0, transformers 5.24.0, torch 2.15.0, torchvision 0.29.2, numpy 2.4.6

Never run by CI or `swift test`; run it by hand from the repository root, after
Scripts/make_image_fixtures.py (it reads that script's images and checks its CLIP references):

    python3 Scripts/make_siglip_image_fixtures.py

The reference is transformers' SigLIP image processor on its **Pillow backend**,
`SiglipImageProcessorPil` (what `AutoImageProcessor.from_pretrained(..., backend="pil")` selects;
in transformers 5 the class named `SiglipImageProcessor` is the torchvision backend, which
resizes with torch instead of Pillow). Its pipeline: convert to RGB (transparency composited over
white), resize straight to size.height x size.width with `resample`, rescale (float64 multiply by
rescale_factor, cast to float32), normalize ((x - mean) / std in float32). The torchvision
processor is run too and its largest difference from the reference is recorded in the manifest
(`torchvision_max_abs_diff`), for information only.

What it writes (Fixtures/siglip/):
  reference/*.rgb    raw 8-bit RGB (height x width x 3): the processor's image just before rescaling
  reference/*.f32    raw little-endian float32 [3, H, W] pixel_values, straight from Python
  manifest.json      configs (preprocessor_config.json dicts) and cases (image + config -> files)

Every case's full float tensor equals its 8-bit image rescaled and normalized with the reference's
own arithmetic; the script asserts that bit for bit, so most cases store only the 8-bit image.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np

EXPECTED = {"PIL": "13.0.0", "transformers": "5.24.0", "torch": "2.15.0", "torchvision": "0.29.2",
            "numpy": "2.4.6"}

import PIL  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
import transformers  # noqa: E402
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil  # noqa: E402
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil  # noqa: E402
from transformers.models.siglip.image_processing_siglip import SiglipImageProcessor  # noqa: E402

VERSIONS = {"PIL": PIL.__version__, "transformers": transformers.__version__,
            "torch": torch.__version__.split("+")[0], "torchvision": torchvision.__version__.split("+")[0],
            "numpy": np.__version__}
for name, version in EXPECTED.items():
    if VERSIONS[name] != version:
        sys.exit(f"{name} {VERSIONS[name]} installed, fixtures are pinned to {version}")

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageProcessingTests", "Fixtures")
IMAGES = os.path.join(FIXTURES, "images")
ROOT = os.path.join(FIXTURES, "siglip")
REFERENCE = os.path.join(ROOT, "reference")

# google/siglip-base-patch16-224's preprocessor_config.json, as shipped.
SIGLIP_BASE_224 = {
    "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
    "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"height": 224, "width": 224},
}
CONFIGS = {
    "siglip224": SIGLIP_BASE_224,
    "siglip64": dict(SIGLIP_BASE_224, size={"height": 64, "width": 64}),
    # Non-square: wider than tall, different factors per axis.
    "siglip48x80": dict(SIGLIP_BASE_224, size={"height": 48, "width": 80}),
    # Fixed-resolution SigLIP 2 checkpoints ship resample 2 (bilinear) with SiglipImageProcessor.
    "siglip_bilinear64": dict(SIGLIP_BASE_224, size={"height": 64, "width": 64}, resample=2),
    # Only the type: every other setting is SiglipImageProcessor's default (224, bicubic, 0.5).
    "siglip_defaults": {"image_processor_type": "SiglipImageProcessor"},
}


def read_png16(path):
    """A non-interlaced 16-bit gray or RGB PNG's samples as uint32 [H, W, C] (Pillow keeps only the high byte)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 16 and color in (0, 2) and interlace == 0, header
    channels = 3 if color == 2 else 1
    bpp = 2 * channels
    stride = width * bpp
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            else:
                assert kind == 0, kind
        rows.append(bytes(line))
        previous = line
    samples = np.frombuffer(b"".join(rows), dtype=">u2").astype(np.uint32)
    return samples.reshape(height, width, channels)


def upright_rgb(name):
    """The upright 8-bit RGB image our decoder must deliver (the input of the reference processor)."""
    path = os.path.join(IMAGES, name)
    if name in ("rgb16_96x72.png", "gray16_ramp_256x256.png"):
        deep = read_png16(path)           # the issue's 16 -> 8 bit conversion: round(v / 257)
        rgb = ((deep + 128) // 257).astype(np.uint8)
        return np.repeat(rgb, 3, axis=2) if rgb.shape[2] == 1 else rgb
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def original(name):
    """The file as Pillow opens it, for cases where transformers composites the transparency over white."""
    with Image.open(os.path.join(IMAGES, name)) as im:
        im.load()
        return im.copy()


def processor_config(config):
    """The keyword arguments of the processor (the file's keys it knows)."""
    return {k: v for k, v in config.items() if k not in ("image_processor_type", "processor_class")}


def reference(source, config):
    """(8-bit image [H, W, 3] before rescaling, float32 pixel_values [3, H, W]) from SiglipImageProcessorPil."""
    kwargs = processor_config(config)
    u8 = SiglipImageProcessorPil(**dict(kwargs, do_rescale=False, do_normalize=False))(
        images=source, return_tensors="np")["pixel_values"][0]
    assert u8.dtype == np.uint8, u8.dtype
    tensor = SiglipImageProcessorPil(**kwargs)(images=source, return_tensors="np")["pixel_values"][0]
    assert tensor.dtype == np.float32, tensor.dtype
    return np.ascontiguousarray(u8.transpose(1, 2, 0)), tensor


def reconstruct(u8, config):
    """transformers' rescale (float64 multiply, cast to float32) then normalize (float32)."""
    factor = config.get("rescale_factor", 1 / 255)
    mean = np.array(config.get("image_mean", [0.5] * 3), dtype=np.float32)
    std = np.array(config.get("image_std", [0.5] * 3), dtype=np.float32)
    x = (u8.astype(np.float64) * factor).astype(np.float32)
    return ((x - mean) / std).transpose(2, 0, 1)


def torchvision_tensor(source, config):
    out = SiglipImageProcessor(**processor_config(config))(images=source, return_tensors="pt")["pixel_values"][0]
    return out.numpy()


def main():
    clip_manifest = json.load(open(os.path.join(FIXTURES, "manifest.json")))
    clip_images = sorted({c["image"] for c in clip_manifest["cases"]
                          if c["config"] == "clip64" and c["alpha"] == "discard"})
    # Check the inputs against the CLIP fixtures: CLIPImageProcessorPil on our upright images must
    # give the committed clip64 references (so both fixture sets describe the same decoded images).
    clip64 = clip_manifest["configs"]["clip64"]
    for case in clip_manifest["cases"]:
        if case["config"] == "clip64" and case["alpha"] == "discard":
            u8 = CLIPImageProcessorPil(**clip64, do_rescale=False, do_normalize=False)(
                images=Image.fromarray(upright_rgb(case["image"])), return_tensors="np")["pixel_values"][0]
            committed = np.fromfile(os.path.join(FIXTURES, "reference", case["reference_u8"]), dtype=np.uint8)
            assert np.array_equal(u8.transpose(1, 2, 0).reshape(-1), committed), case["name"]

    os.makedirs(REFERENCE, exist_ok=True)
    for old in os.listdir(REFERENCE):
        os.remove(os.path.join(REFERENCE, old))
    cases = []

    def add_case(image_name, config_name, alpha="discard", store_float=False):
        config = CONFIGS[config_name]
        source = Image.fromarray(upright_rgb(image_name)) if alpha == "discard" else original(image_name)
        u8, tensor = reference(source, config)
        name = f"{os.path.splitext(image_name)[0]}__{config_name}" + ("__composite" if alpha != "discard" else "")
        assert np.array_equal(reconstruct(u8, config), tensor), f"{name}: tensor not reconstructible from its 8-bit image"
        fast = torchvision_tensor(source, config)
        assert fast.shape == tensor.shape, (fast.shape, tensor.shape)
        u8.tofile(os.path.join(REFERENCE, name + ".rgb"))
        entry = {"name": name, "image": image_name, "config": config_name, "alpha": alpha,
                 "height": int(u8.shape[0]), "width": int(u8.shape[1]), "reference_u8": name + ".rgb",
                 "torchvision_max_abs_diff": float(np.abs(fast.astype(np.float64) - tensor).max())}
        if store_float:
            np.ascontiguousarray(tensor, dtype="<f4").tofile(os.path.join(REFERENCE, name + ".f32"))
            entry["reference_f32"] = name + ".f32"
        cases.append(entry)

    floats = {"landscape_640x480.jpg", "tiny_1x1.png", "rgba_150x110.png"}
    for image_name in clip_images:
        add_case(image_name, "siglip64", store_float=image_name in floats)
    for image_name in ("rgba_150x110.png", "palette_160x120.png", "grayalpha_90x70.png"):
        add_case(image_name, "siglip64", alpha="compositeOverWhite", store_float=image_name == "rgba_150x110.png")
    add_case("photo_cat_451x300.jpg", "siglip224", store_float=True)      # real photo, downscale, real size
    add_case("landscape_640x480.jpg", "siglip224")                        # downscale
    add_case("photo_astronaut_160x160.png", "siglip224")                  # upscale
    add_case("exif6_160x120.jpg", "siglip_defaults")                      # upscale after rotation
    add_case("exact_224x224.jpg", "siglip_defaults")                      # no resize at all
    for image_name in ("portrait_360x480.jpg", "wide_1000x37.png", "thin_13x400.png", "tiny_1x1.png"):
        add_case(image_name, "siglip48x80", store_float=image_name == "portrait_360x480.jpg")
    for image_name in ("landscape_640x480.jpg", "photo_coffee_450x300.jpg", "thin_13x400.png", "gray_200x150.png"):
        add_case(image_name, "siglip_bilinear64", store_float=image_name == "photo_coffee_450x300.jpg")

    manifest = {
        "generator": "Scripts/make_siglip_image_fixtures.py",
        "versions": VERSIONS,
        "reference": "transformers SiglipImageProcessorPil (Pillow backend); torchvision_max_abs_diff: "
                     "SiglipImageProcessor (torchvision backend) against it, for information",
        "images": "../images (written by Scripts/make_image_fixtures.py)",
        "configs": CONFIGS,
        "cases": cases,
    }
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(REFERENCE, n)) for n in os.listdir(REFERENCE))
    total += os.path.getsize(os.path.join(ROOT, "manifest.json"))
    worst = max(cases, key=lambda c: c["torchvision_max_abs_diff"])
    print(f"{len(cases)} SigLIP cases, {total / 1024:.0f} KiB; torchvision backend differs by up to "
          f"{worst['torchvision_max_abs_diff']:.4g} ({worst['name']}), "
          f"{sum(c['torchvision_max_abs_diff'] > 0.004 for c in cases)} of {len(cases)} cases by 8-bit levels, "
          f"{sum(c['torchvision_max_abs_diff'] > 0 for c in cases)} at all")


if __name__ == "__main__":
    main()
