#!/usr/bin/env python3
"""Generate the SigLIP SentencePiece fixtures of TextTokenizerTests.

Writes Tests/TextTokenizerTests/Fixtures/siglip-spiece/:
  spiece.model           a small unigram SentencePiece model trained here (nmt_nfkc, 3,000 pieces,
                         <pad>=0 </s>=1 <unk>=2 and no <s>, like google/siglip-base-patch16-224's)
  tokenizer_config.json  shaped like the hub SigLIP one (tokenizer_class SiglipTokenizer, 64 tokens,
                         do_lower_case, pad = eos = "</s>")
  parity.jsonl.gz        {"category", "text", "ids", ["input_ids"]} per hard line: `ids` is
                         tokenizer(text, add_special_tokens=False)["input_ids"] (no eos, no
                         truncation); `input_ids`, tokenizer(text, padding="max_length",
                         max_length=64, truncation=True)["input_ids"] (what SigLIP users call), is
                         written only where it differs from padded_rule(ids) below (the script
                         compares every line; it keeps the file small)
  normalize.jsonl.gz     {"text", "normalized"}: sentencepiece's own normalizer output of raw lines
                         (SentencePieceProcessor.normalize) of every fifth line
  decode.jsonl           {"ids", "text"}: tokenizer.decode(ids, skip_special_tokens=False)
  README.md              versions and contents

The reference is transformers' SiglipTokenizer exactly as AutoTokenizer.from_pretrained(folder)
loads it (in transformers 5.24 that is the sentencepiece-backed Python class, not a `tokenizers`
conversion; the script asserts that).

Training text comes from Scripts/make_tokenizer_corpus.py (its mixed multilingual corpus); the hard
lines are the texts of openclip_parity.jsonl (the CLIP tokenizer's 2,047 hard lines) plus lines for
SigLIP's own rules (special-token names, U+2581, Python whitespace, long lines, casing).

Run from the repository root:  python Scripts/make_siglip_tokenizer_fixtures.py
"""
import gzip
import io
import json
import os
import random
import string
import subprocess
import sys
import tempfile
from importlib import metadata

import sentencepiece as spm
import transformers
from transformers import AutoTokenizer

assert sys.version_info[:2] == (3, 11), sys.version
assert transformers.__version__ == "5.24.0", transformers.__version__
assert spm.__version__ == "0.2.3", spm.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TextTokenizerTests", "Fixtures", "siglip-spiece")
os.makedirs(OUT, exist_ok=True)
rng = random.Random(20260517)

# ---------------------------------------------------------------- training
with tempfile.TemporaryDirectory() as tmp:
    corpus_path = os.path.join(tmp, "corpus.txt")
    subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "make_tokenizer_corpus.py"), corpus_path, "40000"],
                   check=True, stdout=subprocess.DEVNULL)
    raw = open(corpus_path, encoding="utf-8").read().split("\n")

table = str.maketrans("", "", string.punctuation)
# SigLIP's tokenizer lowercases and removes ASCII punctuation before SentencePiece: train on that.
train_lines = [" ".join(line.lower().translate(table).split()) for line in raw if line.strip()]
model = io.BytesIO()
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(train_lines),
    model_writer=model,
    model_type="unigram",
    vocab_size=3000,
    normalization_rule_name="nmt_nfkc",
    character_coverage=0.995,  # rare CJK characters and emoji stay unknown
    pad_id=0, pad_piece="<pad>",
    eos_id=1, eos_piece="</s>",
    unk_id=2, unk_piece="<unk>",
    bos_id=-1,
    num_threads=2,
    seed_sentencepiece_size=100000,
    minloglevel=2,
)
with open(os.path.join(OUT, "spiece.model"), "wb") as f:
    f.write(model.getvalue())

config = {
    "added_tokens_decoder": {
        "1": {"content": "</s>", "lstrip": True, "normalized": False, "rstrip": True, "single_word": False, "special": True},
        "2": {"content": "<unk>", "lstrip": True, "normalized": False, "rstrip": True, "single_word": False, "special": True},
    },
    "additional_special_tokens": [],
    "clean_up_tokenization_spaces": True,
    "do_lower_case": True,
    "eos_token": "</s>",
    "model_input_names": ["input_ids"],
    "model_max_length": 64,
    "pad_token": "</s>",
    "processor_class": "SiglipProcessor",
    "sp_model_kwargs": {},
    "tokenizer_class": "SiglipTokenizer",
    "unk_token": "<unk>",
}
with open(os.path.join(OUT, "tokenizer_config.json"), "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2, ensure_ascii=False)
    f.write("\n")

tok = AutoTokenizer.from_pretrained(OUT)
assert type(tok).__name__ == "SiglipTokenizer", type(tok)
assert tok.pad_token_id == 1 and tok.eos_token_id == 1 and tok.unk_token_id == 2, (tok.pad_token_id, tok.eos_token_id)
sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, "spiece.model"))

# ---------------------------------------------------------------- hard lines
rows = []
def add(category, text):
    rows.append((category, text))

for line in open(os.path.join(ROOT, "Tests", "TextTokenizerTests", "Fixtures", "openclip_parity.jsonl"), encoding="utf-8"):
    row = json.loads(line)
    add("clip-" + row["category"], row["text"])

sig = [
    "", " ", "\t", "\n", "\u00a0", "   \t\n  ", ".", "!!!", "...?!", "<>", "()[]{}", "'\"`", "--", "_", "___init___",
    "\u2581", "\u2581\u2581", "\u2581hello", "hello\u2581world", "hello \u2581 world", "\u2581 \u2581", "a\u2581", "\u2581.",
    "</s>", "<unk>", "<pad>", "<s>", "</s></s>", "hello</s>", "hello </s>", "</s> hello", "hello</s>world", "hello <unk> world",
    "<unk>hello", "a photo of a </s>", "A </S> b", "</s> ", " </s>", "\u2581</s>", "</s>\u2581", "<unk>\u2581", "x<pad>y",
    "Hello, World!", "HELLO WORLD", "ΣΊΣΥΦΟΣ", "ὈΔΥΣΣΕΎΣ", "İstanbul", "STRASSE straße", "ǅ ǈ ǋ", "ΑΣ. ΑΣ", "Σ", "aΣ", "aΣb", "ʼΣ",
    "ﬁ ﬂ ﬃ", "Ⅻ ⅻ", "Ａ Ｂ Ｃ", "ＨＥＬＬＯ　ＷＯＲＬＤ", "㍻ ㍿", "①②③", "x²", "𝐇𝐞𝐥𝐥𝐨",
    "a\tb", "a\nb", "a\r\nb", "a\u00a0b", "a\u2009b", "a\u3000b", "a\u200bb", "a\u2028b", "a\u2029b", "a\x85b", "a\x1cb",
    "a\x1fb", "a\x0bb", "a\x0cb", "a\u1680b", "a\u202fb", "a\u205fb", "a\u180eb", "a\ufeffb", "a\u00adb", "a\u200db",
    "  leading", "trailing  ", "\t\tboth\t\t", "many     spaces     here", "\u00a0\u00a0nbsp\u00a0\u00a0", "mixed \t\n\u00a0 runs",
    "a photo of a cat.", "a photo of 2 cats.", "A PHOTO OF A DOG!", "itap of my {}.", "this is a photo of a {}",
    "café naïve résumé", "cafe\u0301 nai\u0308ve", "Ångström", "Zürich Straße", "crème brûlée", "œuvre", "Łódź", "ıi İI",
    "東京タワー", "北京欢迎你", "한국어 문장", "日本語のテキストです。", "ｶﾀｶﾅ", "中文，标点！", "「こんにちは」", "《书名》",
    "😀", "😀😀😀", "👩‍👩‍👧‍👦", "🇯🇵🇫🇷", "👍🏽", "❤️", "1️⃣", "cat 🐱 dog 🐶", "🏳️‍🌈", "\U0001F9D1\u200d\U0001F4BB",
    "abc\x00def", "\x00", "\x07bell", "\x1b[31mred\x1b[0m", "\ufffd", "\U0010ffff", "\ue000", "\ud7ff",
    "¿Qué? ¡Sí!", "«guillemets»", "“curly” ‘quotes’", "—dash–", "…", "•bullet", "§1 ¶2", "©®™", "½ ¼", "±×÷", "€£¥",
    "12,345.67", "3.14159", "1/2", "50%", "#hashtag", "@user", "http://example.com/a?b=c&d=e", "a@b.com", "C++", "x = y + 1;",
]
for text in sig:
    add("siglip", text)

words = [w for w in " ".join(train_lines[:4000]).split() if w.isalpha()]
pieces = [sp.id_to_piece(i) for i in range(3, sp.get_piece_size())]
alphabet = sorted({c for line in train_lines[:20000] for c in line})
specials = ["</s>", "<unk>", "<pad>", "\u2581", " ", "\t", "\n", "\u00a0", ".", ",", "!", "?"]
for i in range(300):
    n = rng.randint(1, 12)
    parts = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.choice(words).upper() if rng.random() < 0.2 else rng.choice(words))
        elif r < 0.55:
            parts.append(rng.choice(pieces).replace("\u2581", rng.choice(["", " ", "\u2581"])))
        elif r < 0.75:
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))))
        elif r < 0.9:
            parts.append(rng.choice(specials))
        else:
            parts.append(chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0xa0, 0x2fff), rng.randint(0x3000, 0x9fff),
                                         rng.randint(0x1f300, 0x1faff)])))
    add("siglip-random", "".join(p + rng.choice(["", " ", " ", "  "]) for p in parts))
for i in range(30):
    n = rng.randint(40, 120)
    add("siglip-long", " ".join(rng.choice(words) for _ in range(n)))
add("siglip-long", "x" * 1000)
add("siglip-long", " ".join(["a"] * 63))
add("siglip-long", " ".join(["a"] * 64))
add("siglip-long", " ".join(["a"] * 62) + " </s>")
add("siglip-long", " ".join(["a"] * 63) + " </s>")
add("siglip-long", " ".join(["a"] * 64) + " </s>")
add("siglip-long", "</s> " * 70)
add("siglip-long", "東京" * 80)
add("siglip-long", "😀" * 100 + " hello")

# ---------------------------------------------------------------- references
def gzip_writer(name):
    """A text writer of OUT/name, gzip with a zero timestamp (reproducible bytes)."""
    raw = gzip.GzipFile(os.path.join(OUT, name), "wb", compresslevel=9, mtime=0)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")

def padded_rule(ids):
    """What SiglipTokenizer's padded call returned for every fixture line: the first 63 ids, then
    </s> unless the last kept id already is </s> (_add_eos_if_not_present), then </s> (the pad id)
    up to 64."""
    kept = ids[:63]
    if not kept or kept[-1] != 1:
        kept = kept + [1]
    return kept + [1] * (64 - len(kept))

explicit = []
with gzip_writer("parity.jsonl.gz") as f:
    for category, text in rows:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        padded = tok(text, padding="max_length", max_length=64, truncation=True)["input_ids"]
        assert len(padded) == 64
        row = {"category": category, "text": text, "ids": ids}
        explicit.append(padded != padded_rule(ids))
        if explicit[-1]:
            row["input_ids"] = padded
        f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")

with gzip_writer("normalize.jsonl.gz") as f:
    for category, text in rows[::5]:
        if "\x00" in text:
            continue  # the Python binding passes C strings; NUL would be cut
        f.write(json.dumps({"text": text, "normalized": sp.normalize(text)}, ensure_ascii=False, separators=(",", ":")) + "\n")

with open(os.path.join(OUT, "decode.jsonl"), "w", encoding="utf-8") as f:
    size = sp.get_piece_size()
    cases = [[], [0], [1], [2], [1, 1, 1], [0, 1, 2], [2, 2], list(range(0, 40))]
    for category, text in rows[::40]:
        cases.append(tok(text, padding="max_length", max_length=64, truncation=True)["input_ids"])
        cases.append(tok(text, add_special_tokens=False)["input_ids"][:64])
    for _ in range(100):
        cases.append([rng.randrange(size) for _ in range(rng.randint(1, 20))])
    for ids in cases:
        f.write(json.dumps({"ids": ids, "text": tok.decode(ids, skip_special_tokens=False)}, ensure_ascii=False, separators=(",", ":")) + "\n")

with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
    f.write(f"""# siglip-spiece

SigLIP SentencePiece fixtures, written by `Scripts/make_siglip_tokenizer_fixtures.py` (Python
{sys.version.split()[0]}, transformers {transformers.__version__}, sentencepiece {spm.__version__}, tokenizers
{metadata.version("tokenizers")}, protobuf {metadata.version("protobuf")}; fixed seeds). Regenerate with
`python Scripts/make_siglip_tokenizer_fixtures.py` from the repository root; never edit by hand.

- `spiece.model`: a unigram SentencePiece model trained by the script on the lowercased,
  punctuation-free mixed corpus of `Scripts/make_tokenizer_corpus.py` (40,000 lines): 3,000 pieces,
  `nmt_nfkc` normalization (add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces),
  character_coverage 0.995 (rare CJK characters and most emoji are unknown), `<pad>` = 0,
  `</s>` = 1, `<unk>` = 2, no `<s>` (google/siglip-base-patch16-224's spiece has the same three
  special pieces at the same ids).
- `tokenizer_config.json`: shaped like the hub SigLIP config (SiglipTokenizer, model_max_length 64,
  do_lower_case, pad_token = eos_token = `</s>`).
- `parity.jsonl.gz` ({len(rows)} lines, gzip to keep the repository small): `{{"category", "text", "ids", ["input_ids"]}}`; `ids` is
  `tokenizer(text, add_special_tokens=False)["input_ids"]` and `input_ids` is
  `tokenizer(text, padding="max_length", max_length=64, truncation=True)["input_ids"]`, with
  `tokenizer = AutoTokenizer.from_pretrained(this folder)` (a `SiglipTokenizer`). `input_ids` is
  written only for the {sum(1 for r in explicit if r)} lines where it is not `ids[:63]`, then `</s>` (1)
  unless the last kept id is already `</s>`, then `</s>` up to 64 ids; the script compared the
  padded call with that rule on every line. Categories
  `clip-*` are the texts of `../openclip_parity.jsonl`; `siglip*` are SigLIP-specific lines
  (special-token names, U+2581, whitespace kinds, casing, random piece mixtures, long lines).
- `normalize.jsonl.gz`: `SentencePieceProcessor.normalize(text)` for every fifth line (the normalizer
  alone: charsmap, dummy prefix, whitespace).
- `decode.jsonl`: `tokenizer.decode(ids, skip_special_tokens=False)` for fixture rows and random ids.
""")
print("wrote", len(rows), "parity lines to", OUT)
