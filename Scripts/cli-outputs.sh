#!/usr/bin/env bash
# Writes what a `clip` binary prints for every committed fixture model (embed-image on files and
# on .npy pixels, embed-text on texts or token ids, classify --json, tokenize, info), in f32,
# bf16 and int8, one file per command, so that two binaries can be compared byte for byte:
#
#   Scripts/cli-outputs.sh OLD/clip /tmp/out-old && Scripts/cli-outputs.sh NEW/clip /tmp/out-new
#   diff -r /tmp/out-old /tmp/out-new
#
# Run from the package root. A command that fails records its stderr and exit code instead.
set -uo pipefail
clip=$1 out=$2
mkdir -p "$out"
F=Tests/CLIPModelsTests/Fixtures
image=Examples/images/blue-heart.png
photo=Examples/photos/cat.jpg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # name, command...
    local name=$1; shift
    if "$@" > "$out/$name" 2> "$tmp/err"; then :; else
        { echo "exit $?"; cat "$tmp/err"; } >> "$out/$name"
    fi
}

# The token-id batches of the parity fixtures, as [[Int]] files.
python3 - "$F" "$tmp" <<'PY'
import json, sys
fixtures, tmp = sys.argv[1], sys.argv[2]
for name in ("tokens.json", "siglip-tokens.json"):
    for model, sets in json.load(open(f"{fixtures}/{name}")).items():
        for key, ids in sets.items():
            if isinstance(ids, list) and ids and isinstance(ids[0], list):
                json.dump(ids, open(f"{tmp}/{model}.{key}.json", "w"))
PY

size_of() { python3 -c "import json,sys; c=json.load(open(sys.argv[1])); v=c.get('vision_config') or c.get('vision_config_dict') or c['model_cfg']['vision_cfg']; print(v.get('image_size',224))" "$1"; }

for precision in f32 bf16 int8; do
    p="--precision $precision"
    for dir in $F/models/* Tests/CLIPCommandTests/Fixtures/*/ mini-clip; do
        dir=${dir%/}
        name=$(basename "$dir")
        model=(--model "$dir")
        [ "$name" = mini-clip ] && model=()
        tag="$name.$precision"
        run "$tag.embed-image" "$clip" embed-image "${model[@]}" $p "$image" "$photo"
        config="$dir/config.json"; [ -f "$config" ] || config="$dir/open_clip_config.json"
        if [ -f "$config" ]; then
            size=$(size_of "$config")
            [ -f "$F/pixels/$size.npy" ] && run "$tag.embed-pixels" "$clip" embed-image "${model[@]}" $p --pixel-values "$F/pixels/$size.npy"
        fi
        for ids in "$tmp/$name".*.json; do
            [ -f "$ids" ] && run "$tag.embed-ids.$(basename "$ids" .json | cut -d. -f2)" "$clip" embed-text "${model[@]}" $p --token-ids "$ids"
        done
        run "$tag.embed-text" "$clip" embed-text "${model[@]}" $p --normalize "a blue heart" "a photo of a cat" "ünïcödé 猫 🐈"
        run "$tag.classify" "$clip" classify "${model[@]}" $p --json --labels "red star,blue heart,cat,dog" "$image" "$photo"
        run "$tag.classify-text" "$clip" classify "${model[@]}" $p --top 2 --template "a {} picture" --template "{}" --labels "red star,blue heart,cat" "$image"
        if [ "$precision" = f32 ]; then
            run "$name.tokenize" "$clip" tokenize "${model[@]}" "a blue heart" "ünïcödé 猫 🐈" "$(printf 'word %.0s' {1..100})"
            [ "$name" != mini-clip ] && run "$name.info" "$clip" info "${model[@]}"
        fi
    done
done
ls "$out" | wc -l
