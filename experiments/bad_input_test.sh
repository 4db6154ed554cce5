#!/usr/bin/env bash
# Bad input to reproduce: each case gives one clear error line naming the culprit, a non-zero exit,
# and no results written.
set -uo pipefail
bin=./experiments/reproduce
tmp="${TEST_TMPDIR}"
fail=0

expect_error() {  # expect_error <name> <pattern> <args...>
  local name=$1 pattern=$2
  shift 2
  local out
  out=$("$bin" "$@" 2>&1 >/dev/null)
  local status=$?
  if [[ $status -eq 0 ]]; then echo "FAIL $name: exit 0"; fail=1; return; fi
  if ! grep -q -- "$pattern" <<<"$out"; then echo "FAIL $name: no '$pattern' in: $out"; fail=1; return; fi
  echo "ok   $name: $(grep -- "$pattern" <<<"$out" | head -1)"
}

# Missing Fashion-MNIST: names the path and the Debian package.
expect_error missing_fmnist "dataset-fashion-mnist" --scale=smoke --tables=fmnist_baselines \
  --fashion_mnist_dir="$tmp/nowhere" --output_dir="$tmp/out1" --cache_dir="$tmp/c1"
[[ -e "$tmp/out1/common/fmnist_baselines.md" ]] && { echo "FAIL missing_fmnist wrote a table"; fail=1; }

# Unwritable output folder (a file where the folder should be).
touch "$tmp/afile"
expect_error unwritable_output "output" --scale=smoke --tables=fmnist_baselines \
  --output_dir="$tmp/afile/results" --cache_dir="$tmp/c2"

# Unknown table / paper / scale / seeds.
expect_error unknown_table "unknown table 'nope'" --tables=nope
expect_error unknown_paper "unknown paper 'nope'" --papers=nope
expect_error bad_scale "is not one of smoke, cpu, paper" --scale=huge
expect_error bad_seeds "is not a seed" --seeds=1,x

# A config with a syntax error, an unknown field and an out-of-range value: file, line and field.
mkdir -p "$tmp/ws/experiments/common"
cp experiments/common/fmnist_baselines.smoke.pbtxt "$tmp/ws/experiments/common/"
cfg="$tmp/ws/experiments/common/fmnist_baselines.smoke.pbtxt"
run_ws() { (cd "$tmp/ws" && BUILD_WORKSPACE_DIRECTORY="$tmp/ws" "$OLDPWD/$bin" "$@"); }
printf 'eval_batch_size: [\n' >> "$cfg"
out=$(run_ws --scale=smoke --tables=fmnist_baselines --output_dir="$tmp/out3" 2>&1); status=$?
if [[ $status -eq 0 ]] || ! grep -q "fmnist_baselines.smoke.pbtxt:[0-9]*:[0-9]*:" <<<"$out"; then
  echo "FAIL syntax_error: $out"; fail=1; else echo "ok   syntax_error: $out"; fi
cp experiments/common/fmnist_baselines.smoke.pbtxt "$cfg"
printf 'no_such_field: 3\n' >> "$cfg"
out=$(run_ws --scale=smoke --tables=fmnist_baselines --output_dir="$tmp/out3" 2>&1); status=$?
if [[ $status -eq 0 ]] || ! grep -q "no_such_field" <<<"$out"; then
  echo "FAIL unknown_field: $out"; fail=1; else echo "ok   unknown_field: $out"; fi
sed 's/eval_batch_size: 1000/eval_batch_size: -5/' experiments/common/fmnist_baselines.smoke.pbtxt > "$cfg"
out=$(run_ws --scale=smoke --tables=fmnist_baselines --output_dir="$tmp/out3" 2>&1); status=$?
if [[ $status -eq 0 ]] || ! grep -q "field 'eval_batch_size'" <<<"$out"; then
  echo "FAIL out_of_range: $out"; fail=1; else echo "ok   out_of_range: $out"; fi
[[ -e "$tmp/out3" ]] && { echo "FAIL a bad config wrote output"; fail=1; }

exit $fail
