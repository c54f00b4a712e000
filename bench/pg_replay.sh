#!/bin/bash
# How fast one PostgreSQL standby replays WAL: the source of the simulator's default apply capacity.
# Builds a backlog of 1,000,000 single-row 1 KiB inserts on a primary while its standby is stopped, then
# starts the standby and times its replay. Run as a non-root user with PostgreSQL 15 installed:
#   su postgres -c "bash bench/pg_replay.sh"
set -e
B=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"
rm -rf p s
$B/initdb -D p -A trust -U postgres >/dev/null
cat >> p/postgresql.conf <<C
port=5491
listen_addresses='127.0.0.1'
unix_socket_directories='$DIR'
wal_level=replica
max_wal_size=4GB
synchronous_commit=off
C
$B/pg_ctl -D p -w -l p.log start >/dev/null
psql -h 127.0.0.1 -p 5491 -U postgres -c "create table t(id bigserial primary key, v text)" >/dev/null
$B/pg_basebackup -h 127.0.0.1 -p 5491 -U postgres -D s -R -X stream >/dev/null
echo "port=5492" >> s/postgresql.auto.conf
# standby not running: build a WAL backlog of N single-row insert transactions
echo "insert into t(v) values (repeat('x', 1000));" > ins.sql
pgbench -h 127.0.0.1 -p 5491 -U postgres -n -c 4 -j 2 -t 250000 -f ins.sql postgres 2>&1 | grep -E "tps|processed"
target=$(psql -h 127.0.0.1 -p 5491 -U postgres -Atc "select pg_current_wal_lsn()")
start=$(date +%s.%N)
$B/pg_ctl -D s -w -l s.log start >/dev/null
while true; do
  r=$(psql -h 127.0.0.1 -p 5492 -U postgres -Atc "select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '$target') >= 0" 2>/dev/null || echo f)
  [ "$r" = t ] && break
  sleep 0.05
done
end=$(date +%s.%N)
echo "replayed 1000000 transactions in $(echo "$end - $start" | bc) s (incl. standby start)"
$B/pg_ctl -D s -m immediate stop >/dev/null; $B/pg_ctl -D p -m immediate stop >/dev/null
