#!/usr/bin/env python3
"""Generate Sources/TextTokenizer/Generated/BertTables.swift: the character facts of the `tokenizers`
library's BertNormalizer and BertPreTokenizer, which WordPieceTokenizer reproduces.

    python Scripts/generate_wordpiece_tables.py          (from the repository root)

transformers 5.24's BertTokenizer (and BertTokenizerFast, the same class) runs the Rust `tokenizers`
library. Its BERT steps use character data of three different ages, none of them Python's:
  * BertNormalizer's clean_text drops "other" characters (`is_other` of the `unicode_categories`
    crate, Unicode 8 era: in effect Cc, Cf and Co; unassigned code points are kept) except tab, LF
    and CR, plus U+0000 and U+FFFD, and makes Rust's `char::is_whitespace` characters spaces;
  * its accent stripping is NFD of the `unicode-normalization-alignments` crate (Unicode 12-era
    tables) followed by removing nonspacing marks (Mn of `unicode_categories`);
  * its lowercasing is Rust's `char::to_lowercase` (the compiler's Unicode, 16 or later);
  * its CJK ranges are its own (U+2B920..U+2CEAF where transformers' Python code says U+2B820);
  * BertPreTokenizer splits at `char::is_whitespace` and isolates ASCII punctuation and the
    `unicode_categories` P* characters.

So nothing here comes from a Unicode data file: every fact is read off the installed `tokenizers`
library by running its normalizers and pre-tokenizer on each code point (U+0000..U+10FFFF without
surrogates), then checked: the Python model of the Swift code below, fed these tables, must give
BertNormalizer's output for every single code point and for random strings of the interesting ones.

Canonical combining classes are the one fact not read off one character at a time: the script finds
which code points the NFD crate reorders (against U+0301, class 230, and U+0334, class 1) and takes
their classes from Python's unicodedata (classes of assigned characters never change; the script
asserts the crate reorders no character Python gives class 0).

Pinned: Python 3.11.7, tokenizers 0.23.3 (the script refuses others, so regenerated tables stay
comparable). The facts are Unicode Character Database data as compiled into those libraries
((c) Unicode, Inc., Unicode License V3).
"""
import random
import sys
import unicodedata

import tokenizers
from tokenizers import normalizers, pre_tokenizers

assert sys.version_info[:3] == (3, 11, 7), sys.version
assert tokenizers.__version__ == "0.23.3", tokenizers.__version__

OUT = "Sources/TextTokenizer/Generated/BertTables.swift"
SCALARS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
S_COUNT, N_COUNT, T_COUNT = 11172, 588, 28


def bert(clean, chinese, strip, lower):
    return normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=chinese, strip_accents=strip,
                                      lowercase=lower)


def hangul(c):
    index = c - S_BASE
    parts = [L_BASE + index // N_COUNT, V_BASE + (index % N_COUNT) // T_COUNT]
    if index % T_COUNT:
        parts.append(T_BASE + index % T_COUNT)
    return "".join(map(chr, parts))


def probe():
    clean = bert(True, False, False, False)
    chinese = bert(False, True, False, False)
    strip = bert(False, False, True, False)
    nfd = normalizers.NFD()
    lower = normalizers.Lowercase()
    pre = pre_tokenizers.BertPreTokenizer()
    facts = {"removed": set(), "cleanSpace": set(), "cjk": set(), "mark": set(), "punctuation": set(),
             "splitSpace": set(), "decomposition": {}, "lowercase": {}, "reordered": set()}
    for c in SCALARS:
        s = chr(c)
        out = clean.normalize_str(s)
        if out == "":
            facts["removed"].add(c)
        elif out == " " and s != " ":
            facts["cleanSpace"].add(c)
        else:
            assert out == s, hex(c)
        out = chinese.normalize_str(s)
        if out != s:
            assert out == " " + s + " ", hex(c)
            facts["cjk"].add(c)
        decomposed = nfd.normalize_str(s)
        if decomposed != s:
            if S_BASE <= c < S_BASE + S_COUNT:
                assert decomposed == hangul(c), hex(c)  # algorithmic in the Swift code
            else:
                facts["decomposition"][c] = decomposed
        else:
            out = strip.normalize_str(s)
            if out == "":
                facts["mark"].add(c)
            else:
                assert out == s, hex(c)
            # Reordered against U+0301 (class 230) or U+0334 (class 1): a nonzero class.
            if nfd.normalize_str("a\u0301" + s) == "a" + s + "\u0301" or nfd.normalize_str("a" + s + "\u0334") == "a\u0334" + s:
                facts["reordered"].add(c)
        out = lower.normalize_str(s)
        if out != s:
            facts["lowercase"][c] = out
        words = [w for w, _ in pre.pre_tokenize_str("a" + s + "a")]
        if words == ["a", s, "a"]:
            facts["punctuation"].add(c)
        elif words == ["a", "a"]:
            facts["splitSpace"].add(c)
        else:
            assert words == ["a" + s + "a"], (hex(c), words)
    # The decompositions are full: no part decomposes further.
    for c, parts in facts["decomposition"].items():
        assert all(ord(p) not in facts["decomposition"] for p in parts), hex(c)
    classes = {}
    for c in facts["reordered"]:
        value = unicodedata.combining(chr(c))
        assert value != 0, f"the NFD crate reorders U+{c:04X}, which Python gives class 0"
        classes[c] = value
    facts["classes"] = classes
    return facts


# ---------------------------------------------------------------- the Swift code's model, to check the tables
def model_normalize(text, facts):
    """WordPieceTokenizer's normalization (Sources/TextTokenizer/WordPiece/BertNormalizer.swift), in Python."""
    cleaned = []
    for ch in text:
        c = ord(ch)
        if c in facts["removed"]:
            continue
        if c in facts["cleanSpace"]:
            c = 0x20
        if c in facts["cjk"]:
            cleaned += [0x20, c, 0x20]
        else:
            cleaned.append(c)
    decomposed = []
    for c in cleaned:
        if S_BASE <= c < S_BASE + S_COUNT:
            decomposed += [ord(p) for p in hangul(c)]
        elif c in facts["decomposition"]:
            decomposed += [ord(p) for p in facts["decomposition"][c]]
        else:
            decomposed.append(c)
    # Canonical ordering: a stable sort of each run of nonzero classes.
    i = 1
    while i < len(decomposed):
        k = facts["classes"].get(decomposed[i], 0)
        if k:
            j = i
            while j > 0 and facts["classes"].get(decomposed[j - 1], 0) > k:
                decomposed[j], decomposed[j - 1] = decomposed[j - 1], decomposed[j]
                j -= 1
        i += 1
    out = []
    for c in decomposed:
        if c in facts["mark"]:
            continue
        out.append(facts["lowercase"].get(c, chr(c)))
    return "".join(out)


def check(facts):
    full = bert(True, True, None, True)
    for c in SCALARS:
        assert model_normalize(chr(c), facts) == full.normalize_str(chr(c)), hex(c)
    rng = random.Random(20260607)
    interesting = sorted(set(facts["decomposition"]) | set(facts["classes"]) | set(facts["mark"])
                         | set(facts["lowercase"]) | set(facts["removed"]) | set(facts["cjk"]))
    pool = [c for c in interesting if c < 0x30000] + [0x41, 0x61, 0x20, 0x3A3, 0x130, 0x301, 0x334, 0x1D165, 0x302E]
    for _ in range(200_000):
        text = "".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 8)))
        assert model_normalize(text, facts) == full.normalize_str(text), ascii(text)


# ---------------------------------------------------------------- output
def ranges(values):
    out, start, previous = [], None, None
    for c in sorted(values):
        if start is None:
            start = previous = c
        elif c == previous + 1:
            previous = c
        else:
            out.append((start, previous))
            start = previous = c
    if start is not None:
        out.append((start, previous))
    return " ".join(f"{a:x}-{b:x}" if a != b else f"{a:x}" for a, b in out)


def class_ranges(classes):
    out, items = [], sorted(classes.items())
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1][0] == items[j][0] + 1 and items[j + 1][1] == items[i][1]:
            j += 1
        a, b, value = items[i][0], items[j][0], items[i][1]
        out.append(f"{a:x}-{b:x}:{value}" if a != b else f"{a:x}:{value}")
        i = j + 1
    return " ".join(out)


def mapping(table):
    return " ".join(f"{c:x}:" + ",".join(f"{ord(p):x}" for p in value) for c, value in sorted(table.items()))


def wrap(text, width=110):
    lines, current = [], ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = word if not current else current + " " + word
    if current:
        lines.append(current)
    return "\n".join(lines)


def swift(name, body, doc):
    return f'    /// {doc}\n    static let {name} = """\n{wrap(body)}\n"""\n\n'


def main():
    facts = probe()
    check(facts)
    out = ("// GENERATED by Scripts/generate_wordpiece_tables.py -- do not edit by hand.\n"
           f"// Facts read off the `tokenizers` library {tokenizers.__version__} (its BertNormalizer, NFD, Lowercase and\n"
           "// BertPreTokenizer run on every code point); canonical combining classes from Python 3.11.7's unicodedata.\n"
           "// Unicode Character Database data as compiled into those libraries, (c) Unicode, Inc., Unicode License V3.\n\n"
           "enum GeneratedBertTables {\n")
    out += swift("removed", ranges(facts["removed"]),
                 "Dropped by BertNormalizer's clean_text: U+0000, U+FFFD and the `unicode_categories` \"other\" "
                 "characters (in effect Cc, Cf and Co of its old tables; unassigned code points stay) but tab, LF and CR. Inclusive hex ranges.")
    out += swift("cleanSpace", ranges(facts["cleanSpace"]),
                 "Made a space by clean_text (Rust's `char::is_whitespace`, less the dropped ones).")
    out += swift("cjk", ranges(facts["cjk"]), "Surrounded by spaces by handle_chinese_chars.")
    out += swift("decomposition", mapping(facts["decomposition"]),
                 "Full canonical decompositions of the NFD crate (Hangul syllables excluded: algorithmic). `cp:parts`.")
    out += swift("combiningClass", class_ranges(facts["classes"]),
                 "Nonzero canonical combining classes the NFD crate reorders by. `range:class`.")
    out += swift("nonspacingMark", ranges(facts["mark"]),
                 "Removed after NFD by strip_accents (`unicode_categories` Mn, of characters that do not decompose).")
    out += swift("lowercase", mapping(facts["lowercase"]), "Rust's `char::to_lowercase` where it changes the scalar. `cp:parts`.")
    out += swift("punctuation", ranges(facts["punctuation"]),
                 "Isolated by BertPreTokenizer: ASCII punctuation and `unicode_categories` P*.")
    out += swift("splitSpace", ranges(facts["splitSpace"]), "Split at (and removed) by BertPreTokenizer: `char::is_whitespace`.")
    out = out.rstrip("\n") + "\n}\n"
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(out)
    print("wrote", OUT, {k: len(v) for k, v in facts.items()})


if __name__ == "__main__":
    main()
