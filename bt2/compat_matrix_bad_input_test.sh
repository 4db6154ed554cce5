#!/usr/bin/env bash
# The compat_matrix tool on bad input: one clear line on stderr and a non-zero exit.
set -uo pipefail
tool="$1"
config="${TEST_TMPDIR}/tiny.smoke.pbtxt"
cat > "$config" <<'PB'
experiment { title: "t" scale: SMOKE seeds: [1] data { name: FASHION_MNIST } }
models {
  name: "old" kind: INDEPENDENT embedding_dim: 4 trunk { mlp { hidden_sizes: [8] } }
  train { epochs: 1 batch_size: 8 optimizer: "adam" lr: 0.001 schedule: "cosine" }
}
models {
  name: "new" kind: INDEPENDENT embedding_dim: 2 trunk { mlp { hidden_sizes: [8] } }
  train { epochs: 1 batch_size: 8 optimizer: "adam" lr: 0.001 schedule: "cosine" }
}
cases { label: "new/old" query: "new" gallery: "old" }
PB
touch "${TEST_TMPDIR}/new.pt"

expect_failure() {  # expect_failure <text the single stderr line must contain> <args...>
  local want="$1"; shift
  local err="${TEST_TMPDIR}/stderr"
  if "$tool" "$@" 2>"$err" >/dev/null; then echo "FAIL: exit 0 for: $*"; exit 1; fi
  if [[ "$(grep -c . "$err")" != 1 ]]; then echo "FAIL: not one line for: $*"; cat "$err"; exit 1; fi
  if ! grep -qF -- "$want" "$err"; then echo "FAIL: '$want' not in: $(cat "$err")"; exit 1; fi
}

expect_failure "old-model checkpoint not found at" --config="$config" --old_model=old \
  --old_checkpoint="${TEST_TMPDIR}/missing.pt" --new_model=new --new_checkpoint="${TEST_TMPDIR}/new.pt"
touch "${TEST_TMPDIR}/old.pt"
expect_failure "incompatible dimensions" --config="$config" --old_model=old \
  --old_checkpoint="${TEST_TMPDIR}/old.pt" --new_model=new --new_checkpoint="${TEST_TMPDIR}/new.pt"
expect_failure "is not a model of" --config="$config" --old_model=old \
  --old_checkpoint="${TEST_TMPDIR}/old.pt" --new_model=bt2 --new_checkpoint="${TEST_TMPDIR}/new.pt"
expect_failure "--config is required"
expect_failure "not found" --config="${TEST_TMPDIR}/none.pbtxt"
echo "bad input ok"
