#!/bin/bash
# Fetch the nsfwjs@4.4.0 npm package and convert its TF.js MobileNetV2 and InceptionV3 into the
# Keras-style HDF5 weight files synobs loads (spec analogues.md 9.1, 9.4; io/keras_h5.h):
#   validation/tools/fetch_weights.sh [--model mobilenet_v2|inception_v3] OUTDIR
# writes OUTDIR/<model>_nsfwjs.h5, OUTDIR/<model>_nsfwjs.sha256 (the record) and OUTDIR/ATTRIBUTION.md,
# for the one model named, or without --model for both (mobilenet_v2, then inception_v3).
# Idempotent: nothing is done when the .h5 exists and matches its recorded sha256. Needs npm, node
# (Debian nodejs, npm) and /usr/bin/python3 with h5py and numpy. One line per step.
set -euo pipefail

TARBALL_SHA256=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
declare -A SHARD_SHA256=([mobilenet_v2]=8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13
                         [inception_v3]=8a457f3fdec7db18b16e44323454db0eaeb8f314eda0046b2e293e58a5bfabf4)
tools=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != --model ]; then
    [ $# -eq 1 ] || { echo "usage: fetch_weights.sh [--model mobilenet_v2|inception_v3] OUTDIR" >&2; exit 2; }
    for m in mobilenet_v2 inception_v3; do "$0" --model "$m" "$1"; done
    exit 0
fi
model=${2:-}
shift 2 || true
case "$model" in mobilenet_v2 | inception_v3) ;; *) echo "fetch_weights: --model must be mobilenet_v2 or inception_v3, not '$model'" >&2; exit 2 ;; esac
[ $# -eq 1 ] || { echo "usage: fetch_weights.sh [--model mobilenet_v2|inception_v3] OUTDIR" >&2; exit 2; }
out=$1
h5="$out/${model}_nsfwjs.h5"
record="$out/${model}_nsfwjs.sha256"

if [ -f "$h5" ] && [ -f "$record" ] && (cd "$out" && sha256sum --status -c "$(basename "$record")"); then
    echo "fetch_weights: $h5 present, sha256 $(cut -d' ' -f1 "$record") as recorded: nothing to do"
    exit 0
fi
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch_weights.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch_weights: npm pack nsfwjs@4.4.0 into $tmp"
# The tarball's sha256 is checked below, so its integrity does not rest on TLS: behind a proxy whose
# certificate authority this machine does not trust (npm: SELF_SIGNED_CERT_IN_CHAIN), the package
# is fetched again without certificate checks, saying so, and accepted only if its sha256 matches.
if ! (cd "$tmp" && npm pack --loglevel=error nsfwjs@4.4.0 >/dev/null 2>"$tmp/npm.err"); then
    if grep -q -E 'CERT|certificate' "$tmp/npm.err"; then
        echo "fetch_weights: npm: $(grep -m1 -o -E '[A-Z_]*CERT[A-Z_]*' "$tmp/npm.err"): fetching again without TLS certificate checks (the sha256 decides)"
        (cd "$tmp" && npm pack --loglevel=error --strict-ssl=false nsfwjs@4.4.0 >/dev/null 2>"$tmp/npm.err") || {
            echo "fetch_weights: npm pack nsfwjs@4.4.0 failed: $(grep -m1 'npm ERR!' "$tmp/npm.err" | tail -1)" >&2
            exit 1
        }
    else
        echo "fetch_weights: npm pack nsfwjs@4.4.0 failed: $(grep 'npm ERR!' "$tmp/npm.err" | head -2 | tr '\n' ' ')" >&2
        exit 1
    fi
fi
got=$(sha256sum "$tmp/nsfwjs-4.4.0.tgz" | cut -d' ' -f1)
if [ "$got" != "$TARBALL_SHA256" ]; then
    echo "fetch_weights: refusing nsfwjs-4.4.0.tgz: sha256 $got, expected $TARBALL_SHA256" >&2
    exit 1
fi
echo "fetch_weights: nsfwjs-4.4.0.tgz sha256 $got as expected; extracting"
tar xzf "$tmp/nsfwjs-4.4.0.tgz" -C "$tmp"
echo "fetch_weights: $(node "$tools/nsfwjs_extract.cjs" "$tmp/package/dist/models/$model" "$tmp/$model")"
shards=$(cd "$tmp/$model" && cat $(ls group*-shard* | sort -V) | sha256sum | cut -d' ' -f1)
if [ -n "${SHARD_SHA256[$model]:-}" ] && [ "$shards" != "${SHARD_SHA256[$model]}" ]; then
    echo "fetch_weights: refusing $model: decoded shards sha256 $shards, expected ${SHARD_SHA256[$model]}" >&2
    exit 1
fi
echo "fetch_weights: $model decoded shards sha256 $shards"
echo "fetch_weights: $(/usr/bin/python3 "$tools/tfjs_to_keras_h5.py" "$tmp/$model" "$h5" \
    --source "npm nsfwjs@4.4.0 (tarball sha256 $TARBALL_SHA256) dist/models/$model, decoded shards sha256 $shards")"
(cd "$out" && sha256sum "$(basename "$h5")" >"$(basename "$record")")
echo "$shards" >"$out/${model}_nsfwjs.shards.sha256"

{
    echo "# Pretrained CNN weights in this directory"
    echo
    echo "Converted by synobs \`validation/tools/fetch_weights.sh\` from the npm package **nsfwjs@4.4.0** (tarball"
    echo "\`nsfwjs-4.4.0.tgz\`, sha256 \`$TARBALL_SHA256\`): the TF.js layers models in"
    echo "\`dist/models/<model>/\`, base64 shards decoded (\`nsfwjs_extract.cjs\`) and written in the Keras legacy HDF5 weight"
    echo "layout (\`tfjs_to_keras_h5.py\`, uint8 dequantised as min + scale*q in float64, stored float32). Keep this notice"
    echo "with any copy of these files."
    echo
    echo "- nsfwjs: MIT licence, © Infinite Red, Inc. (https://github.com/infinitered/nsfwjs)."
    echo "- The models: GantMan/nsfw_model, MIT licence (https://github.com/GantMan/nsfw_model)."
    echo "- The ImageNet base weights they were fine-tuned from: Keras applications, Apache License 2.0"
    echo "  (https://github.com/keras-team/keras)."
    echo
    echo "| file | model | decoded shards sha256 | converted file sha256 |"
    echo "|---|---|---|---|"
    for r in "$out"/*_nsfwjs.sha256; do
        m=$(basename "$r" _nsfwjs.sha256)
        echo "| \`${m}_nsfwjs.h5\` | \`$m\` | \`$(cat "$out/${m}_nsfwjs.shards.sha256" 2>/dev/null || echo unknown)\` | \`$(cut -d' ' -f1 "$r")\` |"
    done
    echo
    echo "Converted with h5py $(/usr/bin/python3 -c 'import h5py; print(h5py.__version__, "/ HDF5", h5py.version.hdf5_version)');"
    echo "other HDF5 versions may give other bytes (same values)."
} >"$out/ATTRIBUTION.md"
echo "fetch_weights: $h5 sha256 $(cut -d' ' -f1 "$record"); licences and sha256s in $out/ATTRIBUTION.md"
