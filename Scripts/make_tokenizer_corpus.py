#!/usr/bin/env python3
"""Write the mixed benchmark corpus for the tokenizer (one text per line, no embedded newlines).

    python Scripts/make_tokenizer_corpus.py scratch/tokenizer_corpus.txt [LINES]

Mix (seeded, reproducible): 45% image-caption style prompts, 25% README prose and code lines from
installed packages' metadata and the Python standard library, 15% multilingual sentences (Latin,
Greek, Cyrillic, Arabic, Hebrew, Thai, Devanagari, CJK), 5% emoji, 5% HTML entities / curly quotes /
ligatures / full-width forms, 5% mojibake. Uses the same sources as generate_tokenizer_fixture.py.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(HERE, "generate_tokenizer_fixture.py"), encoding="utf-8").read()
ns = {"__name__": "corpus"}
exec(src.split("# ---------------------------------------------------------------- categories")[0], ns)

rng = random.Random(2024)
out_path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
words = sorted({w.strip(".,!?;:()\"'").lower() for s in ns["ENGLISH"] + ns["metadata_lines"]() for w in s.split()
                if w.isalpha() and 2 < len(w) < 14})
templates = ["a photo of a {}.", "a blurry photo of the {}.", "a close-up photo of a {} and a {}.", "itap of my {}.",
             "a painting of the {} in the {}.", "a black and white photo of a {}.", "there is a {} next to the {} on the {}.",
             "A {} {} sitting on a {} {} near the {}.", "a low resolution photo of the {}.", "the {} is {} and {}."]
prose = ns["metadata_lines"]() + ns["code_lines"]()
multi = [s for v in ns["MULTILINGUAL"].values() for s in v] + ns["cjk_lines"]()
emoji = ns["EMOJI"]
nasc = ns["NON_ASCII_SENTENCES"]
special = ["Fish &amp; Chips &lt;3 caf&eacute;", "\u201cquoted\u201d and \u2018single\u2019", "ﬁnancial oﬃce", "ＬＯＵＤ　ＮＯＩＳＥＳ",
           "it&#x2019;s &hellip; &quot;ok&quot;", "100&percnt; &euro;5"]
with open(out_path, "w", encoding="utf-8") as f:
    for _ in range(count):
        r = rng.random()
        if r < 0.45:
            t = rng.choice(templates)
            line = t.format(*(rng.choice(words) for _ in range(t.count("{}"))))
        elif r < 0.70:
            line = rng.choice(prose)
        elif r < 0.85:
            line = rng.choice(multi)
        elif r < 0.90:
            line = rng.choice(emoji)
        elif r < 0.95:
            line = rng.choice(special) + " " + rng.choice(words)
        else:
            line = rng.choice(nasc).encode("utf-8").decode(rng.choice(["latin-1", "sloppy-windows-1252", "windows-1251"]), errors="replace")
        f.write(line.replace("\n", " ").replace("\r", " ").replace("\x85", " ").replace("\u2028", " ").replace("\u2029", " ") + "\n")
print("wrote", count, "lines to", out_path)
