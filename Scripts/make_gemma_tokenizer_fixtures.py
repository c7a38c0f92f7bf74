#!/usr/bin/env python3
"""Write Tests/TextTokenizerTests/Fixtures/siglip2-gemma/: a small Gemma-style tokenizer and the ids
transformers gives for hard texts.

    python Scripts/make_gemma_tokenizer_fixtures.py

1. Trains a BPE model with the `tokenizers` package on a mixed multilingual corpus (the texts of
   openclip_parity.jsonl, which Scripts/generate_tokenizer_fixture.py wrote, plus lines of
   Scripts/make_tokenizer_corpus.py) and lays it out like Gemma's tokenizer.json: <pad>=0, <eos>=1,
   <bos>=2, <unk>=3, <mask>=4, <start_of_turn>=5, <end_of_turn>=6, the 256 byte tokens <0x00>..<0xFF>
   (7..262), then the learned tokens; normalizer Replace(" ", "▁"), pre-tokenizer Split(" ",
   merged_with_previous), BPE with byte_fallback and fuse_unk, post-processor TemplateProcessing
   "$A <eos>" (as SigLIP 2's), decoder Sequence[Replace("▁", " "), ByteFallback, Fuse].
2. Writes tokenizer_config.json as google/siglip2-base-patch16-224 ships it (tokenizer_class
   GemmaTokenizer, add_bos_token false, add_eos_token true, padding_side right, model_max_length 64).
3. Loads the folder with transformers' AutoTokenizer (GemmaTokenizer) and Siglip2Tokenizer (what a
   folder whose config.json says model_type siglip2 gets: a Lowercase normalizer in front) and
   records, per text: `ids` = tokenizer(text, padding="max_length", max_length=64,
   truncation=True)["input_ids"] with the trailing <pad> ids removed (the test pads them back and
   checks every id), `lower` = the same for Siglip2Tokenizer when it differs, `encode` (ids without
   special tokens, only for texts whose ids are truncated), `decoded` = decode(row,
   skip_special_tokens=False) for every 5th text.
4. `post_processors.jsonl`: ids with other post-processors in tokenizer.json (Gemma's "<bos> $A",
   "<bos> $A <eos>", null), same config (whose add_bos_token/add_eos_token transformers ignores).
"""
import json
import os
import random
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "TextTokenizerTests", "Fixtures")
OUT = os.path.join(FIXTURES, "siglip2-gemma")
SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"]
BYTES = [f"<0x{b:02X}>" for b in range(256)]
VOCAB_SIZE = 3000


def hard_texts():
    texts = [json.loads(line)["text"] for line in open(os.path.join(FIXTURES, "openclip_parity.jsonl"), encoding="utf-8")]
    extra = [
        "", " ", "  ", "\t", "\n", " \t\n ", "\u00a0", "a\u00a0b", "  leading", "trailing  ", "  both  ",
        "tab\tseparated\tvalues", "line\nbreak\r\nwindows", "multiple   spaces    here", "\u3000ideographic space",
        "▁", "▁▁", "a▁b", "▁leading metaspace", "already ▁ spaced", "<0x41>", "<0x41><0x42>", "x<0xFF>y",
        "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "<bos>a photo<eos>", " <bos> spaced <eos> ", "<bos><bos>",
        "<start_of_turn>user\nhi<end_of_turn>", "<bo s>", "<BOS>", "<<bos>>", "<eos", "eos>", "<boseos>",
        "...", "!!!", "?!?!", "---", "()[]{}", "\"'`", "@#$%^&*", "~", "😀", "👨\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈", "👍🏽", "🇫🇷🇯🇵", "1️⃣", "e\u0301", "\u00e9", "Ａｂｃ", "ﬁ", "ß", "İstanbul", "ΣΊΣΥΦΟΣ",
        "ǅ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\U0010FFFD", "\ufeffbom", "\u200b", "zero\u200bwidth", "\x00", "a\x00b", "\x1b[31mred",
        "A PHOTO OF A CAT", "Straße", "ÅNGSTRÖM", "日本語のテキスト", "中文字符", "한국어 텍스트",
    ]
    rng = random.Random(7)
    words = [w for t in texts for w in t.split() if w]
    for _ in range(60):  # very long lines, truncated at 64 ids
        texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(40, 120))))
    for _ in range(60):  # random whitespace runs and special-token names inside text
        parts = [rng.choice(words + ["<bos>", "<eos>", "▁", "<0x41>", " ", "\t", "\n", "\u00a0", "  "]) for _ in range(rng.randint(1, 8))]
        texts.append(rng.choice(["", " ", "\t"]).join(parts))
    return texts + extra


def corpus():
    sys.path.insert(0, os.path.join(ROOT, "Scripts"))
    import subprocess
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "corpus.txt")
    subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "make_tokenizer_corpus.py"), path, "20000"], check=True)
    return open(path, encoding="utf-8").read().splitlines()


def train(lines):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    # Training words split before each "▁" (SentencePiece-like pieces); the written file uses Gemma's split.
    tok.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIALS + BYTES, limit_alphabet=400,
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    assert all(vocab[t] == i for i, t in enumerate(SPECIALS + BYTES)), "specials and bytes first"
    data["added_tokens"] = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for i, t in enumerate(SPECIALS)
    ]
    data["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
    data["pre_tokenizer"] = {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False}
    data["post_processor"] = POST_PROCESSORS["eos"]
    data["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return data


# SigLIP 2's tokenizer.json appends <eos> ("$A <eos>"); Gemma's prepends <bos>. transformers 5.24
# ignores add_bos_token/add_eos_token of tokenizer_config.json when a tokenizer.json exists.
POST_PROCESSORS = {
    "eos": {
        "type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<eos>", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<eos>", "type_id": 1}}],
        "special_tokens": {"<eos>": {"id": "<eos>", "ids": [1], "tokens": ["<eos>"]}},
    },
    "bos": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<bos>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}},
    },
    "bos-eos": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<eos>", "type_id": 0}}, {"SpecialToken": {"id": "<bos>", "type_id": 1}},
                 {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<eos>", "type_id": 1}}],
        "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]},
                           "<eos>": {"id": "<eos>", "ids": [1], "tokens": ["<eos>"]}},
    },
    "null": None,
}


def compact(value):
    # U+FEFF escaped: Foundation's JSONSerialization drops it when it is written raw.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\ufeff", "\\ufeff")


def write_gzip(path, text):
    import gzip
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(text.encode("utf-8"))


def config(with_bos_eos):
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
             for i, t in enumerate(SPECIALS)}
    cfg = {"added_tokens_decoder": added, "bos_token": "<bos>", "clean_up_tokenization_spaces": False,
           "eos_token": "<eos>", "extra_special_tokens": {}, "model_max_length": 64, "pad_token": "<pad>",
           "padding_side": "right", "processor_class": "Siglip2Processor", "sp_model_kwargs": {},
           "spaces_between_special_tokens": False, "tokenizer_class": "GemmaTokenizer", "unk_token": "<unk>",
           "use_default_system_prompt": False}
    if with_bos_eos:
        cfg["add_bos_token"] = False
        cfg["add_eos_token"] = True
    return dict(sorted(cfg.items()))


def row(tok, text):
    ids = tok(text, padding="max_length", max_length=64, truncation=True)["input_ids"]
    assert len(ids) == 64
    trimmed = list(ids)
    while trimmed and trimmed[-1] == tok.pad_token_id:
        trimmed.pop()
    return ids, trimmed


def main():
    os.makedirs(OUT, exist_ok=True)
    data = train(corpus() + hard_texts())
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(compact(data))
    with open(os.path.join(OUT, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config(True), f, ensure_ascii=False, indent=2)

    gemma = transformers.AutoTokenizer.from_pretrained(OUT)
    assert type(gemma).__name__ == "GemmaTokenizer", type(gemma)
    siglip2 = transformers.Siglip2Tokenizer.from_pretrained(OUT)
    lines = []
    for index, text in enumerate(hard_texts()):
        ids, trimmed = row(gemma, text)
        entry = {"text": text, "ids": trimmed}
        _, lower = row(siglip2, text)
        if lower != trimmed:
            entry["lower"] = lower
        plain = gemma.encode(text, add_special_tokens=False)
        if len(plain) > 63:
            entry["encode"] = plain
        else:
            assert plain + [gemma.eos_token_id] == trimmed, (text, plain, trimmed)
        if index % 5 == 0:
            entry["decoded"] = gemma.decode(ids, skip_special_tokens=False)
        lines.append(entry)
    write_gzip(os.path.join(OUT, "parity.jsonl.gz"), "".join(compact(entry) + "\n" for entry in lines))

    # The same tokenizer.json with other post-processors (the test substitutes the JSON text).
    import shutil
    import tempfile
    variants = []
    for name in ["bos", "bos-eos", "null"]:
        if True:
            folder = tempfile.mkdtemp()
            variant = dict(data)
            variant["post_processor"] = POST_PROCESSORS[name]
            with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as g:
                g.write(compact(variant))
            shutil.copy(os.path.join(OUT, "tokenizer_config.json"), folder)
            other = transformers.AutoTokenizer.from_pretrained(folder)
            texts = hard_texts()[::20]
            variants.append({"variant": name, "post_processor": compact(POST_PROCESSORS[name]), "texts": texts,
                             "ids": [row(other, text)[1] for text in texts]})
    write_gzip(os.path.join(OUT, "post_processors.jsonl.gz"), "".join(compact(v) + "\n" for v in variants))

    # Decoding of random id sequences (byte tokens that split characters, specials, pads).
    rng = random.Random(11)
    vocab_size = len(data["model"]["vocab"])
    with open(os.path.join(OUT, "decode.jsonl"), "w", encoding="utf-8") as f:
        for _ in range(300):
            ids = [rng.randrange(vocab_size) if rng.random() < 0.6 else rng.randrange(263) for _ in range(rng.randint(0, 20))]
            f.write(compact({"ids": ids, "decoded": gemma.decode(ids, skip_special_tokens=False)}) + "\n")

    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(python=sys.version.split()[0], transformers=transformers.__version__,
                              tokenizers=tokenizers.__version__, lines=len(lines), vocab=vocab_size,
                              merges=len(data["model"]["merges"])))


README = """Fixtures for the Gemma (SigLIP 2) tokenizer tests, written by `Scripts/make_gemma_tokenizer_fixtures.py`
(Python {python}, transformers {transformers}, tokenizers {tokenizers}; fixed seeds). Regenerate with
`python Scripts/make_gemma_tokenizer_fixtures.py` from the repository root; never edit by hand.

- `tokenizer.json`: a BPE tokenizer trained by `tokenizers` on a mixed multilingual corpus, laid out
  like Gemma's ({vocab} tokens, {merges} merges): <pad>=0, <eos>=1, <bos>=2, <unk>=3, <mask>=4,
  <start_of_turn>=5, <end_of_turn>=6 (added, special, not normalized), <0x00>..<0xFF> = 7..262, then
  learned tokens. Normalizer Replace(" ", "▁"), pre-tokenizer Split(" ", MergedWithPrevious), BPE
  with byte_fallback and fuse_unk, post-processor TemplateProcessing "$A <eos>", decoder
  Sequence[Replace("▁", " "), ByteFallback, Fuse].
- `tokenizer_config.json`: as google/siglip2-base-patch16-224 ships it (tokenizer_class GemmaTokenizer,
  add_bos_token false, add_eos_token true, model_max_length 64, padding_side right).
- `parity.jsonl.gz` ({lines} lines, gzip): `text`; `ids` = `AutoTokenizer.from_pretrained(folder)(text,
  padding="max_length", max_length=64, truncation=True)["input_ids"]` without its trailing <pad> (0)
  ids; `lower` (when different) the same with `Siglip2Tokenizer.from_pretrained(folder)` (the class a
  folder whose config.json has model_type siglip2 gets: Lowercase before Replace); `encode` =
  `encode(text, add_special_tokens=False)` for texts longer than 63 ids (for the others it is `ids`
  without the final <eos>); `decoded` = `decode(padded ids, skip_special_tokens=False)` for every 5th
  text.
- `post_processors.jsonl.gz`: one line per variant: `variant`, `post_processor` (its compact JSON text,
  to put in place of the file's), `texts`, `ids` (as in parity.jsonl.gz) for tokenizer.json copies with Gemma's "<bos> $A",
  "<bos> $A <eos>" and null post-processors. transformers 5.24 ignores tokenizer_config.json's
  add_bos_token/add_eos_token when a tokenizer.json exists (PreTrainedTokenizerBase._from_pretrained
  drops them), so the post-processor alone decides; null means no special tokens.
- `decode.jsonl`: `decode(ids, skip_special_tokens=False)` for random id sequences.
"""

if __name__ == "__main__":
    main()
