#!/usr/bin/env bash
# Determinism end to end: the same config, seeds and thread count, trained from scratch twice (two
# empty model caches), give byte-identical .csv files; a third run from the warm cache too.
set -euo pipefail
run() {
  ./experiments/reproduce --scale=smoke --tables=fmnist_baselines --threads=2 \
    --output_dir="${TEST_TMPDIR}/$1" --cache_dir="${TEST_TMPDIR}/cache_$2" >/dev/null 2>&1
}
run a one
run b two
run c one
cmp "${TEST_TMPDIR}/a/common/fmnist_baselines.csv" "${TEST_TMPDIR}/b/common/fmnist_baselines.csv"
cmp "${TEST_TMPDIR}/a/common/fmnist_baselines.csv" "${TEST_TMPDIR}/c/common/fmnist_baselines.csv"
echo "byte-identical"
