#!/usr/bin/env python3
"""Tokens per second of open_clip's SimpleTokenizer and transformers' CLIPTokenizerFast on a corpus.

    python Scripts/benchmark_python_tokenizers.py scratch/tokenizer_corpus.txt

Measured the same way as Examples/TokenizerBench: one thread, each line encoded on its own without
start/end tokens, a fresh tokenizer for the cold pass and the same one again for the warm pass.
Tokens = ids produced. Wall time and the thread's CPU time are both reported. The fast tokenizer is built from the bundled vocabulary's vocab and merges
(the standard CLIP vocabulary), with RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false; it is
also measured with encode_batch (still one thread).
Versions: open_clip_torch 3.3.0, ftfy 6.3.1, transformers 5.24.0, tokenizers 0.23.3.
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import json
import sys
import time

from open_clip.tokenizer import SimpleTokenizer
from transformers import CLIPTokenizerFast


def timed(fn, lines):
    start = time.perf_counter()
    cpu_start = time.thread_time()
    tokens = fn(lines)
    cpu = time.thread_time() - cpu_start
    seconds = time.perf_counter() - start
    return {"tokens": tokens, "seconds": seconds, "tokens_per_second": tokens / seconds,
            "cpu_seconds": cpu, "tokens_per_cpu_second": tokens / cpu}


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    results = {"lines": len(lines)}

    tok = SimpleTokenizer()
    enc = lambda ls: sum(len(tok.encode(line)) for line in ls)
    results["open_clip_cold"] = timed(enc, lines)
    results["open_clip_warm"] = timed(enc, lines)

    vocab = {}
    for token, index in tok.encoder.items():
        vocab[{"<start_of_text>": "<|startoftext|>", "<end_of_text>": "<|endoftext|>"}.get(token, token)] = index
    merges = [tuple(pair) for pair, _ in sorted(tok.bpe_ranks.items(), key=lambda kv: kv[1])]

    def make_fast():
        return CLIPTokenizerFast(vocab=vocab, merges=merges)

    fast = make_fast()
    assert fast("a photo of a cat")["input_ids"] == [49406, 320, 1125, 539, 320, 2368, 49407]
    backend = fast.backend_tokenizer
    one = lambda ls: sum(len(backend.encode(line, add_special_tokens=False).ids) for line in ls)
    results["hf_fast_cold"] = timed(one, lines)
    results["hf_fast_warm"] = timed(one, lines)
    backend2 = make_fast().backend_tokenizer
    batch = lambda ls: sum(len(e.ids) for e in backend2.encode_batch(ls, add_special_tokens=False))
    results["hf_fast_batch_cold"] = timed(batch, lines)
    results["hf_fast_batch_warm"] = timed(batch, lines)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
