#!/usr/bin/env python3
"""Checks `clip serve`'s /v1/embeddings with the official OpenAI Python client.

    pip install openai            # checked with openai 3.57.0
    clip serve --model DIR --port 8080 &
    python3 Scripts/openai_client_check.py --url http://127.0.0.1:8080 --clip .build/release/clip --model DIR

The client asks for base64 by default (it decodes the little-endian float32 itself); the check
asks once that way and once with encoding_format="float", and compares both with
`clip embed-text --normalize` (the model's own normalized text embeddings) run as a separate
process: the largest absolute difference must be at most 1e-6. Prints one JSON object; exits 1
when the check fails.
"""
import argparse
import json
import subprocess
import sys

from openai import OpenAI

TEXTS = ["a photo of a cat", "a red star", "two dogs playing in the snow", "ünïcödé & <html> text",
         "a very long caption " * 20]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--api-key", default="no-key")
    parser.add_argument("--clip", default=".build/release/clip", help="the clip executable")
    parser.add_argument("--model", help="the model folder the server runs (default: clip's bundled model)")
    args = parser.parse_args()

    client = OpenAI(base_url=args.url.rstrip("/") + "/v1", api_key=args.api_key)
    model = client.models.list().data[0].id          # the id the server answers to (GET /v1/models)
    default = client.embeddings.create(model=model, input=TEXTS)                 # base64 on the wire
    floats = client.embeddings.create(model=model, input=TEXTS, encoding_format="float")
    single = client.embeddings.create(model=model, input=TEXTS[0], encoding_format="float")

    command = [args.clip, "embed-text", "--normalize"] + (["--model", args.model] if args.model else []) + TEXTS
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    expected = [json.loads(line) for line in lines if line.strip()]

    def worst(response):
        vectors = [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        assert len(vectors) == len(expected[:len(vectors)])
        return max(abs(a - b) for v, e in zip(vectors, expected) for a, b in zip(v, e))

    result = {
        "openai": __import__("openai").__version__,
        "texts": len(TEXTS),
        "dimension": len(floats.data[0].embedding),
        "max_abs_diff_base64": worst(default),
        "max_abs_diff_float": worst(floats),
        "max_abs_diff_single": worst(single),
        "usage": {"prompt_tokens": floats.usage.prompt_tokens, "total_tokens": floats.usage.total_tokens},
        "model": floats.model,
    }
    result["ok"] = all(result[k] <= 1e-6 for k in ("max_abs_diff_base64", "max_abs_diff_float", "max_abs_diff_single"))
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
