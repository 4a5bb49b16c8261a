#!/usr/bin/env python3
"""Runs triage_bench and prints triage's share of parse time for each set of mail, with
the verdict on issue 5's target: triage under 10% of the parse of mail as it arrives.

    bench/triage_share.py build/bench/bench/triage_bench [--min-time SECONDS] [--repetitions N]

Each set is parsed (BM_Parse<set>) and triaged with 200 rules (BM_Triage<set>) by the same
binary; the benchmarks run shuffled, several short repetitions each, and the median CPU time
of each is compared, so a machine whose speed drifts during the run moves both alike. The
target is judged on the labelled complaints as delivered (bench/delivered_mail.hpp); the
bare labelled set and the keyword-dense generated complaints are printed as stress sets
(docs/PERFORMANCE.md, "Mail as it arrives"). Set COMPLAINTD_BENCH_CORPUS to a directory of
.eml files to add that mail. Exits 1 when the target is missed.
"""
import argparse
import json
import statistics
import subprocess
import sys

TARGET = 0.10
SETS = [("DeliveredPlain", "labelled complaints as delivered, text/plain", True),
        ("DeliveredAlternative", "labelled complaints as delivered, text + HTML", True),
        ("Corpus", "your corpus (COMPLAINTD_BENCH_CORPUS)", False),
        ("LabelledSet", "stress: the labelled set, bare (no transport headers)", False),
        ("Generated", "stress: generated, every word a complaint word", False)]


def medians(binary: str, min_time: float, repetitions: int) -> dict[str, float]:
    out = subprocess.run([binary, "--benchmark_filter=BM_(Parse|Triage)(" + "|".join(s for s, _, _ in SETS) + ")$",
                          "--benchmark_format=json", "--benchmark_enable_random_interleaving=true",
                          f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}"],
                         capture_output=True, check=True, text=True)
    times: dict[str, list[float]] = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("run_type") == "iteration":
            times.setdefault(b["run_name"], []).append(b["cpu_time"])
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--repetitions", type=int, default=11)
    args = ap.parse_args()
    m = medians(args.binary, args.min_time, args.repetitions)
    print(f"{'set':56} {'parse ms':>9} {'triage ms':>10} {'triage/parse':>13}")
    met = True
    for name, label, judged in SETS:
        parse, triage = m.get(f"BM_Parse{name}"), m.get(f"BM_Triage{name}")
        if parse is None or triage is None:
            continue
        share = triage / parse
        verdict = ("met" if share < TARGET else "MISSED") if judged else ""
        met = met and (share < TARGET or not judged)
        print(f"{label:56} {parse:9.3f} {triage:10.3f} {100 * share:12.1f}%  {verdict}")
    print(f"target: triage under {100 * TARGET:.0f}% of parse on mail as it arrives: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
