#!/usr/bin/env python3
"""Times a SigLIP checkpoint in PyTorch (transformers SiglipModel, 2 threads) and in `clip bench`,
alternating rounds in one run, and prints the ratios (ours / PyTorch; below 1 is faster).

Usage: python3 Scripts/compare_siglip_speed.py DIR [ROUNDS] [BATCH]
  DIR: a folder from Scripts/make_siglip_benchmark_checkpoint.py (DIR/model, DIR/reference).
  Measures image batch 1, image batch BATCH per image (default 8), and 8 texts of 64 tokens
  (what SigLIP's tokenizers give); medians of 5 runs after a warm-up, per round; the clip binary
  is .build/release/clip.
"""
import json
import statistics
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_siglip_benchmark_checkpoint import median_ms  # noqa: E402


def main():
    from transformers import SiglipModel

    root = Path(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    clip = Path(__file__).resolve().parent.parent / ".build/release/clip"
    torch.set_num_threads(2)
    model = SiglipModel.from_pretrained(root / "model").eval()
    size = model.config.vision_config.image_size
    pixels = torch.randn((batch, 3, size, size), generator=torch.Generator().manual_seed(1))
    ids = torch.tensor(json.loads((root / "reference/ids.json").read_text()))
    results = {"torch": [], "ours": []}
    for _ in range(rounds):
        with torch.no_grad():
            results["torch"].append({
                "image_b1_ms": median_ms(lambda: model.get_image_features(pixel_values=pixels[:1])),
                "image_ms_per_image": median_ms(lambda: model.get_image_features(pixel_values=pixels), 3) / batch,
                "text8_ms": median_ms(lambda: model.get_text_features(input_ids=ids[:8])),
            })
        run = subprocess.run([str(clip), "bench", "--model", str(root / "model"), "--threads", "2", "--batch", str(batch)],
                             capture_output=True, text=True, check=True)
        bench = json.loads(run.stdout.strip().splitlines()[-1])
        results["ours"].append({k: bench[k] for k in ("image_b1_ms", "image_ms_per_image", "text8_ms", "load_s",
                                                      "peak_rss_mb", "isa")})
    out = {}
    for key in ("image_b1_ms", "image_ms_per_image", "text8_ms"):
        t = statistics.median(r[key] for r in results["torch"])
        o = statistics.median(r[key] for r in results["ours"])
        out[key] = {"torch": round(t, 1), "ours": round(o, 1), "ratio": round(o / t, 3)}
    out["ours_load_s"] = results["ours"][-1]["load_s"]
    out["ours_peak_rss_mb"] = results["ours"][-1]["peak_rss_mb"]
    out["isa"] = results["ours"][-1]["isa"]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
