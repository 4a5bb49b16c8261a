#!/usr/bin/env bash
# Installs every Debian 12 package that complaintd's build, tests and demo need.
# Idempotent: safe to run again. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # product libraries
  libcurl4-openssl-dev libboost-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev libcli11-dev libicu-dev libgumbo-dev libre2-dev libsystemd-dev
  libkainjow-mustache-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real mail servers for the demo and integration tests (loopback only)
  dovecot-imapd dovecot-lmtpd postfix curl openssl sqlite3 python3 procps
  # systemd-analyze, to check the unit file (verify, security); systemd-journald, systemd-cat
  # and journalctl for the journal test
  systemd
  # the package test: dpkg-shlibdeps (CPack) and man, to check the man page as lintian does
  dpkg-dev man-db
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not write a system-wide configuration: our instances are private.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections

# Keep apt from starting the distribution's Dovecot and Postfix services.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
