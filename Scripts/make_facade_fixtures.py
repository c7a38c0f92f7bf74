#!/usr/bin/env python3
"""Reference outputs for the CLIP facade tests (Tests/CLIPTests/Fixtures/facade.json).

Uses the tiny random-weight models of Tests/CLIPModelsTests/Fixtures (made by
make_model_fixtures.py) and records:

* `hf-quickgelu`: transformers' `CLIPModel(...).logits_per_image.softmax(-1)` for the fixed pixel
  tensor pixels/32.npy and the four `pad_eot` token sequences of tokens.json (used as four
  "labels"), plus the model's logit scale.
* `openclip-gelu`: open_clip's `build_zero_shot_classifier` weights ([classes, embed], i.e. the
  transposed result) for 3 class names x 2 templates. These tiny models have a 300-token
  vocabulary, so captions are tokenized by a fixed table (caption -> ids) stored in the fixture;
  the Swift test feeds the same ids.

Pinned versions: torch 2.15.0, transformers 5.24.0, open_clip_torch 3.3.0, numpy 2.4.6.
Run from the repository root: python Scripts/make_facade_fixtures.py
"""
import json
import pathlib

import numpy as np
import open_clip
import torch
import transformers

EXPECTED = {"torch": "2.15.0", "transformers": "5.24.0", "open_clip": "3.3.0", "numpy": "2.4.6"}
found = {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__,
         "open_clip": open_clip.__version__, "numpy": np.__version__}
assert found == EXPECTED, f"versions differ from the pinned ones: {found}"

root = pathlib.Path(__file__).resolve().parent.parent
models = root / "Tests/CLIPModelsTests/Fixtures"
out = root / "Tests/CLIPTests/Fixtures/facade.json"
torch.set_num_threads(1)

tokens = json.loads((models / "tokens.json").read_text())
result = {"versions": EXPECTED, "script": "Scripts/make_facade_fixtures.py"}

# transformers: probabilities per image over the four token sequences.
hf = transformers.CLIPModel.from_pretrained(models / "models/hf-quickgelu").eval()
pixels = torch.from_numpy(np.load(models / "pixels/32.npy"))
ids = torch.tensor(tokens["hf-quickgelu"]["pad_eot"], dtype=torch.long)
with torch.no_grad():
    output = hf(input_ids=ids, pixel_values=pixels)
result["hf-quickgelu"] = {
    "model": "Tests/CLIPModelsTests/Fixtures/models/hf-quickgelu",
    "pixels": "Tests/CLIPModelsTests/Fixtures/pixels/32.npy",
    "token_ids": tokens["hf-quickgelu"]["pad_eot"],
    "logit_scale": float(hf.logit_scale.exp()),
    "probabilities": output.logits_per_image.softmax(-1).tolist(),
}

# open_clip: template ensembling.
oc, _, _ = open_clip.create_model_and_transforms(f"local-dir:{models / 'models/openclip-gelu'}")
oc.eval()
context = oc.context_length
vocab = oc.vocab_size
sot, eot = vocab - 2, vocab - 1
classnames = ["red square", "blue circle", "green star"]
templates = ["a photo of a {}.", "a drawing of the {}"]
table = {}
for c in classnames:
    for t in templates:
        caption = t.format(c)
        # Deterministic ids inside the tiny vocabulary: one id per word, from a fixed hash.
        body = [sum(map(ord, w)) * 7919 % (vocab - 2) for w in caption.split()]
        table[caption] = [sot] + body + [eot]


def tokenize(texts):
    rows = [table[t] + [0] * (context - len(table[t])) for t in texts]
    return torch.tensor(rows, dtype=torch.long)


weights = open_clip.build_zero_shot_classifier(oc, tokenize, classnames, templates, num_classes_per_batch=2)
result["openclip-gelu"] = {
    "model": "Tests/CLIPModelsTests/Fixtures/models/openclip-gelu",
    "classnames": classnames,
    "templates": templates,
    "caption_ids": table,
    "classifier": weights.T.tolist(),
}
out.write_text(json.dumps(result, indent=1) + "\n")
print(f"wrote {out}")
