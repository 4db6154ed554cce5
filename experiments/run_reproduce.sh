#!/usr/bin/env bash
# Runs //experiments:reproduce with the arguments Bazel gives (e.g. --tables=bt2_main) and the user's.
set -euo pipefail
exec "${RUNFILES_DIR:-$0.runfiles}/repro/experiments/reproduce" "$@"
