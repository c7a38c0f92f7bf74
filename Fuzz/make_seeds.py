#!/usr/bin/env python3
"""Writes the small seed inputs of Fuzz/Seeds/<harness>/ (committed; rerun only to change them).

Seeds are valid or nearly valid files of each format, so that libFuzzer starts from inputs that
reach deep into each reader. Most are cut from the test fixtures; the SentencePiece model is
trained here on a few lines (sentencepiece from PyPI), the .npy files come from numpy.
Usage: python3 Fuzz/make_seeds.py   (needs numpy and sentencepiece)
"""
import gzip, io, json, struct, pathlib, tempfile
import numpy as np
import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "Fuzz" / "Seeds"
FIX = ROOT / "Tests"


def put(harness, name, data):
    folder = SEEDS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] -> safetensors bytes."""
    header, offset, body = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        body += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def npy(array, fortran=False):
    buffer = io.BytesIO()
    np.save(buffer, np.asfortranarray(array) if fortran else array)
    return buffer.getvalue()


f32 = np.arange(6, dtype="<f4").reshape(2, 3)
put("FuzzSafeTensors", "dtypes.safetensors", safetensors([
    ("a", "F32", [2, 3], f32.tobytes()), ("b", "F16", [3], np.ones(3, "<f2").tobytes()),
    ("c", "BF16", [2], b"\x80\x3f\x00\x40"), ("d", "I64", [2], np.array([1, -2], "<i8").tobytes()),
    ("e", "U8", [4], bytes([1, 2, 3, 4])), ("f", "BOOL", [2], b"\x00\x01"), ("g", "F64", [1], np.ones(1, "<f8").tobytes()),
    ("h", "F8_E4M3", [2], b"\x38\x40"), ("i", "F4", [2], b"\x21"), ("j", "I32", [0], b""),
], metadata={"format": "pt"}))
put("FuzzSafeTensors", "empty.safetensors", safetensors([]))

put("FuzzShardIndex", "index.json", json.dumps(
    {"metadata": {"total_size": 72}, "weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "b.safetensors"}}))
put("FuzzShardIndex", "fixture.json", (FIX / "CLIPModelsTests/Fixtures/models/hf-gelu-sharded/model.safetensors.index.json").read_bytes()[:4096])

models = FIX / "CLIPModelsTests/Fixtures/models"
put("FuzzJSON", "0-value.json", b"\x00" + json.dumps({"a": [1, -2.5e-3, True, None, "x\\u00e9\\ud83d\\ude00"], "b": {}}).encode())
put("FuzzJSON", "1-clip-config.json", b"\x01" + (models / "hf-quickgelu/config.json").read_bytes())
put("FuzzJSON", "2-siglip-config.json", b"\x02" + (models / "siglip-tanh/config.json").read_bytes())
put("FuzzJSON", "3-open-clip-config.json", b"\x03" + (models / "openclip-gelu/open_clip_config.json").read_bytes())
put("FuzzJSON", "4-open-clip-preprocess.json", b"\x04" + (models / "openclip-gelu/open_clip_config.json").read_bytes())
put("FuzzJSON", "5-preprocessor.json", b"\x05" + json.dumps({
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_normalize": True, "do_resize": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "size": {"shortest_edge": 224}, "image_processor_type": "CLIPImageProcessor"}).encode())
put("FuzzJSON", "6-siglip-tokenizer-config.json", b"\x06" + (FIX / "TextTokenizerTests/Fixtures/siglip-spiece/tokenizer_config.json").read_bytes())
put("FuzzJSON", "7-gemma-tokenizer-config.json", b"\x07" + (FIX / "TextTokenizerTests/Fixtures/siglip2-gemma/tokenizer_config.json").read_bytes())

# BPE vocabularies: a small merges file (plain and gzip), a vocab.json + merges pair, a tokenizer.json.
bpe = gzip.decompress((FIX / "TextTokenizerTests/Fixtures/vocab_subset/bpe_subset.txt.gz").read_bytes())
small_bpe = b"\n".join(bpe.split(b"\n")[:200]) + b"\n"
put("FuzzVocabulary", "0-bpe.txt", b"\x00" + small_bpe)
put("FuzzVocabulary", "0-bpe.txt.gz", b"\x00" + gzip.compress(small_bpe, mtime=0))
vocab = json.loads((FIX / "TextTokenizerTests/Fixtures/vocab_subset/hf/vocab.json").read_bytes())
merges = (FIX / "TextTokenizerTests/Fixtures/vocab_subset/hf/merges.txt").read_bytes().split(b"\n")[:60]
keep = {k: v for k, v in vocab.items() if v < 400 or k.startswith("<|")}
put("FuzzVocabulary", "1-vocab-merges", b"\x01" + json.dumps(keep).encode() + b"\x00" + b"\n".join(merges) + b"\n")
tokenizer = json.loads((FIX / "TextTokenizerTests/Fixtures/vocab_subset/tokenizer.json").read_bytes())
tokenizer["model"]["vocab"] = {k: v for k, v in tokenizer["model"]["vocab"].items() if v < 400 or k.startswith("<|")}
tokenizer["model"]["merges"] = tokenizer["model"]["merges"][:60]
put("FuzzVocabulary", "2-tokenizer.json", b"\x02" + json.dumps(tokenizer).encode())

# SentencePiece: a tiny unigram model trained here; a cut-down Gemma tokenizer.json.
with tempfile.TemporaryDirectory() as tmp:
    text = pathlib.Path(tmp) / "text.txt"
    text.write_text("a photo of a cat.\na photo of a dog on the beach.\nUnicode: café, naïve, 東京, 😀\n" * 20)
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(pathlib.Path(tmp) / "m"), vocab_size=30,
                                   model_type="unigram", character_coverage=1.0, normalization_rule_name="identity", bos_id=-1, eos_id=1, unk_id=2, pad_id=0)
    put("FuzzSentencePiece", "0-spiece.model", b"\x00" + (pathlib.Path(tmp) / "m.model").read_bytes())
gemma = json.loads((FIX / "TextTokenizerTests/Fixtures/siglip2-gemma/tokenizer.json").read_bytes())
special = {t["content"] for t in gemma["added_tokens"]}
gemma["model"]["vocab"] = {k: v for k, v in gemma["model"]["vocab"].items() if v < 300 or k in special}
pieces = set(gemma["model"]["vocab"])
def merge_parts(m):
    return m.split(" ", 1) if isinstance(m, str) else m
gemma["model"]["merges"] = [m for m in gemma["model"]["merges"]
                            if all(p in pieces for p in merge_parts(m)) and "".join(merge_parts(m)) in pieces][:100]
put("FuzzSentencePiece", "1-gemma-tokenizer.json", b"\x01" + json.dumps(gemma, ensure_ascii=False).encode())

# Tokenizer texts: a few of the parity lines (prose, Unicode, emoji, HTML, whitespace).
lines = [json.loads(l)["text"] for l in (FIX / "TextTokenizerTests/Fixtures/openclip_parity.jsonl").read_text().split("\n") if l]
for i, line in enumerate(lines[:: max(1, len(lines) // 24)][:24]):
    put("FuzzTokenizer", f"text-{i:02}.txt", line)

put("FuzzNumpy", "f4.npy", npy(f32))
put("FuzzNumpy", "f4-fortran.npy", npy(f32, fortran=True))
put("FuzzNumpy", "f4-scalar.npy", npy(np.float32(1.5)))
put("FuzzNumpy", "f4-empty.npy", npy(np.zeros((0, 4), "<f4")))
put("FuzzNumpy", "f8.npy", npy(np.ones(3)))

# Embedding index: the format of EmbeddingIndex.write(to:); a shard folder of clip embed-folder.
identifiers = ["a.jpg", "b.png", "sub/c.jpg"]
vectors = np.random.default_rng(0).standard_normal((3, 4)).astype("<f4")
put("FuzzEmbeddingIndex", "0-index.safetensors", b"\x00" + safetensors(
    [("embeddings", "F32", [3, 4], vectors.tobytes())],
    metadata={"format": "swift-clip.embedding-index.v1", "model": "m", "identifiers": json.dumps(identifiers)}))
manifest = json.dumps({"format": "swift-clip.embedding-shard.v1", "shard": 0, "shards": 1,
                       "model": {"fingerprint": "m", "precision": "f32", "dimension": 4},
                       "files": 3, "parts": 1, "part_size": 8, "total_files": 3, "list_sha256": "0" * 64}).encode()
records = b"".join(json.dumps({"path": p, "size": 10, "modified_ns": 5, "sha256": "ab" * 32, "error": None}).encode() + b"\n"
                   for p in identifiers)
put("FuzzEmbeddingIndex", "1-shard", b"\x01" + struct.pack("<HH", len(manifest), len(records)) + manifest + records + npy(vectors))

# FuzzServerRequest: selector (bits 0-1 the route: 0 embeddings, 1 classify, 2 search; bit 2 the
# server's default limits, else small ones) + a JSON body with small images in base64.
import base64
png = base64.b64encode((FIX / "ImageProcessingTests/Fixtures/images/grayalpha_90x70.png").read_bytes()).decode()
jpeg = base64.b64encode((FIX / "ImageProcessingTests/Fixtures/images/jpeg_gray_odd.jpg").read_bytes()).decode()
bomb = base64.b64encode((FIX / "ImageProcessingTests/Fixtures/images/bomb_30000x30000.png").read_bytes()).decode()
def request(selector, body):
    return bytes([selector]) + json.dumps(body, ensure_ascii=False).encode()
put("FuzzServerRequest", "0-text", request(0, {"input": "a photo of a cat"}))
put("FuzzServerRequest", "0-mixed", request(4, {"model": "clip-fuzz", "encoding_format": "base64", "dimensions": 512, "user": "u",
    "input": ["a dog", {"type": "text", "text": "caf\u00e9 \U0001F600"}, {"type": "image", "image": "data:image/jpeg;base64," + jpeg}]}))
put("FuzzServerRequest", "0-image-small", request(0, {"input": [{"type": "image", "image": jpeg}, {"type": "image", "image": png}]}))
put("FuzzServerRequest", "0-bomb", request(4, {"input": [{"type": "image", "image": bomb}]}))
put("FuzzServerRequest", "1-classify", request(5, {"image": "data:image/png;base64," + png, "labels": ["cat", "dog", "a {} b"],
    "templates": ["a photo of a {}.", "{} {}"], "top": 2, "model": "clip-fuzz"}))
put("FuzzServerRequest", "1-classify-small", request(1, {"image": jpeg, "labels": ["cat", "dog"]}))
put("FuzzServerRequest", "2-search-text", request(2, {"text": "a red car", "top": 5}))
put("FuzzServerRequest", "2-search-image", request(6, {"image": "data:image/jpeg;base64," + jpeg}))
print("seeds written to", SEEDS)
