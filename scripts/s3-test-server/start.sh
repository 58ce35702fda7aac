#!/usr/bin/env bash
# Starts Wharf's S3 test server: OpenStack Swift from Debian's packages with its
# s3api middleware, as one single-replica node on 127.0.0.1 (proxy + account,
# container and object servers, and memcached, which Swift's auth needs). It
# checks SigV4 signatures and takes the minio client's multipart uploads, so the
# S3 blob storage is tested against a real S3 implementation.
#
#   eval "$(bash scripts/s3-test-server/start.sh)"     # from the project root
#   WHARF_TEST_S3_ENDPOINT=$S3_ENDPOINT ... npx jest ...
#   bash scripts/s3-test-server/stop.sh [--wipe]
#
# Idempotent: installs what is missing (apt-get, once, as root), starts what is
# not running, waits until a signed S3 request succeeds, creates $S3_BUCKET if
# asked, then prints `export S3_...` lines on stdout; every log line goes to
# stderr so that `eval` sees only the exports.
#
# Settings (environment):
#   S3_PORT           S3 endpoint port on 127.0.0.1                   (9000)
#   S3_INTERNAL_PORT  first of 4 more loopback ports: account,
#                     container, object server, memcached      (S3_PORT+1)
#   S3_ACCESS_KEY     letters, digits, '.', '-'                      (wharf)
#   S3_SECRET_KEY     non-empty, no spaces or '%'         (wharf-secret-key)
#   S3_REGION         region the server signs for and reports    (us-east-1)
#   S3_BUCKET         bucket to create if missing                     (none)
#   S3_STATE_DIR      etc/ data/ log/ run/          (/tmp/wharf-s3-$S3_PORT)
#   S3_FRESH=1        delete all stored objects and buckets before starting
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's interpreter, where python3-swift lives (a pyenv or venv python3 on
# PATH would not find it).
PY=/usr/bin/python3

S3_PORT=${S3_PORT:-9000}
S3_INTERNAL_PORT=${S3_INTERNAL_PORT:-$((S3_PORT + 1))}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-wharf}
S3_SECRET_KEY=${S3_SECRET_KEY:-wharf-secret-key}
S3_REGION=${S3_REGION:-us-east-1}
S3_BUCKET=${S3_BUCKET:-}
S3_STATE_DIR=${S3_STATE_DIR:-/tmp/wharf-s3-$S3_PORT}
S3_FRESH=${S3_FRESH:-0}

ACCOUNT_PORT=$S3_INTERNAL_PORT
CONTAINER_PORT=$((S3_INTERNAL_PORT + 1))
OBJECT_PORT=$((S3_INTERNAL_PORT + 2))
MEMCACHED_PORT=$((S3_INTERNAL_PORT + 3))
ENDPOINT=http://127.0.0.1:$S3_PORT
# start order: memcached and the storage servers before the proxy that uses them
SERVERS=(memcached account container object proxy)

log() { echo "s3-test-server: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

check_settings() {
  [[ $S3_PORT =~ ^[0-9]+$ && $S3_INTERNAL_PORT =~ ^[0-9]+$ ]] || die "S3_PORT and S3_INTERNAL_PORT must be numbers"
  ((S3_PORT >= 1024 && MEMCACHED_PORT <= 65535)) || die "ports must lie in 1024-65535"
  if ((S3_PORT >= S3_INTERNAL_PORT && S3_PORT <= MEMCACHED_PORT)); then
    die "S3_PORT $S3_PORT falls inside the internal ports $S3_INTERNAL_PORT-$MEMCACHED_PORT"
  fi
  # tempauth's config names users "user_<account>_<user>" and keys them as
  # "<account>:<user>": '_' or ':' in the key would break both.
  [[ $S3_ACCESS_KEY =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || die "S3_ACCESS_KEY may hold only letters, digits, '.' and '-'"
  # tempauth splits its user line on spaces; '%' is paste.deploy's interpolation
  [[ -n $S3_SECRET_KEY && ! $S3_SECRET_KEY =~ [[:space:]%] ]] || die "S3_SECRET_KEY must be non-empty, without spaces or '%'"
  case "$S3_STATE_DIR" in /*) ;; *) die "S3_STATE_DIR must be an absolute path" ;; esac
}

print_exports() {
  printf 'export S3_ENDPOINT=%q\n' "$ENDPOINT"
  printf 'export S3_PORT=%q\n' "$S3_PORT"
  printf 'export S3_ACCESS_KEY=%q\n' "$S3_ACCESS_KEY"
  printf 'export S3_SECRET_KEY=%q\n' "$S3_SECRET_KEY"
  printf 'export S3_REGION=%q\n' "$S3_REGION"
  printf 'export S3_STATE_DIR=%q\n' "$S3_STATE_DIR"
  [[ -z $S3_BUCKET ]] || printf 'export S3_BUCKET=%q\n' "$S3_BUCKET"
}

s3req() {
  S3_ENDPOINT=$ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY S3_REGION=$S3_REGION \
    "$PY" "$HERE/s3-request.py" "$@"
}

# --- packages -------------------------------------------------------------------
install_packages() {
  local need=() pair
  for pair in swift-proxy-server:swift-proxy swift-account-server:swift-account \
    swift-container-server:swift-container swift-object-server:swift-object \
    swift-ring-builder:swift memcached:memcached; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
  done
  [[ -x $PY ]] && "$PY" -c 'import swift.common.middleware.s3api' 2>/dev/null || need+=(python3-swift)
  ((${#need[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "missing Debian packages (${need[*]}); run this once as root to install them"
  log "installing ${need[*]} (apt-get)"
  # The packages' maintainer scripts would start Debian's own swift and
  # memcached services on the default ports; a policy-rc.d answering 101
  # ("action forbidden") keeps them down while installing.
  local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; } || rc=$?
  ((made_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install ${need[*]} failed"
}

# --- processes --------------------------------------------------------------------
pid_of() { cat "$S3_STATE_DIR/run/$1.pid" 2>/dev/null || true; }

# A recorded PID counts only while that process is still the one start.sh
# started: PIDs get reused, and this must never signal someone else's process.
is_ours() {
  local name=$1 pid cmd
  pid=$(pid_of "$name")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline)
  if [[ $name == memcached ]]; then
    [[ $cmd == *memcached* && $cmd == *"-p $MEMCACHED_PORT "* ]]
  else
    [[ $cmd == *"$S3_STATE_DIR/etc/$name-server.conf"* ]]
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# While a server starts, its recorded PID is our own child and may not show the
# server's command line yet: the forked shell has not exec'd, or memcached's
# launcher is between setsid and exec. So during start "exited" means the
# process is gone or a zombie, not that its command line looks foreign.
still_running() {
  local pid state
  pid=$(pid_of "$1")
  [[ -n $pid ]] || return 1
  state=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # the state follows the command name, which is in parentheses and may hold spaces
  state=${state##*) }
  [[ -n $state && ${state%% *} != Z ]]
}

wait_port() {
  local port=$1 name=$2 i
  for ((i = 0; i < 200; i++)); do
    port_busy "$port" && return 0
    still_running "$name" || { tail -n 30 "$S3_STATE_DIR/log/$name.log" >&2 || true; die "$name exited during start"; }
    sleep 0.1
  done
  die "$name did not listen on 127.0.0.1:$port within 20 s (log: $S3_STATE_DIR/log/$name.log)"
}

settings_line() { echo "$S3_PORT $S3_INTERNAL_PORT $S3_ACCESS_KEY $S3_SECRET_KEY $S3_REGION"; }

all_running() {
  local s
  for s in "${SERVERS[@]}"; do is_ours "$s" || return 1; done
  [[ $(cat "$S3_STATE_DIR/settings" 2>/dev/null) == "$(settings_line)" ]]
}

# --- configuration ------------------------------------------------------------------
write_storage_server_conf() {
  local name=$1 port=$2 etc=$S3_STATE_DIR/etc
  cat >"$etc/$name-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
# one process, no forked workers: the recorded PID is the server itself
workers = 0
user = $(id -un)
swift_dir = $etc
devices = $S3_STATE_DIR/data
mount_check = false
disable_fallocate = true
log_level = WARNING
# Swift always also logs to syslog over UDP; keep that on loopback
log_udp_host = 127.0.0.1

[pipeline:main]
pipeline = $name-server

[app:$name-server]
use = egg:swift#$name
CONF
}

write_proxy_conf() {
  local etc=$S3_STATE_DIR/etc
  cat >"$etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $S3_PORT
workers = 0
user = $(id -un)
swift_dir = $etc
# INFO: one access line per S3 request in log/proxy.log
log_level = INFO
log_udp_host = 127.0.0.1

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $S3_REGION
# AWS's limits, so a test that passes here passes on AWS: at most 10000 parts
# of at least 5 MiB each (the last may be smaller)
max_upload_part_num = 10000
min_segment_size = 5242880
dns_compliant_bucket_names = true
# see swift-s3-proxy-server: the plain key stands for tempauth's "key:key"
access_key_aliases = ${S3_ACCESS_KEY}=${S3_ACCESS_KEY}:${S3_ACCESS_KEY}

[filter:tempauth]
use = egg:swift#tempauth
user_${S3_ACCESS_KEY}_${S3_ACCESS_KEY} = $S3_SECRET_KEY .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
CONF
}

# One device, one replica, 2^6 partitions. Placement depends only on the
# partition power, so rings rebuilt for other ports still find the stored data.
write_rings() {
  "$PY" - "$S3_STATE_DIR/etc" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" <<'PYTHON'
import os, sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), sys.argv[2:]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
                     'port': int(port), 'device': 'd1', 'weight': 1.0,
                     'meta': ''})
    builder.rebalance()
    builder.get_ring().save(os.path.join(etc, name + '.ring.gz'))
PYTHON
}

write_configs() {
  mkdir -p "$S3_STATE_DIR/etc" "$S3_STATE_DIR/data/d1" "$S3_STATE_DIR/log" "$S3_STATE_DIR/run"
  write_storage_server_conf account "$ACCOUNT_PORT"
  write_storage_server_conf container "$CONTAINER_PORT"
  write_storage_server_conf object "$OBJECT_PORT"
  # S3 lists an object as soon as its PUT returned: make the object server
  # wait for the container listing update instead of deferring it.
  echo "container_update_timeout = 10" >>"$S3_STATE_DIR/etc/object-server.conf"
  write_proxy_conf
  write_rings
}

start_one() {
  local name=$1 logf=$S3_STATE_DIR/log/$1.log
  echo "--- start $(date -Is)" >>"$logf"
  case $name in
    memcached)
      local as_user=()
      [[ $(id -u) != 0 ]] || as_user=(-u nobody) # memcached refuses to run as root
      # Loopback only, no UDP. Its own session (as the Swift servers make
      # themselves) and no daemonizing, so the recorded PID is memcached itself.
      "$PY" -c 'import os, sys
try:
    os.setsid()
except OSError:
    pass
os.execvp(sys.argv[1], sys.argv[1:])' memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024 "${as_user[@]}" \
        </dev/null >>"$logf" 2>&1 &
      ;;
    proxy)
      "$PY" "$HERE/swift-s3-proxy-server" "$S3_STATE_DIR/etc/proxy-server.conf" -v </dev/null >>"$logf" 2>&1 &
      ;;
    *)
      "/usr/bin/swift-$name-server" "$S3_STATE_DIR/etc/$name-server.conf" -v </dev/null >>"$logf" 2>&1 &
      ;;
  esac
  echo $! >"$S3_STATE_DIR/run/$name.pid"
}

# Ready when a signed request (ListBuckets) succeeds end to end: proxy, auth
# through memcached, account server.
wait_signed_request() {
  local i out
  for ((i = 0; ; i++)); do
    out=$(s3req GET / 2>&1) && return 0
    ((i < 100)) || die "the S3 API does not answer signed requests: $out (log: $S3_STATE_DIR/log/proxy.log)"
    sleep 0.2
  done
}

start_servers() {
  # some of ours may still run (one crashed, or other settings): stop them first
  if compgen -G "$S3_STATE_DIR/run/*.pid" >/dev/null; then
    S3_PORT=$S3_PORT S3_STATE_DIR=$S3_STATE_DIR bash "$HERE/stop.sh" >&2
  fi
  local port s t0 ms
  for port in "$S3_PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" "$MEMCACHED_PORT"; do
    ! port_busy "$port" || die "port $port on 127.0.0.1 is already in use (set S3_PORT / S3_INTERNAL_PORT)"
  done
  if [[ $S3_FRESH == 1 ]]; then
    log "S3_FRESH=1: deleting stored data in $S3_STATE_DIR/data"
    rm -rf "$S3_STATE_DIR/data"
  fi
  t0=$(date +%s%N)
  write_configs
  settings_line >"$S3_STATE_DIR/settings"
  for s in "${SERVERS[@]}"; do start_one "$s"; done
  wait_port "$MEMCACHED_PORT" memcached
  wait_port "$ACCOUNT_PORT" account
  wait_port "$CONTAINER_PORT" container
  wait_port "$OBJECT_PORT" object
  wait_port "$S3_PORT" proxy
  wait_signed_request
  ms=$((($(date +%s%N) - t0) / 1000000))
  log "started at $ENDPOINT in $((ms / 1000)).$((ms % 1000 / 100)) s (state in $S3_STATE_DIR)"
}

ensure_bucket() {
  [[ -n $S3_BUCKET ]] || return 0
  s3req HEAD "/$S3_BUCKET" >/dev/null 2>&1 && return 0
  local out
  out=$(s3req PUT "/$S3_BUCKET" 2>&1) || die "could not create bucket $S3_BUCKET: $out"
  log "created bucket $S3_BUCKET"
}

# --- main -------------------------------------------------------------------------
check_settings
install_packages
# Swift reads its hash-path salt from here in every process
[[ -f /etc/swift/swift.conf ]] || die "/etc/swift/swift.conf is missing (reinstall the Debian swift package)"
if all_running && [[ $S3_FRESH != 1 ]]; then
  log "already running at $ENDPOINT (state in $S3_STATE_DIR)"
else
  start_servers
fi
ensure_bucket
print_exports
