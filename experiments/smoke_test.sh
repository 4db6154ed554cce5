#!/usr/bin/env bash
# Smoke-scale end-to-end run of one paper's tables: every table runs, writes its .md/.csv/.json and
# the index, into the test's temporary folder.
set -euo pipefail
out="${TEST_TMPDIR}/results"
./experiments/reproduce --scale=smoke --output_dir="$out" --cache_dir="${TEST_TMPDIR}/cache" "$@"
for md in "$out"/*/*.md; do
  base="${md%.md}"
  for ext in csv json; do
    [[ -s "$base.$ext" ]] || { echo "missing $base.$ext"; exit 1; }
  done
  grep -q '"claims"' "$base.json" || { echo "$base.json has no claims"; exit 1; }
done
[[ -s "$out/README.md" ]] || { echo "missing results index"; exit 1; }
ls "$out"/*/*.md >/dev/null
echo "smoke run ok"
