#!/usr/bin/env bash
# Every benchmark, one after another, in one command (docs/PERFORMANCE.md says what each
# measures and records the numbers):
#   parse      bench/parse_vs_python.py: the parser against Python's email package
#   triage     bench/triage_share.py over triage_bench: a 200-rule config, triage's share
#              of parse time (the labelled set as delivered, which the target is judged
#              on; bare and keyword-dense stress sets; the .eml files under
#              $COMPLAINTD_BENCH_CORPUS when it is set)
#   scheduler  scheduler_bench 100000 10000: the next deadline, 10,000 due at once, memory
#   ingest     bench/ingest_bench.py: end-to-end through real Dovecot and Postfix
#   latency    bench/ack_latency.py: SMTP submission to acknowledgement, IDLE and polling
#
#   scripts/bench.sh                 all of them, at the sizes the issues name
#   scripts/bench.sh --quick         smaller counts: a check that they run (~3 minutes)
#   scripts/bench.sh scheduler ...   only those named
#
# Release build in build/bench (never run by ctest: timings are not assertions). Needs root
# (the private Postfix) and the packages from scripts/setup.sh. Numbers vary with the load:
# run on a quiet machine, more than once, and report ranges.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

quick=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    parse | triage | scheduler | ingest | latency) wanted+=("$arg") ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$arg' (see --help)" >&2; exit 64 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(parse triage scheduler ingest latency)

build=${COMPLAINTD_BENCH_BUILD_DIR:-build/bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCOMPLAINTD_BENCH=ON -DCOMPLAINTD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target parse_bench triage_bench scheduler_bench complaintd
binary="$PWD/$build/daemon/complaintd"

if [ "$quick" = 1 ]; then
  min_time=0.05 triage_reps=3 cases=10000 due=1000 ingest=200 acks=20
else
  min_time=0.5 triage_reps=11 cases=100000 due=10000 ingest=10000 acks=200
fi

section() { printf '\n=== %s (load average: %s) ===\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# One benchmark missing its target (parse_vs_python.py exits 1 below 20x, triage_share.py
# at 10% or more of parse on delivered mail) or failing does
# not stop the others; the summary names it and the exit status is 1.
run() {
  local what=$1
  shift
  if ! "$@"; then
    missed+=("$what")
  fi
}
missed=()

for what in "${wanted[@]}"; do
  case "$what" in
    parse)
      section "parse: complaintd against Python's email package"
      run parse python3 bench/parse_vs_python.py "$build/bench/parse_bench" --min-time "$min_time"
      ;;
    triage)
      section "triage: 200 rules, against parse on the same messages"
      run triage python3 bench/triage_share.py "$build/bench/triage_bench" --repetitions "$triage_reps"
      ;;
    scheduler)
      section "scheduler: $cases open cases, $due deadlines due at once"
      run scheduler "$build/bench/scheduler_bench" "$cases" "$due"
      ;;
    ingest)
      section "ingest: $ingest generated complaints, run --once"
      run ingest python3 bench/ingest_bench.py "$binary" --count "$ingest"
      ;;
    latency)
      section "acknowledgement latency: $acks complaints, IDLE and polling"
      run latency python3 bench/ack_latency.py "$binary" --count "$acks"
      ;;
  esac
done

if [ ${#missed[@]} -gt 0 ]; then
  echo "bench.sh: missed a target or failed: ${missed[*]}" >&2
  exit 1
fi
echo "bench.sh: ${wanted[*]}: done"
