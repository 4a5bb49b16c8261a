#!/usr/bin/env python3
"""Times complaintd's parser and Python 3's standard `email` package on the same generated
messages, in the same run, and prints messages/s, MB/s and the ratio per kind of mail.

    bench/parse_vs_python.py build/bench/bench/parse_bench [--min-time SECONDS]

Python does what a mail reader does with a message: email.message_from_bytes with
policy=default, get_body(('plain', 'html')).get_content() for the text, and get_content()
of every attachment (so base64 is decoded on both sides). complaintd does parser::parse,
which also decodes every header, converts HTML to text (its one-pass reader, gumbo for what
that declines; Python only decodes it), splits the reply and hashes every attachment. Both
sides are timed in CPU time.
"""
import argparse
import email
import email.policy
import json
import pathlib
import subprocess
import sys
import tempfile
import time

KINDS = [("small", "BM_ParseSmallText", "small text mails"),
         ("html", "BM_ParseHtml", "HTML mails (plain + HTML)"),
         ("html_only", "BM_ParseHtmlOnly", "HTML-only mails"),
         ("attachment", "BM_ParseAttachment5MB", "mails with a 5 MB attachment")]


def python_parse(raw: bytes) -> None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        body.get_content()
    for part in msg.iter_attachments():
        part.get_content()
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        str(msg.get(name, ""))


def time_python(files, min_time):
    data = [f.read_bytes() for f in files]
    total_bytes = sum(len(d) for d in data)
    messages = 0
    nbytes = 0
    # CPU time, as Google Benchmark reports it: fair on a machine that is busy with other work.
    start = time.process_time()
    while True:
        for d in data:
            python_parse(d)
        messages += len(data)
        nbytes += total_bytes
        elapsed = time.process_time() - start
        if elapsed >= min_time:
            return messages / elapsed, nbytes / elapsed / 1e6


def time_cpp(binary, min_time):
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"],
                         capture_output=True, check=True, text=True)
    results = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        results[b["name"]] = (b["items_per_second"], b["bytes_per_second"] / 1e6)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parse_bench")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement (default 2)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.parse_bench, "--write-corpus", tmp], check=True)
        cpp = time_cpp(args.parse_bench, args.min_time)
        print(f"{'kind':32} {'complaintd msg/s':>17} {'MB/s':>8} {'python msg/s':>13} {'MB/s':>8} {'ratio':>7}")
        ratios = []
        for folder, bench, label in KINDS:
            files = sorted(pathlib.Path(tmp, folder).glob("*.eml"))
            py_msgs, py_mb = time_python(files, args.min_time)
            c_msgs, c_mb = cpp[bench]
            ratio = c_msgs / py_msgs
            ratios.append(ratio)
            print(f"{label:32} {c_msgs:17.1f} {c_mb:8.1f} {py_msgs:13.1f} {py_mb:8.1f} {ratio:6.1f}x")
        print(f"python {sys.version.split()[0]}; lowest ratio {min(ratios):.1f}x (target: 20x)")
        return 0 if min(ratios) >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
