#!/bin/sh
# Rebuild the embedded language model src/vn_repair/data/default-model.bin from every training
# file of ../shared/corpora (never a dev.txt).  Deterministic: the same inputs give the same bytes.
#
#   scripts/build_default_model.sh [OUTPUT]        (PYTHON=... to choose the interpreter)
#
# Takes 2-3 minutes and 4.7 GB of memory on one core.  Options: see docs/model.md for the
# measurements behind them.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${VN_REPAIR_SHARED:-$ROOT/../shared}
C=$SHARED/corpora
OUT=${1:-$ROOT/src/vn_repair/data/default-model.bin}
PY=${PYTHON:-python}
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${PYTHON:-}" ] && PY=$ROOT/.venv/bin/python
exec "$PY" -m vn_repair.train \
    "$C/vietnews/train.txt.gz" \
    "$C/baomoi/train.txt.gz" \
    "$C/viwiki/viwiki.txt.gz" \
    "$C/vlc-law/vlc.txt.gz" \
    "$C/unc-dantri/unc.txt.gz" \
    --order 4 --min-counts 1,2,2,3 --size-mb 23 --min-unigram-count 3 --min-other-count 100 \
    --max-vocab 16384 --quant-bits 8 \
    -o "$OUT"
