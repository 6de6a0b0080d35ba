# Shared by the VNN-COMP scripts: argument checks, the interpreter, and .gz inputs.
VERSION_STRING=v1
PYTHON=${PYTHON:-python3}
REPO=$(dirname "$(dirname "$(realpath "${BASH_SOURCE[0]}")")")
CACHE=${RELUGEOM_VNNCOMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relugeom-vnncomp}

# check_args USAGE N "$@": the version string first, and N arguments in all
check_args() {
    local usage=$1 n=$2
    shift 2
    if [ "${1:-}" != "$VERSION_STRING" ]; then
        echo "expected the version string '$VERSION_STRING' as first argument; got '${1:-}'" >&2
        exit 1
    fi
    if [ $# -ne "$n" ]; then
        echo "usage: $usage" >&2
        exit 1
    fi
}

# plain_path FILE: FILE itself, or for FILE.gz its decompressed copy in the cache
plain_path() {
    case "$1" in
        *.gz) echo "$CACHE/$(echo "$(realpath "$1")" | md5sum | cut -c1-12)-$(basename "${1%.gz}")" ;;
        *) echo "$1" ;;
    esac
}
