#!/usr/bin/env bash
# Trains, exports and evaluates the bundled mini CLIP, renders the committed images and writes
# the model card (Sources/CLIPDemoModel/Resources/mini-clip/README.md).
# Run from anywhere; writes Sources/CLIPDemoModel/Resources/mini-clip/, Examples/images/, the CLIPTests test set and
# Scripts/train-mini-clip/last_run.json. Scratch (the float32 checkpoint, logs) goes to
# $WORK_DIR (default /tmp/mini-clip-work) and is never committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK_DIR=${WORK_DIR:-/tmp/mini-clip-work}
S=Scripts/train-mini-clip
python "$S/train.py" --work-dir "$WORK_DIR"
python "$S/export.py" --work-dir "$WORK_DIR" --out Sources/CLIPDemoModel/Resources/mini-clip
cp "$WORK_DIR/train_record.json" "$S/last_run.json"
python "$S/make_assets.py"
python "$S/evaluate.py" | tee "$WORK_DIR/evaluation.txt"
python "$S/model_card.py"
