#!/bin/bash
# VNN-COMP: run one instance.   run_instance.sh v1 CATEGORY NET.onnx PROP.vnnlib RESULT_FILE TIMEOUT
# Writes RESULT_FILE in the competition's format: sat (with the counterexample), unsat,
# timeout, unknown or error. One thread, as the competition's single-core runs.
set -uo pipefail
source "$(dirname "$(realpath "$0")")/_common.sh"
check_args "run_instance.sh v1 CATEGORY NET.onnx PROP.vnnlib RESULT_FILE TIMEOUT" 6 "$@"
NET=$(plain_path "$3")
PROP=$(plain_path "$4")
RESULT=$5
TIMEOUT=$6
if [ ! -f "$NET" ] || [ ! -f "$PROP" ]; then  # .gz inputs not prepared: decompress now
    "$(dirname "$(realpath "$0")")/prepare_instance.sh" v1 "$2" "$3" "$4" || { echo error > "$RESULT"; exit 0; }
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# a little of the budget is left for start-up and writing the result
LIMIT=$("$PYTHON" -c "import sys; t = float(sys.argv[1]); print(max(0.5, 0.97 * t - 0.5))" "$TIMEOUT")
"$PYTHON" -m relugeom verify "$NET" "$PROP" --time-limit "$LIMIT" --counterexample "$RESULT"
[ -s "$RESULT" ] || echo error > "$RESULT"
exit 0
