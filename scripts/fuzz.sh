#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (only the modules they need) and runs each for a
# short while on its seeds: the parser on tests/fixtures/parser (and the regression inputs
# of earlier crashes), the fast HTML reader against gumbo on tests/fixtures/html, the
# config loader on the example configurations, the keyword trie against RE2 on the labelled
# set's mail.
#   FUZZ_SECONDS=600 scripts/fuzz.sh     # longer runs by hand
# A crash leaves its input in $build/artifacts/; add it to tests/fixtures/parser/fuzz/
# (parser_tests replays that folder) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${COMPLAINTD_FUZZ_BUILD_DIR:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=$(nproc)

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCOMPLAINTD_FUZZ=ON -DCOMPLAINTD_TESTS=OFF >/dev/null
cmake --build "$build" --target parse_fuzz config_fuzz html_fuzz triage_fuzz -j"$jobs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parse" "$work/config" "$work/config-seeds" "$work/html" "$work/triage" "$build/artifacts"
find examples -name '*.toml' -exec cp {} "$work/config-seeds/" \;

# Leaks are reported by the unit tests under ASan; here they would stop a run early.
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
        -artifact_prefix="$build/artifacts/")

# Runs one target; on a crash, prints the input that caused it (base64, so a CI log is
# enough to reproduce it) before failing.
fuzz() {
  local target=$1
  shift
  local before
  before=$(find "$build/artifacts" -type f | sort)
  local status=0
  "$build/fuzz/$target" "${common[@]}" "$@" >"$work/$target.log" 2>&1 || status=$?
  tail -n 25 "$work/$target.log"
  if [[ $status -ne 0 ]]; then
    comm -13 <(echo "$before") <(find "$build/artifacts" -type f | sort) | while read -r artifact; do
      echo "fuzz: $target failed on $artifact; its bytes, base64:"
      base64 "$artifact"
    done
    exit "$status"
  fi
}

echo "fuzz: parse_fuzz for ${seconds}s"
# The first directory collects new inputs; the others are read-only seeds.
fuzz parse_fuzz -max_len=262144 "$work/parse" tests/fixtures/parser tests/fixtures/parser/fuzz

echo "fuzz: html_fuzz for ${seconds}s (the fast HTML reader against gumbo)"
fuzz html_fuzz -max_len=8192 -dict=fuzz/html.dict "$work/html" tests/fixtures/html

echo "fuzz: config_fuzz for ${seconds}s"
fuzz config_fuzz -max_len=16384 "$work/config" "$work/config-seeds"

echo "fuzz: triage_fuzz for ${seconds}s (the keyword trie against RE2)"
fuzz triage_fuzz -max_len=4096 "$work/triage" tests/data/triage/mail
echo "fuzz: no crashes"
