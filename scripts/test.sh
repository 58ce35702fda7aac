#!/usr/bin/env bash
# The whole test suite (README: `npm test`). Makes sure the real services the tests use
# are there — MariaDB (started if it is down) and the project's S3 test server (OpenStack
# Swift's S3 API, started here and stopped again if this script started it) — then runs
# Jest on both backends. Extra arguments go to Jest (e.g. `npm test -- test/ops`).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

# --- MariaDB ------------------------------------------------------------------
export WHARF_TEST_MYSQL_URL=${WHARF_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
mysql_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
if ! mysql_up; then
  if [[ -x /usr/sbin/mariadbd ]] && command -v start-stop-daemon >/dev/null; then
    log "MariaDB is not running; starting it"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 100); do mysql_up && break; sleep 0.2; done
  fi
  mysql_up || { log "MariaDB is not reachable on 127.0.0.1:3306"; [[ ${CI:-} == true ]] && exit 1; unset WHARF_TEST_MYSQL_URL; }
fi

# --- S3 test server -----------------------------------------------------------
export S3_PORT=${WHARF_TEST_S3_PORT:-9000}
started_s3=0
if ! (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then started_s3=1; fi
if exports=$(bash scripts/s3-test-server/start.sh); then
  eval "$exports"
  export WHARF_TEST_S3_ENDPOINT=$S3_ENDPOINT WHARF_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY \
    WHARF_TEST_S3_SECRET_KEY=$S3_SECRET_KEY WHARF_TEST_S3_REGION=$S3_REGION
else
  log "could not start the S3 test server; the MySQL + S3 suites will be skipped"
  [[ ${CI:-} == true ]] && exit 1
  started_s3=0
fi
cleanup() { if ((started_s3)); then bash scripts/s3-test-server/stop.sh >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

# Build first: the server-process tests run dist/ as operators do. Two workers: two cores.
npm run -s build >/dev/null
npx jest --maxWorkers=2 "$@"
