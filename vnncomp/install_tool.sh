#!/bin/bash
# VNN-COMP: install relugeom from this checkout.   install_tool.sh v1
set -euo pipefail
source "$(dirname "$(realpath "$0")")/_common.sh"
check_args "install_tool.sh v1" 1 "$@"
"$PYTHON" -m pip install -q -e "$REPO"
"$PYTHON" -m relugeom verify --help > /dev/null
