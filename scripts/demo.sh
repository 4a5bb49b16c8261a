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
scripts/mail-servers.sh add-user "$demo" complaints@example.test complaints-pw \
  alice@example.test alice-pw bob@example.test bob-pw carol@example.test carol-pw

mkdir -p "$demo/complaintd"
cp -r examples/solihull-council/letters "$demo/complaintd/letters"
echo complaints-pw > "$demo/complaintd/imap.password"
chmod 600 "$demo/complaintd/imap.password"
config=$demo/complaintd/complaintd.toml
cat > "$config" <<TOML
# Written by scripts/demo.sh: the council example, pointed at the demo's servers.
[service]
name = "Solihull Council Customer Feedback"
database = "complaintd.db"
timezone = "Europe/London"
letters = "letters"

[[mailbox]]
name = "complaints"
url = "imap://127.0.0.1:$IMAP_PORT"
username = "complaints@example.test"
password_file = "imap.password"
address = "complaints@example.test"
poll_interval = "2s"

[smtp]
url = "smtp://127.0.0.1:$SMTP_PORT"
from = "complaints@example.test"

[[stage]]
name = "Stage 1"
acknowledge_within = "5 working days"
respond_within = "20 working days"
TOML
"$bin" check-config --config "$config"

say "Starting the complaintd daemon (logs below)"
"$bin" run --config "$config" 2>&1 | sed 's/^/  complaintd | /' &
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

say "The cases (complaintd cases list)"
"$bin" cases list --config "$config"
first=$("$bin" cases list --json --config "$config" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["reference"])')
say "One case's timeline (complaintd cases show $first)"
"$bin" cases show "$first" --config "$config"

if [ "${KEEP:-0}" = 1 ]; then
  say "Left running for you: servers in $demo (stop: scripts/mail-servers.sh stop $demo)"
  echo "  config: $config"
  echo "  try:    $bin cases list --config $config"
fi
say "Demo finished"
