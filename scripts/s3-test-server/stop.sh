#!/usr/bin/env bash
# Stops the S3 test server that start.sh started: only the processes whose PIDs
# it recorded in $S3_STATE_DIR/run, and each only while it is still that
# process (a PID may have been reused). Stored objects are kept, so start.sh
# brings them back ("storage went away and came back" tests); --wipe also
# deletes the whole state directory.
#
#   bash scripts/s3-test-server/stop.sh [--wipe]
#
# Settings (environment): S3_PORT (9000), S3_STATE_DIR (/tmp/wharf-s3-$S3_PORT)
set -euo pipefail

S3_PORT=${S3_PORT:-9000}
S3_STATE_DIR=${S3_STATE_DIR:-/tmp/wharf-s3-$S3_PORT}
WIPE=0
case ${1:-} in
  --wipe) WIPE=1 ;;
  '') ;;
  *)
    echo "usage: stop.sh [--wipe]" >&2
    exit 2
    ;;
esac

log() { echo "s3-test-server: $*" >&2; }

# memcached is recognised by its port, which start.sh recorded in `settings`
internal=
[[ -r $S3_STATE_DIR/settings ]] && read -r _ internal _ <"$S3_STATE_DIR/settings"
memcached_port=$((${internal:-0} + 3))

is_ours() {
  local name=$1 pid=$2 cmd
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline)
  if [[ $name == memcached ]]; then
    [[ $cmd == *memcached* && $cmd == *"-p $memcached_port "* ]]
  else
    [[ $cmd == *"$S3_STATE_DIR/etc/$name-server.conf"* ]]
  fi
}

pids=()
names=()
# the proxy first, so no new request reaches a half-stopped backend
for name in proxy object container account memcached; do
  f=$S3_STATE_DIR/run/$name.pid
  [[ -f $f ]] || continue
  pid=$(cat "$f")
  if [[ -n $pid ]] && is_ours "$name" "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$name")
  fi
  rm -f "$f"
done

# Swift servers finish in-flight requests on SIGTERM; allow them 10 s.
for ((i = 0; i < 100; i++)); do
  alive=0
  for pid in "${pids[@]}"; do [[ -d /proc/$pid ]] && alive=1; done
  ((alive)) || break
  sleep 0.1
done
for idx in "${!pids[@]}"; do
  if is_ours "${names[$idx]}" "${pids[$idx]}"; then
    log "${names[$idx]} (${pids[$idx]}) still running after 10 s; killing it"
    kill -KILL "${pids[$idx]}" 2>/dev/null || true
  fi
done

if ((${#pids[@]})); then log "stopped ${names[*]}"; else log "nothing was running (state in $S3_STATE_DIR)"; fi

if ((WIPE)) && [[ -d $S3_STATE_DIR ]]; then
  rm -rf "$S3_STATE_DIR"
  log "deleted $S3_STATE_DIR"
fi
