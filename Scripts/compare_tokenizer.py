#!/usr/bin/env python3
"""Compare swift-clip's tokenizer with open_clip 3.3.0 on texts (development aid, not used by tests).

    python Scripts/compare_tokenizer.py TEXTS.jsonl [path/to/tokenizer-bench]

TEXTS.jsonl holds {"text": ...} lines. Prints every line whose cleaning or ids differ.
"""
import json
import subprocess
import sys

from open_clip.tokenizer import SimpleTokenizer


def main():
    path = sys.argv[1]
    bench = sys.argv[2] if len(sys.argv) > 2 else ".build/debug/tokenizer-bench"
    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
    tok = SimpleTokenizer()
    out = subprocess.run([bench, "dump", path], capture_output=True, check=True).stdout.decode().splitlines()
    assert len(out) == len(texts), (len(out), len(texts))
    bad = 0
    for text, line in zip(texts, out):
        got = json.loads(line)
        clean = tok.clean_fn(text)
        ids = tok.encode(text)
        if got["clean"] != clean or got["ids"] != ids:
            bad += 1
            if bad <= 30:
                print("TEXT ", repr(text)[:300])
                print(" py  ", repr(clean)[:300])
                print(" sw  ", repr(got["clean"])[:300])
                if got["clean"] == clean:
                    print(" ids ", ids[:40], got["ids"][:40])
    print(f"{len(texts) - bad}/{len(texts)} identical")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
