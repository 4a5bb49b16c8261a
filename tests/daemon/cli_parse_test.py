#!/usr/bin/env python3
"""`complaintd parse < message.eml` prints the parsed message as valid JSON, for every
fixture, with everything a coordinator needs (docs/OPERATIONS.md)."""
import json
import pathlib
import subprocess
import sys

binary, fixtures = sys.argv[1], pathlib.Path(sys.argv[2])
KEYS = {"message_id", "subject", "from", "sender", "reply_to", "to", "cc", "date", "date_utc",
        "in_reply_to", "references", "content_type", "text", "reply_text", "attachments",
        "attached_messages", "machine_mail", "limit_exceeded", "needs_person",
        "needs_person_reason", "defects", "headers"}


def parse(path):
    out = subprocess.run([binary, "parse"], stdin=path.open("rb"), capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout.decode("utf-8"))  # strict: invalid UTF-8 would raise


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


count = 0
for path in sorted(fixtures.glob("*.eml")):
    msg = parse(path)
    count += 1
    check(set(msg) == KEYS, f"{path.name}: keys {sorted(set(msg) ^ KEYS)}")
    for a in msg["attachments"]:
        check(len(a["sha256"]) == 64 and "content" not in a, f"{path.name}: attachment {a}")

tnef = parse(fixtures / "winmail_tnef.eml")
check([a["filename"] for a in tnef["attachments"]] ==
      ["winmail.dat", "Report on missed collections.pdf", "notes.txt"], f"tnef: {tnef['attachments']}")
check(tnef["attachments"][1]["container"] == "winmail.dat", "tnef: container")
check(tnef["date_utc"] == "2024-06-04T08:15:00Z", f"tnef: date_utc {tnef['date_utc']}")
check(tnef["headers"][0] == {"name": "From", "value": "Bob Outlook <bob@example.test>"}, f"headers {tnef['headers'][0]}")

reply = parse(fixtures / "reply_outlook.eml")
check(reply["reply_text"] == "Thank you for the reply. The bin was still not collected today.", reply["reply_text"])
check(reply["machine_mail"] == {"is_machine": False, "reason": ""}, f"machine {reply['machine_mail']}")

auto = parse(fixtures / "auto_reply.eml")
check(auto["machine_mail"]["is_machine"] and auto["machine_mail"]["reason"], f"auto: {auto['machine_mail']}")

fwd = parse(fixtures / "forwarded.eml")
check([m["subject"] for m in fwd["attached_messages"]] == ["earlier complaint", "attached"], f"fwd {fwd['attached_messages']}")

empty = parse(fixtures / "empty.eml")
check(empty["needs_person"] and empty["date_utc"] is None, f"empty: {empty}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"cli_parse_json: {count} fixtures parsed to valid JSON")
