#!/usr/bin/env bash
# Private Dovecot 2.3 + Postfix 3.7 on 127.0.0.1 for complaintd's demo and integration tests.
#
#   scripts/mail-servers.sh start    DIR [--base-port N]   (default base port 10100)
#   scripts/mail-servers.sh add-user DIR user@example.test PASSWORD [user2@... PASSWORD2 ...]
#   scripts/mail-servers.sh stop     DIR
#   scripts/mail-servers.sh status   DIR
#
# Ports: LMTP = base+24, SMTP = base+25, IMAP = base+43, IMAPS = base+93 (self-signed).
# Everything (config, TLS key, queue, Maildirs, logs, PID files) lives under DIR; nothing is
# started through systemd, nothing listens beyond 127.0.0.1, and no mail can leave the machine.
# Mail from any sender to a listed user@example.test (also user+tag@) submitted on the SMTP
# port lands in that user's INBOX; unknown recipients are rejected with 550.
# After start, DIR/servers.env holds KEY=VALUE lines (shell-sourceable, no quoting needed).
# Needs root (Postfix's master and Dovecot's master both start as root and drop privileges).
#
# Exit status: 0 ok, 1 error, 2 usage, 75 a port is already in use (callers may retry with
# another base port).
set -euo pipefail

readonly DOMAIN=example.test
readonly MAIL_UID=8 MAIL_GID=8           # Debian's `mail` account
readonly READY_TIMEOUT=20                 # seconds to wait for the listeners
readonly STOP_TIMEOUT=10                  # seconds to wait for a master to exit
readonly EX_PORT_IN_USE=75

prog=$(basename "$0")
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# --- paths -------------------------------------------------------------------------------

set_paths() {
  local d=$1
  case "$d" in /*) ;; *) d="$PWD/$d" ;; esac
  d=$(realpath -m -- "$d")
  # servers.env and both servers' config files must not need quoting.
  [[ "$d" =~ ^[A-Za-z0-9._/+-]+$ ]] ||
    die "DIR must consist of [A-Za-z0-9._/+-] only (got '$d')"
  # Dovecot's UNIX sockets live under DIR/run/dovecot; sun_path is limited to 108 bytes.
  (( ${#d} <= 60 )) || die "DIR path too long for Dovecot's UNIX sockets (max 60 chars): $d"
  DIR=$d
  ETC=$DIR/etc
  PFCONF=$ETC/postfix
  DVCONF=$ETC/dovecot/dovecot.conf
  USERS=$ETC/dovecot/users
  VMAILBOX=$PFCONF/vmailbox
  SPOOL=$DIR/spool/postfix
  PFDATA=$DIR/lib/postfix
  LOG=$DIR/log
  SSL=$DIR/ssl
  MAILROOT=$DIR/mail
  DV_BASE=$DIR/run/dovecot
  DV_PIDFILE=$DV_BASE/master.pid
  PF_PIDFILE=$SPOOL/pid/master.pid
  ENVFILE=$DIR/servers.env
}

# --- process helpers ---------------------------------------------------------------------

# pid_of FILE COMM PROCFILE TEXT: the PID in FILE if that process is alive, its command name
# is COMM and /proc/PID/PROCFILE contains TEXT (so a recycled PID is never taken for ours).
pid_of() {
  local file=$1 comm=$2 procfile=$3 text=$4 pid
  [ -r "$file" ] || return 1
  pid=$(awk 'NR == 1 { print $1 }' "$file" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
  is_zombie "$pid" && return 1
  tr '\0' '\n' <"/proc/$pid/$procfile" 2>/dev/null | grep -q -x -F -e "$text" || return 1
  echo "$pid"
}
# A zombie has exited; it stays in the process table until its parent reaps it, and masters
# that daemonized are reparented to PID 1 (which, in some containers, never reaps).
is_zombie() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
dovecot_pid() { pid_of "$DV_PIDFILE" dovecot cmdline "$DVCONF"; }
postfix_pid() { pid_of "$PF_PIDFILE" master environ "MAIL_CONFIG=$PFCONF"; }

# wait_gone PID SECONDS: 0 once the process has exited, 1 on timeout.
wait_gone() {
  local pid=$1 deadline=$(( $(date +%s%N) / 1000000 + $2 * 1000 ))
  while kill -0 "$pid" 2>/dev/null; do
    is_zombie "$pid" && return 0
    (( $(date +%s%N) / 1000000 < deadline )) || return 1
    sleep 0.05
  done
  return 0
}

# ports_free PORT...: 0 if every 127.0.0.1:PORT can be bound (SO_REUSEADDR, as the servers
# do), else prints the first busy port and returns 1.
ports_free() {
  local py
  py=$(command -v /usr/bin/python3 python3 2>/dev/null | head -n 1) || py=""
  if [ -n "$py" ]; then
    "$py" -I -S - "$@" <<'EOF'
import socket, sys
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(port)))
    except OSError:
        print(port)
        sys.exit(1)
    finally:
        s.close()
EOF
  else
    # Fallback without Python: only detects listeners.
    local p
    for p in "$@"; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 1; fi
    done
  fi
}

# greeting PORT PATTERN: 0 if a connection to 127.0.0.1:PORT greets with PATTERN.
greeting() {
  local port=$1 pattern=$2 line="" fd
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  IFS= read -r -t 5 line <&"$fd" || true
  case "$pattern" in
    220*) printf 'QUIT\r\n' 1>&"$fd" 2>/dev/null || true ;;
    *) printf 'a LOGOUT\r\n' 1>&"$fd" 2>/dev/null || true ;;
  esac
  exec {fd}>&-
  [[ "$line" == "$pattern"* ]]
}

# smtp_rcpt_ok ADDR: 0 if Postfix accepts ADDR as a recipient (used after add-user's reload).
smtp_rcpt_ok() {
  local addr=$1 fd line code=""
  { exec {fd}<>"/dev/tcp/127.0.0.1/$SMTP_PORT"; } 2>/dev/null || return 1
  read_reply() {
    code=""
    while IFS= read -r -t 5 line <&"$fd"; do
      line=${line%$'\r'}
      code=${line:0:3}
      [ "${line:3:1}" = "-" ] || return 0
    done
    return 1
  }
  local ok=1
  if read_reply && [ "$code" = 220 ] &&
     printf 'EHLO mail-servers.sh\r\n' >&"$fd" && read_reply && [ "$code" = 250 ] &&
     printf 'MAIL FROM:<>\r\n' >&"$fd" && read_reply && [ "$code" = 250 ] &&
     printf 'RCPT TO:<%s>\r\n' "$addr" >&"$fd" && read_reply; then
    [ "$code" = 250 ] && ok=0
  fi
  printf 'QUIT\r\n' 1>&"$fd" 2>/dev/null || true
  exec {fd}>&-
  return $ok
}

load_env() {
  [ -r "$ENVFILE" ] || return 1
  local k v
  while IFS='=' read -r k v; do
    case "$k" in
      IMAP_PORT|IMAPS_PORT|SMTP_PORT|LMTP_PORT|BASE_PORT) printf -v "$k" '%s' "$v" ;;
    esac
  done <"$ENVFILE"
}

# lock_dir: serializes start and stop on one DIR (e.g. a stop issued while a start is still
# running waits for it, then stops what it started). Daemons must not inherit the lock's fd.
lock_dir() {
  exec {DIRLOCK}>"$DIR/.mail-servers.lock"
  flock -w 120 "$DIRLOCK" || die "timed out waiting for another $prog on $DIR"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# MAIL_SERVERS_TIMING=1 prints how long each start-up stage took.
stage() {
  [ "${MAIL_SERVERS_TIMING:-0}" = 1 ] || return 0
  echo "  [$(( $(now_ms) - t0 )) ms] $*" >&2
}

# --- configuration -----------------------------------------------------------------------

write_dovecot_conf() {
  local dh=""
  [ -r /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  cat >"$DVCONF.tmp" <<EOF
# Generated by scripts/mail-servers.sh; private test instance, loopback only.
instance_name = complaintd-$BASE_PORT
hostname = mail.$DOMAIN
base_dir = $DV_BASE
state_dir = $DIR/lib/dovecot
log_path = $LOG/dovecot.log
info_log_path = $LOG/dovecot.log
debug_log_path = $LOG/dovecot.log

listen = 127.0.0.1
protocols = imap lmtp
shutdown_clients = yes

ssl = yes
ssl_cert = <$SSL/cert.pem
ssl_key = <$SSL/key.pem
$dh

disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $USERS
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $USERS
}

first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
mail_location = maildir:~
mail_fsync = never
mail_save_crlf = yes
mail_plugins =
default_vsz_limit = 1G
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
postmaster_address = postmaster@$DOMAIN

namespace inbox {
  inbox = yes
  separator = .
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

protocol imap {
  mail_max_userip_connections = 100
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
EOF
  mv -f "$DVCONF.tmp" "$DVCONF"
}

# Postfix re-reads a configuration or texthash file every 300 ms until its mtime is in the
# past (it fears a half-written file): a freshly written main.cf costs every postfix command
# ~2 s. Files are written atomically here, so age them.
backdate() { touch -c -d "@$(( $(date +%s) - 10 ))" "$@"; }

write_postfix_conf() {
  cat >"$PFCONF/main.cf.tmp" <<EOF
# Generated by scripts/mail-servers.sh; private test instance, loopback only.
compatibility_level = 3.6
config_directory = $PFCONF
queue_directory = $SPOOL
data_directory = $PFDATA
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-$BASE_PORT
maillog_file = $LOG/postfix.log
maillog_file_prefixes = /var, $LOG

myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP complaintd-test
biff = no
append_dot_mydomain = no
readme_directory = no
alias_maps =
alias_database =
local_recipient_maps =

# Deliver example.test into Dovecot over LMTP; user+tag@ is user's INBOX.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$VMAILBOX
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
virtual_alias_maps =
recipient_delimiter = +

# Nothing may leave the machine.
default_transport = error:no outside mail from this test instance
relay_transport = error:no outside mail from this test instance
local_transport = error:no local delivery in this test instance
relay_domains =
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_peername_lookup = no

# Keep submitted messages as they are (no From/Date/Message-ID added for 127.0.0.1).
local_header_rewrite_clients =

# Big messages (50 MB attachments are ~69 MB once base64-encoded).
message_size_limit = 157286400
mailbox_size_limit = 0
virtual_mailbox_limit = 0

# Retry quickly if Dovecot is briefly unavailable.
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
EOF
  mv -f "$PFCONF/main.cf.tmp" "$PFCONF/main.cf"

  cat >"$PFCONF/master.cf.tmp" <<EOF
# Generated by scripts/mail-servers.sh. No chroot; SMTP on 127.0.0.1 only.
# service              type  private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT   inet  n       -      n      -      -       smtpd
pickup                 unix  n       -      n      60     1       pickup
cleanup                unix  n       -      n      -      0       cleanup
qmgr                   unix  n       -      n      300    1       qmgr
rewrite                unix  -       -      n      -      -       trivial-rewrite
bounce                 unix  -       -      n      -      0       bounce
defer                  unix  -       -      n      -      0       bounce
trace                  unix  -       -      n      -      0       bounce
verify                 unix  -       -      n      -      1       verify
flush                  unix  n       -      n      1000?  0       flush
proxymap               unix  -       -      n      -      -       proxymap
proxywrite             unix  -       -      n      -      1       proxymap
smtp                   unix  -       -      n      -      -       smtp
relay                  unix  -       -      n      -      -       smtp
showq                  unix  n       -      n      -      -       showq
error                  unix  -       -      n      -      -       error
retry                  unix  -       -      n      -      -       error
discard                unix  -       -      n      -      -       discard
lmtp                   unix  -       -      n      -      -       lmtp
anvil                  unix  -       -      n      -      1       anvil
scache                 unix  -       -      n      -      1       scache
postlog                unix-dgram n  -      n      -      1       postlogd
EOF
  mv -f "$PFCONF/master.cf.tmp" "$PFCONF/master.cf"
  backdate "$PFCONF/main.cf" "$PFCONF/master.cf" "$VMAILBOX"
}

make_cert() {
  [ -s "$SSL/cert.pem" ] && [ -s "$SSL/key.pem" ] && return 0
  install -d -m 0755 "$SSL"
  openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$SSL/key.pem" -out "$SSL/cert.pem" -days 3650 \
    -subj "/CN=mail.$DOMAIN" \
    -addext "subjectAltName=DNS:mail.$DOMAIN,DNS:localhost,IP:127.0.0.1" \
    >"$LOG/openssl.log" 2>&1 || { cat "$LOG/openssl.log" >&2; die "openssl failed"; }
  chmod 0600 "$SSL/key.pem"
  chmod 0644 "$SSL/cert.pem"
}

# Directories and user tables (kept across restarts).
make_dirs() {
  install -d -m 0755 "$DIR"
  chmod 0755 "$DIR"
  install -d -m 0755 "$ETC" "$ETC/dovecot" "$PFCONF" "$LOG" "$DIR/run" "$DIR/lib"
  install -d -m 0755 -o root -g root "$DIR/spool" "$SPOOL"
  install -d -m 0700 -o postfix -g postfix "$PFDATA"
  install -d -m 0755 -o "$MAIL_UID" -g "$MAIL_GID" "$MAILROOT"
  [ -e "$USERS" ] || install -m 0640 -o root -g dovecot /dev/null "$USERS"
  [ -e "$VMAILBOX" ] || { install -m 0644 /dev/null "$VMAILBOX"; backdate "$VMAILBOX"; }
}

check_searchable() {
  # Dovecot's LMTP and IMAP processes run as uid 8 and must reach DIR/mail.
  if command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid="$MAIL_UID" --regid="$MAIL_GID" --clear-groups \
      test -x "$MAILROOT" -a -w "$MAILROOT" ||
      die "$MAILROOT is not reachable by the mail user (uid $MAIL_UID): every parent of DIR must be searchable (mode o+x)"
  fi
}

# --- commands ----------------------------------------------------------------------------

cmd_start() {
  local base=10100
  [ $# -ge 1 ] || usage
  set_paths "$1"; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --base-port) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
      --base-port=*) base=${1#*=}; shift ;;
      *) usage ;;
    esac
  done
  if ! [[ "$base" =~ ^[0-9]+$ ]] || (( base < 1024 || base + 93 > 65535 )); then
    die "--base-port must be a number in 1024..65442 (got '$base')"
  fi
  [ "$(id -u)" -eq 0 ] || die "must run as root (Postfix and Dovecot masters start as root)"
  command -v dovecot >/dev/null || die "dovecot not installed (run scripts/setup.sh)"
  command -v postfix >/dev/null || die "postfix not installed (run scripts/setup.sh)"

  BASE_PORT=$base
  LMTP_PORT=$(( base + 24 )); SMTP_PORT=$(( base + 25 ))
  IMAP_PORT=$(( base + 43 )); IMAPS_PORT=$(( base + 93 ))

  local t0; t0=$(now_ms)
  install -d -m 0755 "$DIR"
  lock_dir
  if dovecot_pid >/dev/null || postfix_pid >/dev/null; then
    die "servers already running for $DIR (run: $prog stop $DIR)"
  fi
  local busy
  busy=$(ports_free "$LMTP_PORT" "$SMTP_PORT" "$IMAP_PORT" "$IMAPS_PORT") || {
    echo "$prog: port 127.0.0.1:$busy is already in use (base port $base); choose another --base-port" >&2
    exit $EX_PORT_IN_USE
  }
  stage "ports checked"

  make_dirs
  check_searchable
  rm -f "$ENVFILE"
  make_cert
  stage "dirs, cert"
  write_dovecot_conf
  write_postfix_conf

  # Postfix: full check first, then start without repeating it (quick-start skips the check).
  postfix -c "$PFCONF" check >>"$LOG/postfix-check.log" 2>&1 || {
    cat "$LOG/postfix-check.log" >&2; die "postfix check failed (see $LOG/postfix-check.log)"
  }
  stage "postfix check"

  # Logs are kept across restarts: look only at what this start adds.
  local dv_off pf_off
  dv_off=$(( $(stat -c %s "$LOG/dovecot.log" 2>/dev/null || echo 0) + 1 ))
  pf_off=$(( $(stat -c %s "$LOG/postfix.log" 2>/dev/null || echo 0) + 1 ))
  : >"$LOG/dovecot-start.log"

  # Dovecot binds its listeners before it daemonizes. Redirect all of its stdio, or its master
  # keeps the caller's pipes open.
  if ! dovecot -c "$DVCONF" </dev/null >>"$LOG/dovecot-start.log" 2>&1 {DIRLOCK}>&-; then
    if { cat "$LOG/dovecot-start.log"; tail -c "+$dv_off" "$LOG/dovecot.log"; } 2>/dev/null |
         grep -q 'Address already in use'; then
      echo "$prog: a Dovecot port (base $base) is already in use; choose another --base-port" >&2
      exit $EX_PORT_IN_USE
    fi
    tail -n 20 "$LOG/dovecot-start.log" "$LOG/dovecot.log" >&2 2>/dev/null || true
    die "dovecot failed to start (see $LOG/dovecot.log)"
  fi

  stage "dovecot started"
  touch "$SPOOL/quick-start"
  if ! postfix -c "$PFCONF" start </dev/null >>"$LOG/postfix-start.log" 2>&1 {DIRLOCK}>&-; then
    local pf_busy=0
    tail -c "+$pf_off" "$LOG/postfix.log" 2>/dev/null | grep -q 'Address already in use' &&
      pf_busy=1
    tail -n 20 "$LOG/postfix-start.log" "$LOG/postfix.log" >&2 2>/dev/null || true
    cmd_stop_quiet
    if [ "$pf_busy" = 1 ]; then
      echo "$prog: SMTP port $SMTP_PORT is already in use; choose another --base-port" >&2
      exit $EX_PORT_IN_USE
    fi
    die "postfix failed to start (see $LOG/postfix.log)"
  fi

  stage "postfix started"
  # Wait (bounded) until IMAP and SMTP greet.
  local deadline=$(( $(now_ms) + READY_TIMEOUT * 1000 )) imap_ok=0 smtp_ok=0
  while :; do
    [ "$imap_ok" = 1 ] || { greeting "$IMAP_PORT" '* OK' && imap_ok=1; } || true
    [ "$smtp_ok" = 1 ] || { greeting "$SMTP_PORT" '220' && smtp_ok=1; } || true
    [ "$imap_ok$smtp_ok" = 11 ] && break
    if (( $(now_ms) > deadline )); then
      tail -n 20 "$LOG/dovecot.log" "$LOG/postfix.log" >&2 2>/dev/null || true
      cmd_stop_quiet
      die "servers not ready after ${READY_TIMEOUT}s (imap=$imap_ok smtp=$smtp_ok)"
    fi
    sleep 0.05
  done

  stage "greetings seen"
  local dpid ppid
  if ! dpid=$(dovecot_pid) || ! ppid=$(postfix_pid); then
    cmd_stop_quiet
    die "a server exited right after start (see $LOG/dovecot.log and $LOG/postfix.log)"
  fi
  cat >"$ENVFILE.tmp" <<EOF
DIR=$DIR
BASE_PORT=$BASE_PORT
IMAP_PORT=$IMAP_PORT
IMAPS_PORT=$IMAPS_PORT
SMTP_PORT=$SMTP_PORT
LMTP_PORT=$LMTP_PORT
DOVECOT_PID=$dpid
POSTFIX_PID=$ppid
DOMAIN=$DOMAIN
HOST=127.0.0.1
CERT=$SSL/cert.pem
EOF
  mv -f "$ENVFILE.tmp" "$ENVFILE"
  echo "mail-servers: up in $(( $(now_ms) - t0 )) ms: IMAP 127.0.0.1:$IMAP_PORT IMAPS :$IMAPS_PORT SMTP :$SMTP_PORT LMTP :$LMTP_PORT (dovecot $dpid, postfix $ppid) dir $DIR"
}

# add_one_user ADDR PASSWORD: updates both tables; sets new_recipient=1 if Postfix must reload.
add_one_user() {
  local addr=${1,,} pass=$2 user dom
  [[ "$addr" =~ ^([a-z0-9._-]+)@([a-z0-9.-]+)$ ]] || die "bad address '$1' (want user@$DOMAIN)"
  user=${BASH_REMATCH[1]}; dom=${BASH_REMATCH[2]}
  [ "$dom" = "$DOMAIN" ] || die "only @$DOMAIN users are delivered (got '$1')"
  [[ "$pass" != *:* && "$pass" != *$'\n'* && -n "$pass" ]] ||
    die "password must be non-empty without ':' or newlines"

  local line="$addr:{PLAIN}$pass:$MAIL_UID:$MAIL_GID::$MAILROOT/$dom/$user::"
  if ! grep -q -x -F -e "$line" "$USERS"; then
    # Dovecot re-reads a passwd-file whose size or mtime (seconds) changed: make sure one does.
    local old_mtime; old_mtime=$(stat -c %Y "$USERS")
    awk -F: -v a="$addr" '$1 != a && NF > 0' "$USERS" >"$USERS.tmp"
    printf '%s\n' "$line" >>"$USERS.tmp"
    chown root:dovecot "$USERS.tmp"; chmod 0640 "$USERS.tmp"
    mv -f "$USERS.tmp" "$USERS"
    if [ "$(stat -c %Y "$USERS")" -le "$old_mtime" ]; then
      touch -d "@$(( old_mtime + 1 ))" "$USERS"
    fi
  fi
  if ! grep -q -x -F -e "$addr OK" "$VMAILBOX"; then
    new_recipient=1
    cat "$VMAILBOX" >"$VMAILBOX.tmp"; printf '%s OK\n' "$addr" >>"$VMAILBOX.tmp"
    chmod 0644 "$VMAILBOX.tmp"
    backdate "$VMAILBOX.tmp"
    mv -f "$VMAILBOX.tmp" "$VMAILBOX"
  fi
  added+=("$addr")
}

cmd_add_user() {
  if [ $# -lt 3 ] || [ $(( ($# - 1) % 2 )) -ne 0 ]; then usage; fi
  set_paths "$1"; shift
  if [ ! -e "$USERS" ] || [ ! -e "$VMAILBOX" ]; then make_dirs; fi
  local lock new_recipient=0 added=()
  exec {lock}>"$ETC/.users.lock"
  flock "$lock"
  while [ $# -gt 0 ]; do
    add_one_user "$1" "$2"
    shift 2
  done

  if [ "$new_recipient" = 1 ] && postfix_pid >/dev/null && load_env; then
    # texthash maps are read when a daemon starts: make Postfix restart its daemons, then wait
    # (bounded) until smtpd accepts the new recipients, so callers can send right away.
    postfix -c "$PFCONF" reload >>"$LOG/postfix-reload.log" 2>&1 || die "postfix reload failed"
    local deadline=$(( $(now_ms) + 10000 ))
    until smtp_rcpt_ok "${added[-1]}"; do
      (( $(now_ms) < deadline )) || die "postfix still rejects ${added[-1]} after reload"
      sleep 0.1
    done
  fi
  echo "mail-servers: user(s) ready: ${added[*]}"
}

# finish_stop NAME PID: wait (bounded) for a master sent SIGTERM, then SIGKILL its process group.
finish_stop() {
  local name=$1 pid=$2
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    echo "$prog: $name (pid $pid) did not exit in ${STOP_TIMEOUT}s, killing it" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || die "$name (pid $pid) survived SIGKILL"
  fi
}

# pgid PID: the process group of PID.
pgid() { awk '{ print $5 }' "/proc/$1/stat" 2>/dev/null; }

# Stops both masters (whichever run) in parallel.
# - Postfix: `postfix -c DIR/etc/postfix stop` is a SIGTERM to the master (which then TERMs its
#   process group) plus a loop that sleeps whole seconds; we send the same SIGTERM and poll
#   every 50 ms instead (stop: ~50 ms instead of ~1 s).
# - Dovecot: a SIGTERM to its master alone takes ~1.2 s (it waits for its children); SIGTERM to
#   its whole process group (it is a session leader after daemonizing) takes ~40 ms.
cmd_stop_quiet() {
  local ppid dpid
  ppid=$(postfix_pid) || ppid=""
  dpid=$(dovecot_pid) || dpid=""
  if [ -n "$ppid" ]; then kill -TERM "$ppid" 2>/dev/null || true; fi
  if [ -n "$dpid" ]; then
    if [ "$(pgid "$dpid")" = "$dpid" ]; then
      kill -TERM -- "-$dpid" 2>/dev/null || true
    else
      kill -TERM "$dpid" 2>/dev/null || true
    fi
  fi
  if [ -n "$ppid" ]; then finish_stop postfix "$ppid"; fi
  if [ -n "$dpid" ]; then finish_stop dovecot "$dpid"; fi
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  set_paths "$1"
  local t0; t0=$(now_ms)
  if [ ! -d "$DIR" ]; then echo "mail-servers: $DIR does not exist, nothing to stop"; return 0; fi
  lock_dir
  cmd_stop_quiet
  echo "mail-servers: stopped in $(( $(now_ms) - t0 )) ms ($DIR)"
}

cmd_status() {
  [ $# -eq 1 ] || usage
  set_paths "$1"
  local d p rc=0
  if d=$(dovecot_pid); then echo "dovecot: running (pid $d)"; else echo "dovecot: stopped"; rc=3; fi
  if p=$(postfix_pid); then echo "postfix: running (pid $p)"; else echo "postfix: stopped"; rc=3; fi
  if load_env; then
    echo "ports: IMAP $IMAP_PORT IMAPS $IMAPS_PORT SMTP $SMTP_PORT LMTP $LMTP_PORT"
  fi
  if [ -r "$USERS" ]; then
    echo "users: $(cut -d: -f1 "$USERS" | paste -sd' ')"
  fi
  return $rc
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case "$cmd" in
  start) cmd_start "$@" ;;
  add-user) cmd_add_user "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
