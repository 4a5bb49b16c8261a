#!/usr/bin/env bash
# Fails when a module includes a module it must not depend on (docs/ARCHITECTURE.md):
#   common → config → parser → triage → letters → {outbound, store} → daemon
# and when a pure module includes an I/O library (Asio, curl, SQLite, spdlog).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# module directory (or file glob) : modules it may include
rules=(
  "common:common"
  "config:common config"
  "parser:common parser"
  "triage:common config parser triage"
  "reports:common config triage reports"
  "outbound/letter:common outbound"
  "outbound/smtp_client:common net outbound"
  "net:common net"
  "daemon/store/:common daemon/store"  # the slash: daemon/store_worker.* is the daemon's
)
for rule in "${rules[@]}"; do
  what=${rule%%:*}
  allowed=" ${rule#*:} "
  files=$(ls -d $what* 2>/dev/null | xargs -r -I{} find {} -name '*.hpp' -o -name '*.cpp' -path '*' 2>/dev/null | sort -u)
  [ -n "$files" ] || continue
  while IFS= read -r file; do
    [ -f "$file" ] || continue
    while IFS= read -r inc; do
      mod=$(dirname "$inc")
      case "$inc" in daemon/store/*) mod=daemon/store ;; esac
      if [[ "$allowed" != *" $mod "* ]]; then
        echo "check-deps: $file includes \"$inc\": $what may depend only on:${allowed}" >&2
        status=1
      fi
    done < <(grep -oE '^#include "[^"]+"' "$file" | sed -E 's/#include "(.*)"/\1/')
  done <<< "$files"
done

pure="config parser triage reports outbound/letter.hpp outbound/letter.cpp"
if bad=$(grep -lE '#include\s*[<"](boost/asio|curl/|sqlite3\.h|spdlog/)' -r $pure 2>/dev/null); then
  echo "check-deps: pure modules must not include I/O libraries: $bad" >&2
  status=1
fi
[ $status -eq 0 ] && echo "check-deps: module graph OK"
exit $status
