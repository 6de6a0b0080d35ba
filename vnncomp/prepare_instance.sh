#!/bin/bash
# VNN-COMP: prepare one instance (untimed).   prepare_instance.sh v1 CATEGORY NET.onnx[.gz] PROP.vnnlib[.gz]
# Decompresses .gz inputs into a cache and stops any relugeom run left from an earlier instance.
set -euo pipefail
source "$(dirname "$(realpath "$0")")/_common.sh"
check_args "prepare_instance.sh v1 CATEGORY NET.onnx PROP.vnnlib" 4 "$@"
pkill -u "$(id -u)" -f "relugeom verify" 2> /dev/null || true
mkdir -p "$CACHE"
for f in "$3" "$4"; do
    if [ ! -f "$f" ]; then
        echo "no such file: $f" >&2
        exit 1
    fi
    out=$(plain_path "$f")
    if [ "$out" != "$f" ] && [ ! -f "$out" ]; then
        gzip -dc "$f" > "$out.part" && mv "$out.part" "$out"
    fi
done
exit 0
