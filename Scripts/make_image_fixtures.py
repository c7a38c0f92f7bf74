#!/usr/bin/env python3
"""Regenerates Tests/ImageProcessingTests/Fixtures (images + reference outputs).

Pinned reference versions (checked at start; the script refuses to run with others):
    pillow 13.0.0, transformers 5.24.0, open_clip_torch 3.3.0, torchvision 0.29.2, numpy 2.4.6

Never run by CI or `swift test`; run it by hand from the repository root (it also needs a C compiler
and libjpeg-dev for the YCCK JPEG, see write_ycck_jpeg.c):

    python3 Scripts/make_image_fixtures.py

What it writes (see the Fixtures README for the details):
  images/                the test images: synthetic "photo-like" scenes (no network, no third-party
                         pictures) and synthetic edge cases, as JPEG and PNG
  reference/*.rgb        raw 8-bit RGB (height x width x 3) reference outputs
  reference/*.f32        raw little-endian float32 [3, H, W] reference tensors
  manifest.json          which image, settings and reference belong together

The preprocessing reference is transformers' CLIP image processor on its PIL backend
(`CLIPImageProcessorPil`, what `AutoImageProcessor.from_pretrained(..., backend="pil")` or the
deprecated `use_fast=False` selects). transformers 5 defaults to the torchvision backend
(`CLIPImageProcessor` is the torchvision class); that one resizes with torch, not Pillow, and
differs by up to one 8-bit level, so it is not the reference.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

EXPECTED = {"PIL": "13.0.0", "transformers": "5.24.0", "open_clip": "3.3.0", "torchvision": "0.29.2",
            "numpy": "2.4.6"}

import PIL  # noqa: E402
from PIL import Image, ImageFilter, ImageOps  # noqa: E402
import transformers  # noqa: E402
import open_clip  # noqa: E402
import torchvision  # noqa: E402
from open_clip.transform import image_transform  # noqa: E402
from transformers.image_transforms import convert_to_rgb  # noqa: E402
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil  # noqa: E402

VERSIONS = {"PIL": PIL.__version__, "transformers": transformers.__version__,
            "open_clip": open_clip.__version__, "torchvision": torchvision.__version__.split("+")[0],
            "numpy": np.__version__}
for name, version in EXPECTED.items():
    if VERSIONS[name] != version:
        sys.exit(f"{name} {VERSIONS[name]} installed, fixtures are pinned to {version}")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageProcessingTests", "Fixtures")
IMAGES = os.path.join(ROOT, "images")
REFERENCE = os.path.join(ROOT, "reference")
OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]


# ----------------------------------------------------------------------------------------------
# Synthetic images
# ----------------------------------------------------------------------------------------------

def fractal_noise(rng, height, width, exponent):
    """Noise with a 1/f^exponent power spectrum (natural images are close to exponent 2), in [0, 1]."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx * fx + fy * fy)
    radius[0, 0] = 1.0
    spectrum = (rng.normal(size=radius.shape) + 1j * rng.normal(size=radius.shape)) / radius ** (exponent / 2)
    spectrum[0, 0] = 0
    field = np.fft.irfft2(spectrum, s=(height, width))
    field -= field.min()
    return field / max(field.max(), 1e-12)


def photo_like(width, height, seed):
    """A landscape-like scene: sky gradient with clouds, a fractal horizon, textured ground, a sun,
    a few blurred objects, lens blur and sensor noise. Looks and compresses like a photograph."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    sky = np.stack([0.35 + 0.45 * y + 0 * x, 0.55 + 0.35 * y + 0 * x, 0.95 - 0.1 * y + 0 * x], -1)
    clouds = fractal_noise(rng, height, width, 2.2)[..., None]
    sky = sky * (1 - 0.5 * clouds) + 0.5 * clouds
    # Horizon: a 1-D fractal profile.
    profile = fractal_noise(rng, 1, width, 2.0)[0]
    horizon = (0.45 + 0.25 * (profile - 0.5)) * height
    ground_mask = (np.arange(height)[:, None] > horizon[None, :]).astype(np.float64)
    texture = fractal_noise(rng, height, width, 1.6)[..., None]
    grass = rng.random((height, width, 1))
    ground = np.concatenate([0.25 + 0.3 * texture, 0.35 + 0.35 * texture, 0.12 + 0.15 * texture], -1)
    ground = ground * (0.85 + 0.15 * grass) * (0.6 + 0.4 * (np.arange(height)[:, None, None] / height))
    image = sky * (1 - ground_mask[..., None]) + ground * ground_mask[..., None]
    # Sun and objects (soft-edged discs and ellipses).
    yy, xx = np.mgrid[0:height, 0:width]
    cx, cy, r = width * 0.78, height * 0.18, min(width, height) * 0.07
    sun = np.clip(1.2 - np.hypot(xx - cx, yy - cy) / r, 0, 1)[..., None]
    image = image * (1 - sun) + np.array([1.0, 0.95, 0.8]) * sun
    for _ in range(6):
        ox, oy = rng.uniform(0, width), rng.uniform(height * 0.5, height)
        rx, ry = rng.uniform(0.03, 0.12) * width, rng.uniform(0.02, 0.08) * height
        mask = np.clip(1.5 - np.hypot((xx - ox) / rx, (yy - oy) / ry), 0, 1)[..., None]
        color = rng.uniform(0.05, 0.7, size=3)
        image = image * (1 - mask) + color * (0.7 + 0.3 * texture) * mask
    image8 = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    image8 = image8.filter(ImageFilter.GaussianBlur(0.8))
    noisy = np.asarray(image8).astype(np.float64) + rng.normal(0, 2.5, size=(height, width, 3))
    return np.clip(noisy + 0.5, 0, 255).astype(np.uint8)


def gradient_rgb(width, height, seed):
    """Smooth colour gradients plus a little noise (compresses well as PNG)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    r = 40 + 200 * x + 0 * y
    g = 30 + 180 * y + 20 * np.sin(6 * x) + 0 * x
    b = 200 - 150 * x * y
    image = np.stack([r, g, b], -1) + rng.normal(0, 1.5, size=(height, width, 3))
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def resize_pattern(width, height, seed):
    """The deterministic integer test pattern ResizeParityTests rebuilds in Swift: a gradient (red),
    sharp 7x5 checker blocks that make bicubic overshoot and clip (green), hash noise (blue)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    red = (x * 256 // width + y * 128 // height) & 255
    green = ((x // 7 + y // 5) % 2) * 255
    h = (x * 73856093) ^ (y * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    blue = (h ^ (h >> 16)) & 255
    return np.stack([red, green, blue], -1).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# A minimal PNG writer (Pillow cannot write 16-bit RGB or Adam7-interlaced PNG)
# ----------------------------------------------------------------------------------------------

def _chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def _filter_rows(rows, bpp):
    """Filters each row with filter type (row index % 5): exercises all five PNG filters."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        filtered = bytearray(len(row))
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            upper_left = previous[i - bpp] if i >= bpp else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = left
            elif kind == 2:
                predictor = up
            elif kind == 3:
                predictor = (left + up) // 2
            else:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
            filtered[i] = (value - predictor) & 0xFF
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


def write_png(path, array, bit_depth, color_type, interlaced=False, palette=None, transparency=None, extra=b""):
    """Writes a PNG: color_type 0 gray (HxW), 2 RGB (HxWx3), 3 palette (HxW indices), 4 gray+alpha
    (HxWx2), 6 RGBA (HxWx4); bit depths 1, 2, 4 (gray, palette), 8, 16. `transparency` is the
    raw tRNS payload; `extra` is inserted before IDAT (e.g. an eXIf chunk)."""
    height, width = array.shape[:2]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    data = array.reshape(height, width, channels)
    bpp = max(1, channels * bit_depth // 8)

    def raw_rows(sub):
        rows = []
        for r in range(sub.shape[0]):
            row = sub[r]
            if bit_depth == 16:
                rows.append(row.astype(">u2").tobytes())
            elif bit_depth == 8:
                rows.append(row.astype(np.uint8).tobytes())
            else:
                values = row.reshape(-1).astype(np.uint32)
                per_byte = 8 // bit_depth
                padded = np.zeros(-(-len(values) // per_byte) * per_byte, np.uint32)
                padded[:len(values)] = values
                packed = np.zeros(len(padded) // per_byte, np.uint32)
                for j in range(per_byte):
                    packed |= padded[j::per_byte] << (8 - bit_depth * (j + 1))
                rows.append(packed.astype(np.uint8).tobytes())
        return rows

    if interlaced:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        stream = b""
        for x0, y0, dx, dy in passes:
            sub = data[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                stream += _filter_rows(raw_rows(sub), bpp)
    else:
        stream = _filter_rows(raw_rows(data), bpp)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlaced else 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
    if palette is not None:
        png += _chunk(b"PLTE", np.asarray(palette, np.uint8).reshape(-1).tobytes())
    if transparency is not None:
        png += _chunk(b"tRNS", transparency)
    png += extra + _chunk(b"IDAT", zlib.compress(stream, 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def exif_with_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


# ----------------------------------------------------------------------------------------------
# References
# ----------------------------------------------------------------------------------------------

def transformers_u8(image, config):
    """The 8-bit image CLIPImageProcessorPil feeds to rescale/normalize: [H, W, 3] uint8."""
    processor = CLIPImageProcessorPil(**config, do_rescale=False, do_normalize=False)
    out = processor(images=image, return_tensors="np")["pixel_values"][0]
    assert out.dtype == np.uint8, out.dtype
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def transformers_float(image, config):
    processor = CLIPImageProcessorPil(**config)
    return processor(images=image, return_tensors="np")["pixel_values"][0]


def reconstruct_transformers(u8, config):
    """transformers' rescale (float64 multiply, cast to float32) then normalize (float32)."""
    factor = config.get("rescale_factor", 1 / 255)
    mean = np.array(config.get("image_mean", OPENAI_MEAN), dtype=np.float32)
    std = np.array(config.get("image_std", OPENAI_STD), dtype=np.float32)
    x = (u8.astype(np.float64) * factor).astype(np.float32)
    return ((x - mean) / std).transpose(2, 0, 1)


def openclip_u8_and_float(image, cfg):
    """OpenCLIP's inference transform: the 8-bit image after its crop, and the final tensor."""
    pp = cfg["preprocess_cfg"]
    size = cfg["model_cfg"]["vision_cfg"]["image_size"]
    transform = image_transform(size, is_train=False, mean=pp.get("mean"), std=pp.get("std"),
                                resize_mode=pp.get("resize_mode"), interpolation=pp.get("interpolation"),
                                fill_color=pp.get("fill_color", 0))
    steps = transform.transforms
    assert type(steps[-1]).__name__ == "Normalize" and type(steps[-2]).__name__ == "MaybeToTensor", steps
    pil = image
    for step in steps[:-2]:
        pil = step(pil)
    u8 = np.asarray(pil.convert("RGB"))
    tensor = transform(image).numpy()
    mean = np.array(pp.get("mean", OPENAI_MEAN), dtype=np.float32)
    std = np.array(pp.get("std", OPENAI_STD), dtype=np.float32)
    rebuilt = ((u8.astype(np.float32) / np.float32(255)) - mean) / std
    assert np.array_equal(rebuilt.transpose(2, 0, 1), tensor), "OpenCLIP tensor is not reconstructible from its 8-bit crop"
    return u8, tensor


def save_rgb(name, array):
    assert array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == 3
    with open(os.path.join(REFERENCE, name), "wb") as f:
        f.write(np.ascontiguousarray(array).tobytes())


def save_f32(name, tensor):
    with open(os.path.join(REFERENCE, name), "wb") as f:
        f.write(np.ascontiguousarray(tensor, dtype="<f4").tobytes())


def main():
    os.makedirs(IMAGES, exist_ok=True)
    os.makedirs(REFERENCE, exist_ok=True)
    for directory in (IMAGES, REFERENCE):
        for old in os.listdir(directory):
            os.remove(os.path.join(directory, old))

    # ---------------- images ----------------
    # Each entry: file name -> the upright RGB uint8 array our decoder must produce (the
    # "converted image" the reference processor is applied to), plus the PIL image to give the
    # reference when alpha is composited (transformers 5 behaviour).
    upright = {}
    originals = {}

    def jpeg(name, array, **save):
        mode = save.pop("mode", None)
        image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
        image.save(os.path.join(IMAGES, name), **save)
        with Image.open(os.path.join(IMAGES, name)) as reopened:
            upright[name] = np.asarray(ImageOps.exif_transpose(reopened).convert("RGB"))

    def png_pil(name, image, **save):
        image.save(os.path.join(IMAGES, name), **save)
        with Image.open(os.path.join(IMAGES, name)) as reopened:
            reopened.load()
            originals[name] = reopened.copy()
            upright[name] = np.asarray(reopened.convert("RGB"))

    jpeg("landscape_640x480.jpg", photo_like(640, 480, 1), quality=88)
    jpeg("portrait_360x480.jpg", photo_like(360, 480, 2), quality=90, subsampling=0)
    jpeg("exact_224x224.jpg", photo_like(224, 224, 3), quality=92)
    jpeg("progressive_300x201.jpg", photo_like(300, 201, 4), quality=85, progressive=True)
    jpeg("gray_320x240.jpg", photo_like(320, 240, 5), quality=90, mode="L")
    jpeg("cmyk_200x160.jpg", photo_like(200, 160, 6), quality=92, mode="CMYK")
    for orientation, seed in ((3, 7), (6, 8), (8, 9)):
        jpeg(f"exif{orientation}_160x120.jpg", photo_like(160, 120, seed), quality=90,
             exif=exif_with_orientation(orientation))

    png_pil("tiny_1x1.png", Image.fromarray(np.array([[[200, 30, 90]]], dtype=np.uint8)))
    png_pil("thin_13x400.png", Image.fromarray(gradient_rgb(13, 400, 10)))
    png_pil("wide_1000x37.png", Image.fromarray(gradient_rgb(1000, 37, 11)))
    png_pil("gray_200x150.png", Image.fromarray(photo_like(200, 150, 12)).convert("L"))
    rgba = photo_like(150, 110, 13)
    alpha = np.clip(np.linspace(-60, 320, 150)[None, :] + np.zeros((110, 1)), 0, 255).astype(np.uint8)
    alpha[40:60, :] = 0
    png_pil("rgba_150x110.png", Image.fromarray(np.dstack([rgba, alpha]), "RGBA"))
    palette_source = Image.fromarray(photo_like(160, 120, 14)).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    palette_pixels = np.asarray(palette_source)
    png_pil("palette_160x120.png", palette_source, transparency=int(palette_pixels[60, 80]))
    gray_alpha = Image.fromarray(np.dstack([np.asarray(Image.fromarray(photo_like(90, 70, 15)).convert("L")),
                                            np.tile(np.linspace(0, 255, 90).astype(np.uint8), (70, 1))]), "LA")
    png_pil("grayalpha_90x70.png", gray_alpha)

    # 16-bit and interlaced PNGs with the writer above; our conversion of 16 bits is round(v / 257).
    rng = np.random.default_rng(16)
    deep = (photo_like(96, 72, 16).astype(np.uint32) * 257 + rng.integers(-128, 128, size=(72, 96, 3))).clip(0, 65535)
    write_png(os.path.join(IMAGES, "rgb16_96x72.png"), deep.astype(np.uint16), 16, 2)
    upright["rgb16_96x72.png"] = ((deep + 128) // 257).astype(np.uint8)
    with Image.open(os.path.join(IMAGES, "rgb16_96x72.png")) as check:   # Pillow keeps the high byte
        assert np.array_equal(np.asarray(check.convert("RGB")), (deep >> 8).astype(np.uint8))
    gray_deep = np.tile(np.arange(256, dtype=np.uint32)[None, :], (256, 1)) * 256 + np.arange(256, dtype=np.uint32)[:, None]
    write_png(os.path.join(IMAGES, "gray16_ramp_256x256.png"), gray_deep.astype(np.uint16), 16, 0)
    upright["gray16_ramp_256x256.png"] = np.repeat(((gray_deep + 128) // 257).astype(np.uint8)[..., None], 3, axis=2)
    with Image.open(os.path.join(IMAGES, "gray16_ramp_256x256.png")) as check:
        assert np.array_equal(np.asarray(check), gray_deep.astype(np.uint16))
    interlaced = photo_like(150, 100, 17)
    write_png(os.path.join(IMAGES, "interlaced_150x100.png"), interlaced, 8, 2, interlaced=True)
    upright["interlaced_150x100.png"] = interlaced
    with Image.open(os.path.join(IMAGES, "interlaced_150x100.png")) as check:
        assert check.info.get("interlace") == 1
        assert np.array_equal(np.asarray(check.convert("RGB")), interlaced)

    # Decompression bombs and a corrupt-but-signed file: headers only, no pixel data worth the size.
    bomb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    bomb += _chunk(b"IDAT", zlib.compress(bytes(30000 * 3 + 1) * 4, 9)) + _chunk(b"IEND", b"")
    with open(os.path.join(IMAGES, "bomb_30000x30000.png"), "wb") as f:
        f.write(bomb)
    small = open(os.path.join(IMAGES, "exif3_160x120.jpg"), "rb").read()
    sof = small.index(b"\xff\xc0")
    patched = small[:sof + 5] + struct.pack(">HH", 60000, 60000) + small[sof + 9:]
    with open(os.path.join(IMAGES, "bomb_60000x60000.jpg"), "wb") as f:
        f.write(patched)

    # ---------------- decoding references (small images, decoded pixels stored raw) ----------------
    # Each: file -> expected upright RGB after decoding with alpha discarded, and (8-bit files with
    # transparency) after compositing over white the way transformers 5's convert_to_rgb does.
    decodes = []
    rng = np.random.default_rng(99)
    w, h = 23, 17

    def add_decode(name, expected, composite=None):
        save_rgb("decode_" + os.path.splitext(name)[0] + ".rgb", expected)
        entry = {"image": name, "width": int(expected.shape[1]), "height": int(expected.shape[0]),
                 "reference": "decode_" + os.path.splitext(name)[0] + ".rgb"}
        if composite is not None:
            save_rgb("decode_" + os.path.splitext(name)[0] + "__composite.rgb", composite)
            entry["reference_composite"] = "decode_" + os.path.splitext(name)[0] + "__composite.rgb"
        decodes.append(entry)

    def pillow_rgb(name, composite=False):
        with Image.open(os.path.join(IMAGES, name)) as im:
            im.load()
            if composite:
                return convert_to_rgb(im, return_numpy=True)
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))

    photo = photo_like(w, h, 50)
    gray = np.asarray(Image.fromarray(photo).convert("L"))
    for depth in (1, 2, 4):
        levels = rng.integers(0, 1 << depth, size=(h, w))
        name = f"png_gray{depth}bit.png"
        write_png(os.path.join(IMAGES, name), levels, depth, 0)
        add_decode(name, pillow_rgb(name))
    levels = rng.integers(0, 4, size=(h, w))
    write_png(os.path.join(IMAGES, "png_gray2bit_trns.png"), levels, 2, 0, transparency=struct.pack(">H", 2))
    # No composite reference: Pillow compares the unscaled tRNS value (2) with the expanded samples
    # (0, 85, 170, 255), so nothing is transparent; libpng (and the PNG spec) make level 2 transparent.
    # DecodingTests checks our spec behaviour directly.
    add_decode("png_gray2bit_trns.png", pillow_rgb("png_gray2bit_trns.png"))
    write_png(os.path.join(IMAGES, "png_gray8_trns.png"), gray, 8, 0, transparency=struct.pack(">H", int(gray[5, 5])))
    add_decode("png_gray8_trns.png", pillow_rgb("png_gray8_trns.png"), pillow_rgb("png_gray8_trns.png", composite=True))
    palette = rng.integers(0, 256, size=(16, 3))
    indices = rng.integers(0, 16, size=(h, w))
    write_png(os.path.join(IMAGES, "png_palette4bit_trns.png"), indices, 4, 3, palette=palette,
              transparency=bytes([255, 0, 128, 30]))
    add_decode("png_palette4bit_trns.png", pillow_rgb("png_palette4bit_trns.png"),
               pillow_rgb("png_palette4bit_trns.png", composite=True))
    write_png(os.path.join(IMAGES, "png_palette1bit.png"), indices % 2, 1, 3, palette=palette[:2])
    add_decode("png_palette1bit.png", pillow_rgb("png_palette1bit.png"))
    write_png(os.path.join(IMAGES, "png_rgb8_trns.png"), photo, 8, 2,
              transparency=struct.pack(">HHH", *[int(v) for v in photo[3, 4]]))
    add_decode("png_rgb8_trns.png", pillow_rgb("png_rgb8_trns.png"), pillow_rgb("png_rgb8_trns.png", composite=True))
    alpha8 = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
    write_png(os.path.join(IMAGES, "png_rgba8_interlaced.png"), np.dstack([photo, alpha8]), 8, 6, interlaced=True)
    add_decode("png_rgba8_interlaced.png", pillow_rgb("png_rgba8_interlaced.png"),
               pillow_rgb("png_rgba8_interlaced.png", composite=True))
    deep = rng.integers(0, 65536, size=(h, w, 4)).astype(np.uint32)
    write_png(os.path.join(IMAGES, "png_rgba16.png"), deep, 16, 6)
    add_decode("png_rgba16.png", ((deep[..., :3] + 128) // 257).astype(np.uint8))
    write_png(os.path.join(IMAGES, "png_gray16_alpha.png"), deep[..., :2], 16, 4)
    add_decode("png_gray16_alpha.png", np.repeat(((deep[..., :1] + 128) // 257).astype(np.uint8), 3, axis=2))
    write_png(os.path.join(IMAGES, "png_gray16_interlaced.png"), deep[..., 0], 16, 0, interlaced=True)
    add_decode("png_gray16_interlaced.png", np.repeat(((deep[..., :1] + 128) // 257).astype(np.uint8), 3, axis=2))
    exif_chunk = _chunk(b"eXIf", exif_with_orientation(6)[6:] if exif_with_orientation(6).startswith(b"Exif") else exif_with_orientation(6))
    write_png(os.path.join(IMAGES, "png_exif6.png"), photo, 8, 2, extra=exif_chunk)
    add_decode("png_exif6.png", pillow_rgb("png_exif6.png"))
    assert pillow_rgb("png_exif6.png").shape[:2] == (w, h), "Pillow did not apply the PNG eXIf orientation"
    for name, save in (("jpeg_420_odd.jpg", {"subsampling": 2}), ("jpeg_422_odd.jpg", {"subsampling": 1}),
                       ("jpeg_444_odd.jpg", {"subsampling": 0}), ("jpeg_progressive_odd.jpg", {"progressive": True}),
                       ("jpeg_restart_odd.jpg", {"restart_marker_blocks": 1})):
        Image.fromarray(photo_like(37, 29, 60)).save(os.path.join(IMAGES, name), quality=90, **save)
        add_decode(name, pillow_rgb(name))
    Image.fromarray(photo_like(37, 29, 61)).convert("CMYK").save(os.path.join(IMAGES, "jpeg_cmyk_odd.jpg"), quality=90)
    add_decode("jpeg_cmyk_odd.jpg", pillow_rgb("jpeg_cmyk_odd.jpg"))
    # YCCK: Pillow cannot write it; a 40-line libjpeg program does (needs cc and libjpeg-dev).
    cmyk_inverted = 255 - np.asarray(Image.fromarray(photo_like(37, 29, 63)).convert("CMYK"))
    with tempfile.TemporaryDirectory() as scratch:
        tool = os.path.join(scratch, "write_ycck_jpeg")
        subprocess.run([shutil.which("cc") or "cc", "-O2", "-o", tool,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "write_ycck_jpeg.c"), "-ljpeg"],
                       check=True)
        with open(os.path.join(IMAGES, "jpeg_ycck_odd.jpg"), "wb") as out:
            subprocess.run([tool, "37", "29"], input=np.ascontiguousarray(cmyk_inverted).tobytes(), stdout=out, check=True)
    with Image.open(os.path.join(IMAGES, "jpeg_ycck_odd.jpg")) as check:
        assert check.mode == "CMYK" and check.info.get("adobe_transform") == 2, (check.mode, check.info)
    add_decode("jpeg_ycck_odd.jpg", pillow_rgb("jpeg_ycck_odd.jpg"))
    Image.fromarray(photo_like(37, 29, 62)).convert("L").save(os.path.join(IMAGES, "jpeg_gray_odd.jpg"), quality=90)
    add_decode("jpeg_gray_odd.jpg", pillow_rgb("jpeg_gray_odd.jpg"))

    # ---------------- preprocessing references ----------------
    clip64 = {"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64}}
    configs = {
        "clip64": clip64,
        "openai224": {},
        "pad48in64": {"size": {"shortest_edge": 48}, "crop_size": {"height": 64, "width": 64}},
        "exact50x70crop40x60": {"size": {"height": 50, "width": 70}, "crop_size": {"height": 40, "width": 60}},
        "legacy64": {"size": 64, "crop_size": 64},
        "capped64to80": {"size": {"shortest_edge": 64, "longest_edge": 80}, "crop_size": {"height": 64, "width": 64}},
        "bilinear64": {"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64}, "resample": 2},
        "custom_stats64": {"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64},
                           "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.5, 0.75], "rescale_factor": 0.004},
    }
    openclip_configs = {
        "openclip_shortest64": {"model_cfg": {"vision_cfg": {"image_size": 64}},
                                "preprocess_cfg": {"mean": OPENAI_MEAN, "std": OPENAI_STD, "interpolation": "bicubic",
                                                   "resize_mode": "shortest"}},
        "openclip_longest64": {"model_cfg": {"vision_cfg": {"image_size": 64}},
                               "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                                                  "interpolation": "bicubic", "resize_mode": "longest",
                                                  "fill_color": 128}},
    }
    cases = []

    def add_case(image_name, config_name, alpha="discard", store_float=False):
        case_name = f"{os.path.splitext(image_name)[0]}__{config_name}" + ("__composite" if alpha != "discard" else "")
        if config_name in configs:
            config = configs[config_name]
            if alpha == "discard":
                source = Image.fromarray(upright[image_name])
            else:
                source = originals[image_name]   # transformers 5 composites transparency over white
            u8 = transformers_u8(source, config)
            tensor = transformers_float(source, config)
            assert np.array_equal(reconstruct_transformers(u8, config), tensor), case_name
            kind = "transformers"
        else:
            config = openclip_configs[config_name]
            u8, tensor = openclip_u8_and_float(Image.fromarray(upright[image_name]), config)
            kind = "openclip"
        save_rgb(case_name + ".rgb", u8)
        entry = {"name": case_name, "image": image_name, "config": config_name, "config_kind": kind,
                 "alpha": alpha, "height": int(u8.shape[0]), "width": int(u8.shape[1]),
                 "reference_u8": case_name + ".rgb"}
        if store_float:
            save_f32(case_name + ".f32", tensor)
            entry["reference_f32"] = case_name + ".f32"
        cases.append(entry)

    for image_name in sorted(upright):
        add_case(image_name, "clip64", store_float=image_name in ("landscape_640x480.jpg", "cmyk_200x160.jpg"))
    add_case("landscape_640x480.jpg", "openai224")
    for image_name in ("portrait_360x480.jpg", "thin_13x400.png", "wide_1000x37.png", "tiny_1x1.png"):
        add_case(image_name, "pad48in64")
    add_case("landscape_640x480.jpg", "exact50x70crop40x60")
    add_case("gray_200x150.png", "legacy64")
    add_case("wide_1000x37.png", "capped64to80")
    add_case("thin_13x400.png", "capped64to80")
    add_case("landscape_640x480.jpg", "bilinear64")
    add_case("portrait_360x480.jpg", "custom_stats64", store_float=True)
    add_case("rgba_150x110.png", "clip64", alpha="compositeOverWhite")
    add_case("palette_160x120.png", "clip64", alpha="compositeOverWhite")
    add_case("grayalpha_90x70.png", "clip64", alpha="compositeOverWhite")
    add_case("progressive_300x201.jpg", "openclip_shortest64", store_float=True)
    add_case("landscape_640x480.jpg", "openclip_shortest64")
    add_case("wide_1000x37.png", "openclip_longest64")
    add_case("portrait_360x480.jpg", "openclip_longest64")

    # ---------------- resize-alone references (Pillow Image.resize on 8-bit RGB) ----------------
    resizes = []
    names = {Image.Resampling.BICUBIC: "bicubic", Image.Resampling.BILINEAR: "bilinear",
             Image.Resampling.LANCZOS: "lanczos", Image.Resampling.BOX: "box", Image.Resampling.HAMMING: "hamming"}

    def add_resize(source_size, seed, target, resample=Image.Resampling.BICUBIC):
        source = resize_pattern(source_size[0], source_size[1], seed)
        out = np.asarray(Image.fromarray(source).resize(target, resample))
        name = f"resize_{source_size[0]}x{source_size[1]}s{seed}_to_{target[0]}x{target[1]}_{names[resample]}.rgb"
        save_rgb(name, out)
        resizes.append({"source_width": source_size[0], "source_height": source_size[1], "seed": seed,
                        "width": target[0], "height": target[1], "filter": names[resample], "reference": name})

    add_resize((640, 480), 1, (150, 97))          # down, factor ~4.3 and ~4.9
    add_resize((640, 480), 2, (233, 17))          # down, very different factors
    add_resize((1000, 37), 3, (298, 11))          # very wide
    add_resize((61, 43), 4, (131, 89))            # up
    add_resize((50, 300), 5, (97, 61))            # up horizontally, down vertically
    add_resize((120, 90), 6, (120, 41))           # vertical pass only
    add_resize((120, 90), 7, (57, 90))            # horizontal pass only
    add_resize((1, 1), 8, (5, 3))                 # from a single pixel
    add_resize((13, 400), 9, (5, 154))            # tall and thin
    add_resize((100, 100), 10, (100, 99))         # off by one
    for resample in (Image.Resampling.BILINEAR, Image.Resampling.LANCZOS, Image.Resampling.BOX,
                     Image.Resampling.HAMMING):
        add_resize((640, 480), 11, (64, 48), resample)
        add_resize((37, 23), 12, (90, 50), resample)

    # ---------------- EXIF orientation semantics (Pillow's ImageOps.exif_transpose) ----------------
    tiny = np.arange(3 * 2 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    orientations = {}
    for value in range(1, 9):
        image = Image.fromarray(tiny)
        image.info["exif"] = exif_with_orientation(value)
        image.getexif()[0x0112] = value
        out = np.asarray(ImageOps.exif_transpose(image))
        orientations[str(value)] = {"width": int(out.shape[1]), "height": int(out.shape[0]),
                                    "pixels": out.reshape(-1).tolist()}

    manifest = {
        "generator": "Scripts/make_image_fixtures.py",
        "versions": VERSIONS,
        "reference": "transformers CLIPImageProcessorPil (PIL backend), OpenCLIP image_transform for openclip_* configs",
        "configs": configs,
        "openclip_configs": openclip_configs,
        "cases": cases,
        "decodes": decodes,
        "resizes": resizes,
        "orientation_source": {"width": 3, "height": 2, "pixels": tiny.reshape(-1).tolist()},
        "orientations": orientations,
    }
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d in (IMAGES, REFERENCE) for n in os.listdir(d))
    print(f"{len(cases)} preprocessing cases, {len(decodes)} decoding cases, {len(resizes)} resize cases, {total / 1024:.0f} KiB of fixtures")


if __name__ == "__main__":
    main()
