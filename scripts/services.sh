#!/usr/bin/env bash
# Starts PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) for the tests and
# the demo when they are not already answering. Uses the machine's own servers.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do "$check" && return 0; sleep 0.5; done
  echo "services: $what did not start" >&2
  return 1
}

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then echo "services: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; fi
  echo "services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_for PostgreSQL pg_up
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" postgres | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test" postgres

if ! redis_up; then
  if ! command -v redis-server >/dev/null; then echo "services: Redis is not installed (apt-get install redis-server)" >&2; exit 1; fi
  echo "services: starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi
echo "services: PostgreSQL and Redis are up" >&2
