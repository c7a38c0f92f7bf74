#!/usr/bin/env python3
"""Write Tests/TextTokenizerTests/Fixtures/wordpiece/: a small uncased BERT WordPiece vocabulary and
the ids transformers' BertTokenizer and open_clip's HFTokenizer (as the CLIPA models use it) give
with it.

    python Scripts/make_wordpiece_fixtures.py            (from the repository root)
    python Scripts/make_wordpiece_fixtures.py --train    (also train a new vocab.txt)

The `tokenizers` WordPiece trainer is not deterministic (ties between equally frequent tokens fall
differently from run to run), so the committed vocab.txt is the source of truth: without --train the
script reads it and only recomputes the reference ids, which is reproducible.

bert-base-uncased's own vocab.txt cannot be downloaded here, so the script trains a vocabulary of the
same shape with the `tokenizers` library's WordPiece trainer (BertWordPieceTokenizer: lowercase,
strip accents, CJK characters split) over the repository's mixed tokenizer corpus
(Scripts/make_tokenizer_corpus.py), laid out like bert-base-uncased's: [PAD] = 0, ten [unusedN], then
[UNK], [CLS], [SEP], [MASK] (so no special id is 0..4 by accident), the trained tokens, and a few
accented letters by hand (as bert-base-uncased has "é" even though accent stripping never produces
it).

References, all from the vocabulary folder (vocab.txt + tokenizer_config.json {"do_lower_case": true,
"tokenizer_class": "BertTokenizer"}):
  * transformers 5.24's BertTokenizer.from_pretrained(folder): in transformers 5 it is the
    `tokenizers` (Rust) backed class, and BertTokenizerFast is the same class (asserted); the script
    also checks BertTokenizer(vocab=path) and AutoTokenizer.from_pretrained(folder) give the same ids
    on every line. (Note: BertTokenizer(vocab_file=path) silently ignores the file in transformers 5
    and keeps a five-token vocabulary, so it is not used.)
  * transformers' BertTokenizerLegacy (the pure-Python BasicTokenizer + WordpieceTokenizer that
    BertTokenizer was in transformers 4): compared on every line and reported; where it differs
    (Python's final sigma, its Unicode 14 data, its CJK ranges) the line records `legacy_ids`. The
    ids to match are the `tokenizers` ones: those are what open_clip gets.
  * open_clip 3.3.0's HFTokenizer(folder, context_length=32, clean="whitespace", strip_sep_token=True),
    the tokenizer open_clip builds for the CLIPA configurations ("hf_tokenizer_name":
    "bert-base-uncased", "tokenizer_kwargs": {"strip_sep_token": true}, context_length 32). The
    script checks on every line that it equals its own emulation: whitespace_clean(basic_clean(text)),
    then the tokenizer with max_length=32, padding="max_length", truncation=True, then every [SEP]
    id replaced by 0.

Output (gzip files with zero mtime: reproducible bytes):
  vocab.txt          the vocabulary, one token per line (id = line number - 1)
  parity.jsonl.gz    per text: {"category", "text", "ids", "row32", "clean", "openclip", "openclip8",
                     ["legacy_ids"]}:
                       ids       = tokenizer(text)["input_ids"] ([CLS] ... [SEP], no truncation)
                       row32     = tokenizer(text, padding="max_length", max_length=32, truncation=True)["input_ids"]
                       clean     = open_clip's whitespace_clean(basic_clean(text))
                       openclip  = HFTokenizer(...)(text)[0].tolist() (32 ids)
                       openclip8 = HFTokenizer(...)(text, context_length=8)[0].tolist()
                       legacy_ids, only where BertTokenizerLegacy(vocab_file)(text) differs from ids
  decode.jsonl       {"ids", "text"}: tokenizer.decode(ids) for random id sequences and corpus lines
  README.md          versions and contents

Texts: the hard corpus of the other tokenizer fixtures (every text of
openclip-siglip/parity-spiece.jsonl.gz, which gathers siglip-spiece's, siglip2-gemma's and
openclip_parity.jsonl's), then BERT-specific lines (CJK mixed text and the CJK range edges, accents and
combining marks, control and format characters, emoji, words around the 100-character limit, unknown
characters, special-token names, punctuation runs, whitespace variety, texts longer than the context)
and 400 seeded random mixtures.
"""
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
import warnings

import ftfy
import open_clip
import tokenizers
import torch
import transformers
from open_clip.tokenizer import HFTokenizer, basic_clean, whitespace_clean
from tokenizers import BertWordPieceTokenizer
from transformers import AutoTokenizer, BertTokenizer, BertTokenizerFast
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

assert sys.version_info[:3] == (3, 11, 7), sys.version
assert open_clip.__version__ == "3.3.0", open_clip.__version__
assert transformers.__version__ == "5.24.0", transformers.__version__
assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
assert ftfy.__version__ == "6.3.1", ftfy.__version__

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "TextTokenizerTests", "Fixtures")
OUT = os.path.join(FIXTURES, "wordpiece")
CONTEXT = 32
SHORT_CONTEXT = 8
rng = random.Random(20260607)


# ---------------------------------------------------------------- vocabulary
def corpus_lines():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.txt")
        subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "make_tokenizer_corpus.py"), path, "40000"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]


SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
EXTRA = ["é", "è", "ü", "ñ", "ç", "##é", "##ü", "ø", "##ø", "ß", "##ß", "æ", "œ", "ł", "đ", "ð", "þ", "ı", "ς", "##ς",
         "[unused_looking]", "##", "###", "[", "]", "#", "straße", "smørrebrød",
         # Combining characters that survive accent stripping (not Mn in its tables) and that NFD
         # reorders: the texts spell them in the other order.
         "\U0001d165\U0001d16d", "##\U0001e94a\U0001e944", "\u1b44"]


def read_vocabulary(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def make_vocabulary():
    trainer = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    trainer.train_from_iterator(corpus_lines(), vocab_size=3000, min_frequency=2, limit_alphabet=700,
                                special_tokens=SPECIAL, wordpieces_prefix="##", show_progress=False)
    trained = sorted(trainer.get_vocab().items(), key=lambda item: item[1])
    tokens = ["[PAD]"] + [f"[unused{i}]" for i in range(10)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set(tokens)
    for token, _ in trained:
        if token not in seen:
            seen.add(token)
            tokens.append(token)
    for token in EXTRA:
        if token not in seen:
            seen.add(token)
            tokens.append(token)
    assert all(token and "\n" not in token and "\r" not in token for token in tokens)
    return tokens


# ---------------------------------------------------------------- texts
def gzip_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def bert_texts(vocabulary):
    """Lines aimed at the BERT normalizer, pre-tokenizer and WordPiece."""
    word = max((t for t in vocabulary if t.isalpha() and t.isascii()), key=len)
    pieces = [t for t in vocabulary if t.startswith("##") and len(t) > 2]
    fixed = [
        # Empty and blank.
        "", " ", "   ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\x00", "\ufffd", "\u200b", "\x0b\x0c",
        # Accents: stripped after lowercasing... or rather, before (tokenizers strips, then lowercases).
        "Café Über naïve", "café naïve résumé", "cafe\u0301 nai\u0308ve", "CAFÉ", "Ångström Å", "Zürich Straße STRASSE",
        "crème brûlée", "œuvre Œuvre", "Łódź", "smørrebrød", "ıi İI İstanbul", "ǅ ǈ ǋ ǲ", "Ⅻ ⅻ", "ẞ ß", "ΟΔΥΣΣΕΥΣ ΑΣ Σ",
        "ὈΔΥΣΣΕΎΣ", "Ελληνικά", "Tiếng Việt có dấu", "Español: ¿Qué tal? ¡Muy bien!", "Ça va? Où es-tu?",
        "a\u0301\u0316", "a\u0316\u0301", "e\u0327\u0301", "x\u20dd", "1\ufe0f\u20e3", "\u0301", "\u0301abc", "abc\u0301",
        "\U0001d165\U0001d16d", "\U0001d16d\U0001d165", "a\U0001d16d\U0001d165\u0301", "\u302e\u302f", "\u0e01\u0e34\u0e48",
        "x \U0001d16d\U0001d165", "a\U0001e944\U0001e94a", "a\U0001e94a\U0001e944", "a\U0001e944\u0301\U0001e94a",
        "a\U0001e944\u0316\U0001e94a", "\u0334\u1b44", "\u1b44\u0334", "a\u0334\u1b44",
        "\u1e0b\u0323", "\u1e0d\u0307", "q\u0307\u0323", "\u01d6\U0001e94a\U0001e944",
        "हिन्दी", "नमस्ते", "தமிழ்", "العربية مُشَكَّلة", "עִבְרִית", "ქართული", "Հայերեն", "አማርኛ", "ไทย ภาษา",
        # Hangul (NFD is algorithmic) and Japanese.
        "한국어 문장입니다", "한", "\u1112\u1161\u11ab", "日本語のテキストです。", "ひらがな カタカナ ｶﾀｶﾅ", "がぎぐ", "パピプ",
        # CJK: each ideograph its own word; the ranges' edges (tokenizers: U+2B920..U+2CEAF, Python: U+2B820...).
        "北京欢迎你", "中文，标点！", "東京タワー", "mixed中文text", "abc漢字def", "中a文b", "「こんにちは」", "《书名》",
        "\u3400\u4dbf\u4e00\u9fff\uf900\ufaff", "\u33ff\u4dc0\u9fff\ua000", "\U00020000\U0002a6df\U0002a6e0",
        "\U0002a700\U0002b73f\U0002b740\U0002b81f", "\U0002b820\U0002b91f", "\U0002b920\U0002ceaf\U0002ceb0",
        "\U0002f800\U0002fa1f\U0002fa20", "x\U0002b820y", "x\U0002b920y", "\u2e80\u2f00\u3005\u3007\u31c0",
        # Control and format characters, whitespace variety.
        "a\x00b", "a\x01b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb", "a\x0bb", "a\x0cb", "a\x1cb", "a\x1fb",
        "a\tb", "a\nb", "a\rb", "a\r\nb", "a\u00a0b", "a\u1680b", "a\u2000b", "a\u2009b", "a\u200ab", "a\u2028b",
        "a\u2029b", "a\u202fb", "a\u205fb", "a\u3000b", "a\u180eb", "a\u200bb", "a\u200cb", "a\u200db", "a\u200eb",
        "a\u202ab", "a\u2060b", "a\u2066b", "a\ufeffb", "a\u00adb", "a\u0600b", "a\u061cb", "a\u06ddb", "a\u08e2b",
        "a\U000110bdb", "a\U000110cdb", "a\U0001bca0b", "a\U0001d173b", "a\U000e0001b", "a\U000e0041b", "a\ue000b",
        "a\uf8ffb", "a\U000f0000b", "a\U0010fffdb", "a\U0010ffffb", "a\ufff9b", "a\ufffcb", "a\ufffdb", "a\ufffeb",
        "a\u0378b", "a\U0001fffeb", "  leading", "trailing  ", "\t\tboth\t\t", "many     spaces     here",
        "mixed \t\n\u00a0\u3000 runs", "\u2028\u2029", "line1\nline2\rline3\r\nline4",
        # Emoji.
        "😀", "😀😀😀", "cat 🐱 dog 🐶", "👩‍👩‍👧‍👦", "🇯🇵🇫🇷", "👍🏽", "❤️", "1️⃣", "🏳️‍🌈", "\U0001f9d1\u200d\U0001f4bb",
        "I ❤ NY", "★☆✓✗", "♠♣♥♦", "☺", "\U0001fae0",
        # Unknown characters inside known words: the whole word becomes [UNK].
        "hello\u2603world", "photo\U0001f600", "\U0001f600photo", "a\u0b83b", "cat\u0f00dog", "x\U00010400y", "\ua000\ua001",
        "the cat☃ sat", "ᚠᛇᚻ", "𐌰𐌱𐌲", "\U0001d400\U0001d401", "⠁⠃⠉",
        # Long words: the limit is 100 characters of the normalized word.
        "a" * 99, "a" * 100, "a" * 101, "a" * 100 + " b", "b " + "a" * 101 + " c", word * (100 // len(word)),
        word * (100 // len(word) + 1), "é" * 100, "é" * 101, "e\u0301" * 100, "x\u200b" * 101, "A" * 100,
        "ab" * 50, "ab" * 50 + "a", "中" * 150, "a," * 80, ("a" * 100 + "!") * 2, "\u0301" * 150 + "a",
        # Punctuation runs and ASCII punctuation the Unicode tables call symbols ($ + < = > ^ ` | ~).
        "!!!", "...?!", "?!?!?!", "--", "---", "—–-", "$100", "1+1=2", "<tag>", "a^b", "`code`", "a|b", "~home",
        "()[]{}", "'\"`", "#hashtag", "@user", "a_b_c", "__init__", "snake_case_name", "C++ & C#", "x = y + 1;",
        "http://example.com/a?b=c&d=e", "a@b.com", "12,345.67", "3.14159", "1/2", "50%", "¿¡«»“”‘’", "…•§¶†‡",
        "©®™", "½¼¾", "±×÷", "€£¥¢", "、。「」『』【】", "﹏＿", "‐‑‒", "′″‴", "¡Hola!", "word.word", "end.", ".start",
        # Special-token names: the exact ones are special tokens in transformers.
        "[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "[cls]", "[sep]", "[Sep]", "[ SEP ]", "[SEP", "SEP]",
        "hello [SEP] world", "hello[SEP]world", "[CLS] a [SEP] b [SEP]", "[MASK] is a [MASK]", "[PAD][PAD]",
        "[[SEP]]", "[[CLS]", "[unused0]", "[unused_looking]", "##", "###", "##ing", "a ##b", "#", "x#y",
        "a photo [SEP]", "[SEP]" * 40, "é[SEP]é", "\u0301[SEP]\u0301",
        # Captions.
        "a photo of a cat.", "A PHOTO OF A DOG!", "itap of my {}.", "a photo of the {}, a type of pet.",
        "This is a photo of a large, fluffy orange cat sitting on a windowsill.",
        "there is a dog next to the car on the street", "an origami of a crane",
        # Longer than the context.
        " ".join(["a"] * 29), " ".join(["a"] * 30), " ".join(["a"] * 31), " ".join(["a"] * 40),
        " ".join(["a"] * 29) + " [SEP]", " ".join(["a"] * 30) + " [SEP]", " ".join(["a"] * 5) + " [SEP] x",
        " ".join(["photo"] * 100), "東京" * 40, "😀" * 50 + " hello",
    ]
    # Seeded mixtures of the above ingredients and vocabulary pieces.
    parts = ["a", "photo", "of", "the", "CAT", "Café", "é", "e\u0301", "ß", "İ", "Σ", "中", "文", "東京", "한", "😀", "👍🏽",
             "\u200d", "\ufe0f", "\u200b", "\x00", "\ufffd", "\x85", "\u00a0", "\u3000", " ", "  ", "\t", "\n", ".", ",",
             "!", "?", "'", "-", "_", "$", "^", "`", "[SEP]", "[CLS]", "[sep]", "[MASK]", "##", "\u0301", "\u0316",
             "\U0002b820", "\U0002b920", "\u1c89", "\ua7cb", "\u2603", word] + pieces[:40]
    randoms = []
    for _ in range(400):
        n = rng.randint(1, 24)
        randoms.append("".join(rng.choice(parts) + rng.choice(["", "", " "]) for _ in range(n)))
    return [("bert", text) for text in fixed] + [("bert-random", text) for text in randoms]


def all_texts(vocabulary):
    seen = set()
    result = []
    hard = [("hard", row["text"]) for row in gzip_lines(os.path.join(FIXTURES, "openclip-siglip", "parity-spiece.jsonl.gz"))]
    for category, text in hard + bert_texts(vocabulary):
        if text not in seen:
            seen.add(text)
            result.append((category, text))
    return result


# ---------------------------------------------------------------- output helpers
def compact(value):
    # U+FEFF escaped: Foundation's JSONSerialization drops it when it is written raw.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\ufeff", "\\ufeff")


def write_gzip(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(text.encode("utf-8"))


def padded(ids, length, cls_id, sep_id, pad_id):
    """transformers' single-sequence row: [CLS], the first length - 2 ids, [SEP], [PAD]s."""
    body = ids[1:-1][: max(0, length - 2)]
    row = [cls_id] + body + [sep_id]
    return row + [pad_id] * (length - len(row))


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab_path = os.path.join(OUT, "vocab.txt")
    if "--train" in sys.argv[1:] or not os.path.exists(vocab_path):
        vocabulary = make_vocabulary()
        with open(vocab_path, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(token + "\n" for token in vocabulary))
    else:
        vocabulary = read_vocabulary(vocab_path)

    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(token + "\n" for token in vocabulary))
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer"}, f)

    assert BertTokenizerFast is BertTokenizer  # transformers 5: one class
    tokenizer = BertTokenizer.from_pretrained(folder)
    fast = BertTokenizerFast.from_pretrained(folder)
    direct = BertTokenizer(vocab=vocab_path, do_lower_case=True)
    auto = AutoTokenizer.from_pretrained(folder)
    legacy = BertTokenizerLegacy(vocab_file=vocab_path, do_lower_case=True)
    assert type(auto) is BertTokenizer, type(auto)
    assert tokenizer.vocab_size == len(vocabulary) == legacy.vocab_size, (tokenizer.vocab_size, len(vocabulary))
    ids_of = {token: i for i, token in enumerate(vocabulary)}
    cls_id, sep_id, pad_id, unk_id = ids_of["[CLS]"], ids_of["[SEP]"], ids_of["[PAD]"], ids_of["[UNK]"]
    assert (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id, tokenizer.unk_token_id) == \
        (cls_id, sep_id, pad_id, unk_id)
    open_clip_tokenizer = HFTokenizer(folder, context_length=CONTEXT, clean="whitespace", strip_sep_token=True)
    assert type(open_clip_tokenizer.tokenizer) is BertTokenizer

    texts = all_texts(vocabulary)
    lines = []
    legacy_differs = []
    differs_from_raw = 0
    for category, text in texts:
        ids = tokenizer(text)["input_ids"]
        for other in (fast, direct, auto):
            assert other(text)["input_ids"] == ids, text
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == ids[1:-1], text
        assert ids[0] == cls_id and ids[-1] == sep_id
        row32 = tokenizer(text, padding="max_length", max_length=CONTEXT, truncation=True)["input_ids"]
        assert row32 == padded(ids, CONTEXT, cls_id, sep_id, pad_id), text
        clean = whitespace_clean(basic_clean(text))
        ours = open_clip_tokenizer(text)[0].tolist()
        ours8 = open_clip_tokenizer(text, context_length=SHORT_CONTEXT)[0].tolist()
        emulated = tokenizer(clean, padding="max_length", max_length=CONTEXT, truncation=True)["input_ids"]
        assert ours == [0 if i == sep_id else i for i in emulated], text
        emulated8 = tokenizer(clean, padding="max_length", max_length=SHORT_CONTEXT, truncation=True)["input_ids"]
        assert ours8 == [0 if i == sep_id else i for i in emulated8], text
        differs_from_raw += ours != [0 if i == sep_id else i for i in row32]
        row = {"category": category, "text": text, "ids": ids, "row32": row32, "clean": clean, "openclip": ours,
               "openclip8": ours8}
        legacy_ids = legacy(text)["input_ids"]
        if legacy_ids != ids:
            row["legacy_ids"] = legacy_ids
            legacy_differs.append(text)
        lines.append(row)
    write_gzip(os.path.join(OUT, "parity.jsonl.gz"), "".join(compact(row) + "\n" for row in lines))

    # decode: random sequences (special tokens, ## pieces, punctuation) and corpus lines' ids.
    decode_rows = []
    punctuation_ids = [ids_of[t] for t in [".", ",", "!", "?", "'", "-", "n", "##t", "s", "m", "re", "ve", "do", "not"]
                       if t in ids_of]
    piece_ids = [i for i, t in enumerate(vocabulary) if t.startswith("##")]
    for _ in range(300):
        n = rng.randint(0, 16)
        seq = []
        for _ in range(n):
            r = rng.random()
            if r < 0.15:
                seq.append(rng.choice([cls_id, sep_id, pad_id, unk_id, ids_of["[MASK]"], ids_of["[unused3]"]]))
            elif r < 0.4:
                seq.append(rng.choice(piece_ids))
            elif r < 0.6:
                seq.append(rng.choice(punctuation_ids))
            else:
                seq.append(rng.randrange(len(vocabulary)))
        decode_rows.append({"ids": seq, "text": tokenizer.decode(seq)})
    for _, text in texts[::10]:
        ids = tokenizer(text)["input_ids"]
        decode_rows.append({"ids": ids, "text": tokenizer.decode(ids)})
    with open(os.path.join(OUT, "decode.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(compact(row) + "\n" for row in decode_rows))

    counts = {}
    for category, _ in texts:
        counts[category] = counts.get(category, 0) + 1
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(
            python=sys.version.split()[0], open_clip=open_clip.__version__, transformers=transformers.__version__,
            tokenizers=tokenizers.__version__, ftfy=ftfy.__version__, torch=torch.__version__,
            size=len(vocabulary), lines=len(texts), hard=counts.get("hard", 0),
            bert=counts.get("bert", 0), random=counts.get("bert-random", 0), legacy=len(legacy_differs),
            raw=differs_from_raw, decodes=len(decode_rows),
            unk=sum(1 for row in lines if unk_id in row["ids"]), long=sum(1 for row in lines if len(row["ids"]) > CONTEXT)))
    print(f"wrote {len(texts)} lines to {OUT}; vocabulary {len(vocabulary)}; legacy differs on {len(legacy_differs)}")
    for text in legacy_differs[:40]:
        print("  legacy differs:", ascii(text)[:100])


README = """# wordpiece

An uncased BERT WordPiece vocabulary and the ids of transformers' `BertTokenizer` and of open_clip's
`HFTokenizer` as the CLIPA models use it, written by `Scripts/make_wordpiece_fixtures.py` (Python
{python}, transformers {transformers}, tokenizers {tokenizers}, open_clip_torch {open_clip}, ftfy {ftfy},
torch {torch}; fixed seeds). Regenerate with `python Scripts/make_wordpiece_fixtures.py` from the
repository root; never edit by hand.

- `vocab.txt` ({size} tokens): trained with the `tokenizers` WordPiece trainer on the repository's
  mixed tokenizer corpus (`--train`; the trainer is not deterministic, so the committed file is kept
  otherwise) and laid out like bert-base-uncased's (`[PAD]` = 0, `[unused0]`..`[unused9]`, `[UNK]` =
  11, `[CLS]` = 12, `[SEP]` = 13, `[MASK]` = 14, the trained tokens, a few accented letters and
  combining sequences that NFD reorders).
- `parity.jsonl.gz` ({lines} lines, gzip): `category` (`hard`: the {hard} texts of
  `../openclip-siglip/parity-spiece.jsonl.gz`; `bert`: {bert} lines for BERT's rules; `bert-random`:
  {random} seeded mixtures), `text`, and
  - `ids`: `BertTokenizer.from_pretrained(folder)(text)["input_ids"]` (`[CLS]` ... `[SEP]`, untruncated;
    {unk} lines hold `[UNK]`, {long} are longer than 32 ids). `BertTokenizerFast` (the same class in
    transformers 5), `BertTokenizer(vocab=path)` and `AutoTokenizer` gave the same ids on every line;
  - `row32`: the same with `padding="max_length", max_length=32, truncation=True`;
  - `clean`: open_clip's `whitespace_clean(basic_clean(text))`;
  - `openclip`: `HFTokenizer(folder, context_length=32, clean="whitespace", strip_sep_token=True)(text)[0]`
    (the CLIPA configuration: the cleaned text's row with `[SEP]` made 0); `openclip8` the same with
    `context_length=8`. The script checked both against its own emulation on every line; they differ
    from `row32` with `[SEP]` zeroed on {raw} lines (the cleaning's effect);
  - `legacy_ids`, on the {legacy} lines where transformers' pure-Python `BertTokenizerLegacy` (transformers
    4's `BertTokenizer`) gives other ids than the `tokenizers` library: Python's `str.lower()` makes a
    word-final capital sigma `ς` (tokenizers lowercases per character: `σ`), Python's Unicode 14 data
    strips marks and drops format and unassigned characters that tokenizers' Unicode 8 tables do not
    know (they stay and make the word `[UNK]`), and Python's CJK ranges include U+2B820..U+2B91F.
    Informational: open_clip uses the `tokenizers` ids.
- `decode.jsonl` ({decodes} lines): `{{"ids", "text"}}` with `text` = `tokenizer.decode(ids)` for random
  id sequences and for the ids of every tenth parity line.
"""

if __name__ == "__main__":
    main()
