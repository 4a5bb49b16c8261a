#!/usr/bin/env bash
# The quick-start demo: sets up this Debian 12 machine, builds complaintd, starts a
# private Dovecot (IMAP) and Postfix (SMTP) on 127.0.0.1, sends a few complaints through
# SMTP, runs the complaintd daemon, and shows the acknowledgements as they arrive in the
# customers' mailboxes, then the cases. Nothing listens beyond 127.0.0.1; nothing is sent
# off the machine. Needs root (or sudo) for apt-get and Postfix.
#
#   scripts/demo.sh            run the demo, then stop everything
#   KEEP=1 scripts/demo.sh     leave the servers and the database for you to explore
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing packages (scripts/setup.sh)"
scripts/setup.sh

say "Building complaintd"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMPLAINTD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target complaintd
bin=$root/build/release/daemon/complaintd

demo=${DEMO_DIR:-/tmp/complaintd-demo}
base=${DEMO_BASE_PORT:-10100}
if [ -f "$demo/servers.env" ]; then scripts/mail-servers.sh stop "$demo" >/dev/null 2>&1 || true; fi
rm -rf "$demo"
mkdir -p "$demo"
chmod 755 "$demo"

daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; fi
  if [ "${KEEP:-0}" != 1 ]; then scripts/mail-servers.sh stop "$demo" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

say "Starting Dovecot and Postfix on 127.0.0.1 (scripts/mail-servers.sh)"
scripts/mail-servers.sh start "$demo" --base-port "$base"
# shellcheck disable=SC1091
source "$demo/servers.env"
# The customers, and every member of staff the council's procedure names (on the demo's domain).
staff=()
for a in $(grep -oE '[A-Za-z0-9._+-]+@example\.org' examples/solihull-council/complaintd.toml | sort -u); do
  [ "$a" = complaints@example.org ] && continue   # the complaints mailbox itself, added below
  staff+=("${a%@example.org}@example.test" staff-pw)
done
scripts/mail-servers.sh add-user "$demo" complaints@example.test complaints-pw \
  alice@example.test alice-pw bob@example.test bob-pw carol@example.test carol-pw "${staff[@]}"

mkdir -p "$demo/complaintd"
echo complaints-pw > "$demo/complaintd/imap.password"
chmod 600 "$demo/complaintd/imap.password"
config=$demo/complaintd/complaintd.toml
# The council's procedure exactly as shipped in examples/, pointed at the demo's servers,
# its database and its staff on the demo's mail domain.
{
  echo "# Written by scripts/demo.sh from examples/solihull-council/complaintd.toml."
  sed -e 's/@example\.org/@example.test/g' \
      -e "s|^url = \"imaps://.*\"|url = \"imap://127.0.0.1:$IMAP_PORT\"|" \
      -e "s|^url = \"smtp://.*\"|url = \"smtp://127.0.0.1:$SMTP_PORT\"|" \
      -e "s|^password_file = .*|password_file = \"imap.password\"|" \
      -e "s|^database = .*|database = \"complaintd.db\"|" \
      -e "s|^poll_interval = .*|poll_interval = \"2s\"|" \
      -e "s|^letters = \"letters\".*|letters = \"$root/examples/solihull-council/letters\"|" \
      -e "s|^holidays_file = .*|holidays_file = \"$root/examples/calendars/england-and-wales.txt\"|" \
      examples/solihull-council/complaintd.toml
} > "$config"
"$bin" check-config --config "$config"

say "Starting the complaintd daemon (logs below)"
# Process substitution, not a pipe: $! must be complaintd itself, so SIGTERM reaches it.
"$bin" run --config "$config" > >(sed 's/^/  complaintd | /') 2>&1 &
daemon_pid=$!
sleep 1

say "Customers write to complaints@example.test through SMTP"
for f in examples/demo/mail/*.eml; do
  from=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$f" | head -1)
  echo "  sending $(basename "$f") from $from"
  curl -sS --url "smtp://127.0.0.1:$SMTP_PORT" --mail-from "$from" \
    --mail-rcpt complaints@example.test --upload-file "$f"
done

say "Waiting for acknowledgements in the customers' mailboxes (IMAP)"
imap() { curl -sS --url "imap://127.0.0.1:$IMAP_PORT/INBOX" -u "$1" "${@:2}"; }
count() { imap "$1" -X 'SEARCH ALL' | tr -cd '0-9 \n' | wc -w; }
want_alice=2 want_bob=1
for _ in $(seq 1 60); do
  if [ "$(count alice@example.test:alice-pw)" -ge $want_alice ] && [ "$(count bob@example.test:bob-pw)" -ge $want_bob ]; then break; fi
  sleep 0.5
done
for who in alice@example.test:alice-pw bob@example.test:bob-pw; do
  n=$(count "$who")
  for i in $(seq 1 "$n"); do
    echo
    echo "  ---- ${who%%:*}, message $i ----"
    curl -sS --url "imap://127.0.0.1:$IMAP_PORT/INBOX;MAILINDEX=$i" -u "$who" |
      grep -E '^(From|To|Subject|In-Reply-To|Auto-Submitted):' | sed 's/^/  /'
    # The body is quoted-printable; show it decoded.
    curl -sS --url "imap://127.0.0.1:$IMAP_PORT/INBOX;MAILINDEX=$i" -u "$who" |
      python3 -c 'import email,sys; m=email.message_from_bytes(sys.stdin.buffer.read()); print(m.get_payload(decode=True).decode())' |
      sed 's/^/  | /' | head -22
  done
done
echo
echo "  carol's out-of-office reply got no acknowledgement: $(count carol@example.test:carol-pw) message(s) in her mailbox"

first=$("$bin" cases list --json --config "$config" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["reference"])')
handler=$(sqlite3 "$demo/complaintd/complaintd.db" "SELECT handler_address FROM cases WHERE reference = '$first'")
say "Triage routed $first to its service's investigator ($handler's mailbox)"
show_mail() {  # user:password index [lines]
  curl -sS --url "imap://127.0.0.1:$IMAP_PORT/INBOX;MAILINDEX=$2" -u "$1" |
    python3 -c 'import email,email.policy,sys; m=email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
print("  To:      ", m["To"]); print("  Subject: ", m["Subject"]); print()
print("\n".join("  | " + l for l in m.get_content().splitlines()[:int(sys.argv[1])]))' "${3:-14}"
}
# Waits until a mailbox holds more than n messages, then shows the newest.
show_new() {  # user:password n [lines]
  for _ in $(seq 1 40); do [ "$(count "$1")" -gt "$2" ] && break; sleep 0.5; done
  show_mail "$1" "$(count "$1")" "${3:-14}"
}
show_new "$handler:staff-pw" 0

say "The cases (complaintd cases list), and why triage sorted the first as it did"
"$bin" cases list --config "$config"
"$bin" cases show "$first" --config "$config" | sed -n '/Triage/,/^$/p'

second=$(sqlite3 "$demo/complaintd/complaintd.db" "SELECT reference FROM cases WHERE customer_address = 'bob@example.test' LIMIT 1")
manager=$(sqlite3 "$demo/complaintd/complaintd.db" "SELECT handler_address FROM cases WHERE reference = '$second'")
say "$second: its investigator ($manager) replies to the referral from their own mailbox"
# As a mail client would: to the referral's Reply-To (which carries the manager's signed
# token), quoting it, with the commands on the first lines.
n_manager=$(count "$manager:staff-pw")
for _ in $(seq 1 40); do [ "$n_manager" -gt 0 ] && break; sleep 0.5; n_manager=$(count "$manager:staff-pw"); done
rcpt=$(curl -sS --url "imap://127.0.0.1:$IMAP_PORT/INBOX;MAILINDEX=$n_manager" -u "$manager:staff-pw" |
  python3 -c '
import email, email.policy, email.utils, sys
referral = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
reply = email.message.EmailMessage()
reply["From"] = sys.argv[1]
reply["To"] = referral["Reply-To"]
reply["Subject"] = "Re: " + referral["Subject"]
reply["In-Reply-To"] = referral["Message-ID"]
reply["Message-ID"] = email.utils.make_msgid(domain="example.test")
text = ("category service delivery\nrespond\n\nDear Bob,\n\nThe meter on your street was faulty that week, "
        "so we have cancelled your penalty charge.\n")
reply.set_content(text + "\nOn the referral, complaintd wrote:\n" +
                  "\n".join("> " + l for l in referral.get_content().splitlines()))
open(sys.argv[2], "wb").write(reply.as_bytes())
print("  To:      ", reply["To"], file=sys.stderr)
print("  Subject: ", reply["Subject"], file=sys.stderr)
print("\n".join("  | " + l for l in text.splitlines()), file=sys.stderr)
print(reply["To"].addresses[0].addr_spec)' "$manager" "$demo/reply.eml")
curl -sS --url "smtp://127.0.0.1:$SMTP_PORT" --mail-from "$manager" --mail-rcpt "$rcpt" --upload-file "$demo/reply.eml"
say "Bob receives the response, with how and by when to ask for Stage 2"
show_new bob@example.test:bob-pw 1 30
say "... and the investigator is told what their reply changed"
show_new "$manager:staff-pw" "$n_manager" 8

say "Stopping the daemon with SIGTERM (as systemd would)"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=

# Nobody answers. Move the clock with `complaintd tick --at` (the same code as the daemon's
# timer) to the moments the procedure names, and watch the letters arrive.
db=$demo/complaintd/complaintd.db
due() { sqlite3 "$db" "SELECT d.due_at FROM deadlines d JOIN cases c ON c.id = d.case_id WHERE c.reference = '$first' AND d.kind = '$1' AND d.ordinal = $2"; }
remind=$(due remind 0); holding=$(due holding 0); escalate=$(due escalate 0)

say "$remind: 15 working days on, the investigator is reminded (and the complaints team copied)"
before=$(count "$handler:staff-pw")
"$bin" tick --at "$remind" --config "$config" 2>&1 | sed 's/^/  complaintd | /'
show_new "$handler:staff-pw" "$before"

say "$holding: a working day before the deadline, the customer is told the answer will be late"
customer=$(sqlite3 "$demo/complaintd/complaintd.db" "SELECT customer_address FROM cases WHERE reference = '$first'")
before=$(count "$customer:${customer%@*}-pw")
"$bin" tick --at "$holding" --config "$config" 2>&1 | sed 's/^/  complaintd | /'
show_new "$customer:${customer%@*}-pw" "$before"

say "$escalate: the deadline has passed, so the Head of Service is told"
before=$(count alex.morgan@example.test:staff-pw)
"$bin" tick --at "$escalate" --config "$config" 2>&1 | sed 's/^/  complaintd | /'
show_new alex.morgan@example.test:staff-pw "$before"

# A response is late once its deadline has passed; the escalation fires at the deadline itself.
after=$(date -u -d "@$(( $(date -u -d "$escalate" +%s) + 86400 ))" +%FT%TZ)
say "The coordinator's report as it stood a day later, at $after (complaintd report --at): the first case is overdue"
"$bin" report --from "$(date -u -d '-1 day' +%F)" --to "$(date -u -d '+1 day' +%F)" --at "$after" --config "$config"

say "One case's timeline (complaintd cases show $first)"
"$bin" cases show "$first" --config "$config"

if [ "${KEEP:-0}" = 1 ]; then
  say "Left running for you: servers in $demo (stop: scripts/mail-servers.sh stop $demo)"
  echo "  config: $config"
  echo "  try:    $bin cases list --config $config"
fi
say "Demo finished"
