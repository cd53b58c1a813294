#!/usr/bin/env bash
# Make sure what the test suite needs is running: PostgreSQL, Redis and Debian's chromium.
# Starts them when installed but stopped; installs them from Debian's packages when missing and
# running as root; otherwise stops with a message that says how.
# Prints the DATABASE_URL and REDIS_URL to use, as shell assignments, on stdout.
set -euo pipefail

PGHOST=127.0.0.1 PGPORT=5432
DB_ROLE=callboard DB_PASSWORD=callboard
is_root() { [ "$(id -u)" = 0 ]; }
say() { echo "test-services: $*" >&2; }
apt_install() {
  local log=/tmp/callboard-apt.log
  say "installing $* from Debian's packages (log: $log)…"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >"$log" 2>&1; APT_UPDATED=1; fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2; say "installing $* failed"; exit 1
  fi
}

# --- PostgreSQL ---
if [ -z "${DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h $PGHOST -p $PGPORT 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      if is_root; then apt_install postgresql; else
        say "PostgreSQL is not installed. Install it (sudo apt-get install postgresql) or set DATABASE_URL."; exit 1
      fi
    fi
    if ! pg_isready -q -h $PGHOST -p $PGPORT 2>/dev/null; then
      version=$(ls /etc/postgresql | sort -V | tail -1)
      if is_root; then
        say "starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
      else
        say "PostgreSQL is stopped. Start it: sudo pg_ctlcluster $version main start"; exit 1
      fi
    fi
    for _ in $(seq 1 30); do pg_isready -q -h $PGHOST -p $PGPORT && break; sleep 0.5; done
    if ! pg_isready -q -h $PGHOST -p $PGPORT 2>/dev/null; then
      say "PostgreSQL did not start on $PGHOST:$PGPORT; see /var/log/postgresql/"; exit 1
    fi
  fi
  # A role of our own with a password works with Debian's default scram auth and with trust.
  # It must be allowed to create databases: pytest-django creates the test database.
  can_create=$(PGPASSWORD=$DB_PASSWORD psql -h $PGHOST -p $PGPORT -U $DB_ROLE -d postgres -tAc \
    'select rolcreatedb from pg_roles where rolname = current_user' 2>/dev/null || true)
  if [ "$can_create" != t ]; then
    if is_root; then
      say "creating PostgreSQL role $DB_ROLE (or letting it log in and create databases)"
      runuser -u postgres -- psql -q -c "CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >&2 2>/dev/null ||
        runuser -u postgres -- psql -q -c "ALTER ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >&2
    else
      if [ -z "$can_create" ]; then say "Cannot log in to PostgreSQL as $DB_ROLE. Create it:"
      else say "PostgreSQL role $DB_ROLE may not create databases (the tests need to). Allow it:"; fi
      say "  sudo -u postgres psql -c \"CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD'\""
      say "or, if the role exists:"
      say "  sudo -u postgres psql -c \"ALTER ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD'\""
      exit 1
    fi
  fi
  DATABASE_URL="postgres://$DB_ROLE:$DB_PASSWORD@$PGHOST:$PGPORT/callboard"
fi

# --- Redis ---
if [ -z "${REDIS_URL:-}" ]; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    if ! command -v redis-server >/dev/null 2>&1; then
      if is_root; then apt_install redis-server; else
        say "Redis is not installed. Install it (sudo apt-get install redis-server) or set REDIS_URL."; exit 1
      fi
    fi
    if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
      say "starting Redis"
      mkdir -p /tmp/callboard-redis
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /tmp/callboard-redis --logfile /tmp/callboard-redis/redis.log >&2
      for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
      if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        say "Redis did not start on 127.0.0.1:6379; see /tmp/callboard-redis/redis.log"; exit 1
      fi
    fi
  fi
  REDIS_URL="redis://127.0.0.1:6379/9"
fi

# --- Chromium for the browser tests (never a downloaded browser) ---
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if is_root; then apt_install chromium; else
    say "Debian's chromium is missing. Install it: sudo apt-get install chromium"; exit 1
  fi
fi

echo "DATABASE_URL=$DATABASE_URL"
echo "REDIS_URL=$REDIS_URL"
