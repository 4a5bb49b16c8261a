#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every test: unit tests, the store
# contract, and integration tests against real Dovecot and Postfix on 127.0.0.1.
# Built with AddressSanitizer and UndefinedBehaviorSanitizer, warnings as errors.
# Needs root (or sudo) for apt-get and for the private Postfix instance.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

scripts/setup.sh
scripts/check-deps.sh

build=${COMPLAINTD_TEST_BUILD_DIR:-build/test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMPLAINTD_SANITIZE=ON -DCOMPLAINTD_WERROR=ON
cmake --build "$build" -j"$(nproc)"

# Integration tests must run here, never skip for want of servers.
export COMPLAINTD_REQUIRE_MAIL_SERVERS=1
# Sanitizer failures must fail the run, not scroll by.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 "$@"

# libFuzzer targets for the parser and the config loader, briefly (clang, own build dir).
FUZZ_SECONDS=${FUZZ_SECONDS:-60} scripts/fuzz.sh
