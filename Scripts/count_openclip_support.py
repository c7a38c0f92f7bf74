#!/usr/bin/env python3
"""Counts the open_clip pretrained (architecture, tag) pairs whose configuration `clip` accepts.

Usage: python3 Scripts/count_openclip_support.py CLIP-BINARY [--list]

For every architecture in open_clip.list_pretrained() (open_clip 3.3: 196 pairs), writes a folder
with the real built-in configuration as open_clip_config.json and a one-tensor safetensors file,
and runs `CLIP-BINARY info --model FOLDER`. The configuration is accepted when the error is the
checkpoint mismatch that follows reading it (the architecture was built); it is refused when the
error says what is not supported. Accepted families are checked for numbers separately, by the
committed fixtures and Scripts/check_openclip_model.py. Prints the counts, and with --list every
refused architecture with clip's one-line reason.
"""
import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    import open_clip
    from safetensors.numpy import save_file

    pairs = open_clip.list_pretrained()
    tags = collections.Counter(name for name, _ in pairs)
    accepted, refused = {}, {}
    with tempfile.TemporaryDirectory() as root:
        for name in sorted(tags):
            folder = Path(root) / name
            folder.mkdir()
            (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": open_clip.get_model_config(name)}))
            save_file({"placeholder": np.zeros(1, dtype=np.float32)}, str(folder / "open_clip_model.safetensors"))
            run = subprocess.run([args.clip, "info", "--model", str(folder)], capture_output=True, text=True)
            message = (run.stderr or run.stdout).strip().splitlines()[0] if (run.stderr or run.stdout) else ""
            if "does not match its configuration" in message:
                accepted[name] = message
            else:
                refused[name] = message
    count = lambda names: sum(tags[n] for n in names)
    print(f"accepted: {len(accepted)} architectures, {count(accepted)} of {len(pairs)} pretrained pairs")
    print(f"refused:  {len(refused)} architectures, {count(refused)} pairs")
    if args.list:
        for name, message in sorted(refused.items()):
            print(f"  {name} ({tags[name]}): {message[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
