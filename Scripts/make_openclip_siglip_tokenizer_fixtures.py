#!/usr/bin/env python3
"""Write Tests/TextTokenizerTests/Fixtures/openclip-siglip/: the ids open_clip's HFTokenizer gives
for SigLIP (SentencePiece) and SigLIP 2 (Gemma) checkpoints in open_clip's own layout.

    python Scripts/make_openclip_siglip_tokenizer_fixtures.py

open_clip builds, for an `open_clip_config.json` whose text_cfg names `hf_tokenizer_name` with
`tokenizer_kwargs: {"clean": "canonicalize"}`:

    HFTokenizer(folder, context_length=text_cfg["context_length"], clean="canonicalize")

and calling it on a text does (open_clip 3.3.0, open_clip/tokenizer.py):

    text = canonicalize_text(basic_clean(text))
        basic_clean:       ftfy.fix_text, html.unescape twice, str.strip()
        canonicalize_text: "_" -> " ", string.punctuation removed (str.translate), str.lower(),
                           " ".join(text.split()), str.strip()
    AutoTokenizer.from_pretrained(folder)([text], return_tensors="pt", max_length=context_length,
                                          padding="max_length", truncation=True).input_ids

(`strip_sep_token` is false for these configs and neither tokenizer has a sep token.)

The tokenizer files are the repository's own fixtures (Fixtures/siglip-spiece: spiece.model +
tokenizer_config.json, a SiglipTokenizer; Fixtures/siglip2-gemma: tokenizer.json +
tokenizer_config.json, a GemmaTokenizer), copied into temporary folders that AutoTokenizer loads
(tokenizer_config.json's `tokenizer_class` picks the class; no config.json is needed). The script
asserts, on every line, that open_clip's ids equal the transformers tokenizer called on the
cleaned text, i.e. that the cleaning is the only difference.

Output (gzip, zero mtime: reproducible bytes):
  parity-spiece.jsonl.gz  {"text", "clean", "ids", "ids16"} per line: `clean` =
                          canonicalize_text(basic_clean(text)); `ids` = HFTokenizer(siglip-spiece
                          folder, context_length=64, clean="canonicalize")(text)[0].tolist() (64
                          ids, padded with </s> = 1 as the tokenizer pads); `ids16` the same with
                          context_length=16 (ViT-SO400M-14-SigLIP's)
  parity-gemma.jsonl.gz   the same for the siglip2-gemma folder (padded with <pad> = 0)
  README.md               versions and contents

Texts: every text of siglip-spiece/parity.jsonl.gz and siglip2-gemma/parity.jsonl.gz (the hard
corpus, in that order, duplicates dropped), then lines aimed at open_clip's cleaning (underscores,
HTML entities, Final_Sigma beside removed punctuation, Python whitespace and lowercase special
cases, letters newer than Python 3.11's Unicode 14, mojibake) and seeded random mixtures of them.
"""
import gzip
import io
import json
import os
import random
import shutil
import sys
import tempfile
import warnings

import ftfy
import open_clip
import sentencepiece
import tokenizers
import torch
import transformers
from open_clip.tokenizer import HFTokenizer, basic_clean, canonicalize_text
from transformers import AutoTokenizer

assert sys.version_info[:3] == (3, 11, 7), sys.version
assert open_clip.__version__ == "3.3.0", open_clip.__version__
assert transformers.__version__ == "5.24.0", transformers.__version__
assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
assert sentencepiece.__version__ == "0.2.3", sentencepiece.__version__
assert ftfy.__version__ == "6.3.1", ftfy.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__

warnings.filterwarnings("ignore")  # SiglipTokenizer warns about eos on some lines; not output
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "TextTokenizerTests", "Fixtures")
OUT = os.path.join(FIXTURES, "openclip-siglip")
CONTEXT = 64
SHORT_CONTEXT = 16


def gzip_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def open_clip_texts():
    """Lines aimed at open_clip's own cleaning steps."""
    fixed = [
        # "_" becomes a space before punctuation is removed; other ASCII punctuation disappears.
        "snake_case_name", "__init__", "a_b_c", "_", "a _ b", "end_", "_start", "1_000_000", "a__b", "a_-_b",
        "ThisIsCamelCase and snake_case", "a-b", "a.b", "a'b", "don't", "e-mail", "C++ & C#", "x = y + 1;",
        "!!!", "...", "___", "-_-", "{}", "a {} b", "a photo of a {}.", "(a)", "[b]", "<c>", "\"d\"", "`e`", "~f~",
        "\\g\\", "|h|", "@i", "#j", "$k", "%l", "^m", "&n", "*o", "+p", "=q", "?r", "/s", ":t", ";u",
        # Special-token names lose their brackets.
        "</s>", "<pad>", "<unk>", "<eos>", "<bos>", "<mask>", "<start_of_turn>user", "a photo</s>", "<0x41>",
        "hello </s> world", "<s>",
        # HTML: ftfy unescapes (unless the segment has "<"), then html.unescape twice.
        "&amp;", "&amp;amp;", "&amp;amp;amp;", "&amp;amp;amp;amp;", "Fish &amp; Chips", "&ampersand", "&lt;s&gt;",
        "&amp;lt;/s&amp;gt;", "&#39;quoted&#39;", "&#x2019;tis", "&nbsp;x&nbsp;", "a&nbsp;&nbsp;b", "&hellip;",
        "&AMP;", "&notit;", "&eacute;t&eacute;", "<b>&amp;</b>", "<i>caf&eacute;</i>", "&lowbar;x&lowbar;",
        "&#95;", "&#x5F;y", "&#0;", "&#x110000;", "&#128512;", "&Sigma;&Sigma;", "A&Sigma;.", "&#304;stanbul",
        "&zwnj;", "&shy;x", "&#133;", "&#x85;z", "&#8232;", "&#12288;w",
        # Final_Sigma next to removed punctuation or an underscore that becomes a space.
        "ΟΔΥΣΣΕΥΣ.", "ΑΣ_Β", "ΑΣ-Β", "ΑΣ'Β", "ΑΣ.Β", "aΣ_", "Σ_a", "ΑΣ 'Β", "ΑΣ:Β", "Σ", "_Σ_", "A_Σ", "AΣ_!",
        "ΑΣ\u00adΒ", "ΑΣ\u0301", "ΑΣ\u0301Β", "ΑΣ'", "'Σ'", "ΣΑΣ ΣΑΣ_ΣΑΣ",
        # Python's str.lower() special cases.
        "İSTANBUL", "İ", "I\u0307", "ẞ", "\u2126 \u212a \u212b", "ǅ ǈ ǋ ǲ", "ᾼ ῌ ῼ", "ΐ", "Ⅻ", "ⓐⒶ", "𐐀𐐨", "Ａ",
        "ＨＥＬＬＯ！ＷＯＲＬＤ？", "ＡＢＣ＿ＤＥＦ",
        # Letters newer than Unicode 14 (Python 3.11 leaves them; a newer table would lowercase them).
        "\ua7cb\ua7cc\ua7ce", "\u1c89 \u1c8a", "\U00010d50\U00010d51", "\ua7dc", "a\ua7cbb", "\ua7da\ua7db",
        # Python's whitespace (str.split) and what it is not.
        "a\x1cb", "a\x1db", "a\x1eb", "a\x1fb", "a\x85b", "a\u2028b", "a\u2029b", "a\u00a0_b", "a\u200bb",
        "a\u180eb", "a\ufeffb", "a\u3000b", "a\u1680b", "a\u202fb", "a\u205fb", "a\x0bb", "a\x0cb", "\t_\n",
        " _ ", "\u3000_\u3000", "a\u2581_b", "\u2581_\u2581", "_\u2581", "a \u2581 b",
        # ftfy repairs before the punctuation step.
        "cafÃ©", "â€œquotedâ€\x9d", "ﬁnancial ﬂow", "‘single’ “double”", "\x1b[31mred\x1b[0m", "a\r\nb",
        "It\u2019s", "l\u2019homme", "\x93smart\x94", "Ã¼ber", "â€¦", "ï¬",
        # Unicode punctuation (not in string.punctuation) stays.
        "¿Qué? ¡Sí!", "«a» — b…", "、。「」", "·•", "‐‑‒–—―", "′″", "§¶†‡", "©®™", "¬¦", "¨´¸", "ʼ", "＇",
        # Lengths around the context lengths after cleaning.
        "_".join(["a"] * 70), " ".join(["a."] * 63), "-".join(["b"] * 64), ".".join(["c"] * 62),
        "_".join(["a"] * 15), "_".join(["a"] * 16), "_".join(["a"] * 14), "!" * 200 + "a",
        "a" + "_" * 200 + "b", "&amp;" * 40 + "x",
    ]
    rng = random.Random(20260601)
    parts = ["a", "photo", "of", "the", "cat", "DOG", "Σ", "ΑΣ", "İ", "ß", "é", "e\u0301", "東京", "😀", "▁", "_", "__",
             ".", ",", "!", "?", "'", "\"", "-", "(", ")", "<", ">", "</s>", "<pad>", "&amp;", "&lt;", "&gt;",
             "&quot;", "&#39;", "&nbsp;", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\x85", "\x1c", "{}", "@", "#",
             "Ã©", "â€™", "ﬁ", "Ａ", "\u2019", "\u201c", "\ua7cb", "ǅ", "\u0307"]
    randoms = []
    for _ in range(300):
        n = rng.randint(1, 24)
        randoms.append("".join(rng.choice(parts) for _ in range(n)))
    return fixed + randoms


def texts():
    seen = set()
    result = []
    for text in ([row["text"] for row in gzip_lines(os.path.join(FIXTURES, "siglip-spiece", "parity.jsonl.gz"))]
                 + [row["text"] for row in gzip_lines(os.path.join(FIXTURES, "siglip2-gemma", "parity.jsonl.gz"))]
                 + open_clip_texts()):
        if text not in seen:
            seen.add(text)
            result.append(text)
    return result


def folder(source, names):
    path = tempfile.mkdtemp()
    for name in names:
        shutil.copy(os.path.join(FIXTURES, source, name), path)
    return path


def compact(value):
    # U+FEFF escaped: Foundation's JSONSerialization drops it when it is written raw.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\ufeff", "\\ufeff")


def write_gzip(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(text.encode("utf-8"))


def rows(path, expected_class, pad_id, all_texts):
    tokenizer = HFTokenizer(path, context_length=CONTEXT, clean="canonicalize")
    reference = AutoTokenizer.from_pretrained(path)
    assert type(tokenizer.tokenizer).__name__ == expected_class, type(tokenizer.tokenizer)
    assert type(reference).__name__ == expected_class, type(reference)
    assert reference.pad_token_id == pad_id, reference.pad_token_id
    assert reference.sep_token_id is None  # strip_sep_token would have nothing to strip
    lines = []
    differs_from_raw = 0
    for text in all_texts:
        clean = canonicalize_text(basic_clean(text))
        ids = tokenizer(text)[0].tolist()
        ids16 = tokenizer(text, context_length=SHORT_CONTEXT)[0].tolist()
        assert len(ids) == CONTEXT and len(ids16) == SHORT_CONTEXT
        # open_clip = transformers on the cleaned text: the cleaning is the only difference.
        assert ids == reference(clean, padding="max_length", max_length=CONTEXT, truncation=True)["input_ids"], text
        assert ids16 == reference(clean, padding="max_length", max_length=SHORT_CONTEXT, truncation=True)["input_ids"], text
        raw = reference(text, padding="max_length", max_length=CONTEXT, truncation=True)["input_ids"]
        differs_from_raw += raw != ids
        lines.append({"text": text, "clean": clean, "ids": ids, "ids16": ids16})
    return lines, differs_from_raw


def main():
    os.makedirs(OUT, exist_ok=True)
    all_texts = texts()
    spiece = folder("siglip-spiece", ["spiece.model", "tokenizer_config.json"])
    gemma = folder("siglip2-gemma", ["tokenizer.json", "tokenizer_config.json"])
    spiece_rows, spiece_raw = rows(spiece, "SiglipTokenizer", 1, all_texts)
    gemma_rows, gemma_raw = rows(gemma, "GemmaTokenizer", 0, all_texts)
    write_gzip(os.path.join(OUT, "parity-spiece.jsonl.gz"), "".join(compact(row) + "\n" for row in spiece_rows))
    write_gzip(os.path.join(OUT, "parity-gemma.jsonl.gz"), "".join(compact(row) + "\n" for row in gemma_rows))
    changed = sum(1 for row in spiece_rows if row["clean"] != row["text"])
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(
            python=sys.version.split()[0], open_clip=open_clip.__version__, transformers=transformers.__version__,
            tokenizers=tokenizers.__version__, sentencepiece=sentencepiece.__version__, ftfy=ftfy.__version__,
            torch=torch.__version__, lines=len(all_texts), changed=changed, spiece_raw=spiece_raw, gemma_raw=gemma_raw))
    print("wrote", len(all_texts), "lines to", OUT)


README = """# openclip-siglip

open_clip's `HFTokenizer` ids for SigLIP (SentencePiece) and SigLIP 2 (Gemma) checkpoints in
open_clip's layout (`tokenizer_kwargs: {{"clean": "canonicalize"}}`), written by
`Scripts/make_openclip_siglip_tokenizer_fixtures.py` (Python {python}, open_clip_torch {open_clip},
transformers {transformers}, tokenizers {tokenizers}, sentencepiece {sentencepiece}, ftfy {ftfy},
torch {torch}; fixed seeds). Regenerate with `python Scripts/make_openclip_siglip_tokenizer_fixtures.py`
from the repository root; never edit by hand.

The tokenizer files are the fixtures of `../siglip-spiece` (spiece.model + tokenizer_config.json:
transformers' `SiglipTokenizer`) and `../siglip2-gemma` (tokenizer.json + tokenizer_config.json:
`GemmaTokenizer`), copied to folders that `HFTokenizer(folder, context_length=64,
clean="canonicalize")` loads with `AutoTokenizer.from_pretrained`.

- `parity-spiece.jsonl.gz`, `parity-gemma.jsonl.gz` ({lines} lines each, the same texts, gzip):
  `text`; `clean` = open_clip's `canonicalize_text(basic_clean(text))` (different from `text` on
  {changed} lines); `ids` = `HFTokenizer(...)(text)[0].tolist()`, 64 ids padded as the tokenizer
  pads (`</s>` = 1 for SigLIP, `<pad>` = 0 for Gemma); `ids16` the same with `context_length=16`.
  The script checked on every line that `ids` equals the transformers tokenizer called on `clean`
  with `padding="max_length", max_length=64, truncation=True` (the cleaning is open_clip's only
  change); called on the raw text instead, transformers gives other ids on {spiece_raw} (SigLIP) and
  {gemma_raw} (Gemma) lines.
- Texts: the hard corpus of `../siglip-spiece/parity.jsonl.gz` and `../siglip2-gemma/parity.jsonl.gz`
  (duplicates dropped), then lines for open_clip's cleaning (underscores, HTML entities,
  Final_Sigma beside removed punctuation, Python whitespace and lowercase special cases, letters
  newer than Unicode 14, mojibake, lengths around 16 and 64 ids) and 300 seeded random mixtures.
"""

if __name__ == "__main__":
    main()
