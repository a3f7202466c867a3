#!/bin/sh
# Start a local PostgreSQL server for the register tests (Debian, as root) and print the URL
# the tests take from CARDTOOL_TEST_PG_URL:
#   export CARDTOOL_TEST_PG_URL="$(scripts/start-postgres.sh)"
# Idempotent: a running cluster, an existing role or database is reused. Needs the Debian
# package postgresql (apt-get install postgresql). Progress goes to stderr, only the URL to
# stdout.
#
# The URL names the server's Unix socket directory, not 127.0.0.1: .ci/run may run the tests
# in a private network namespace (scripts/isolated-pcscd.sh) where the host's loopback port is
# out of reach, but the socket file is not.
set -eu
ROLE=${CARDTOOL_PG_ROLE:-cardtool_test}
# A throwaway password for a throwaway database that only local users can reach.
PASSWORD=${CARDTOOL_PG_PASSWORD:-cardtool_test}
DB=${CARDTOOL_PG_DB:-cardtool_test}
SOCKET_DIR=/var/run/postgresql

say() { echo "start-postgres: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "run as root (it starts the server as the postgres user)"; exit 1
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "PostgreSQL is not installed: apt-get install -y postgresql"; exit 1
fi

# The newest installed major version, and its first cluster (Debian creates "main").
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
cluster=$(pg_lsclusters -h | awk -v v="$version" '$1 == v { print $2; exit }')
if [ -z "$cluster" ]; then
  cluster=main
  say "creating cluster $version/$cluster"
  pg_createcluster "$version" "$cluster" >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }' \
    | grep -q online; then
  say "starting cluster $version/$cluster"
  # pg_ctlcluster works without systemd (containers, CI).
  pg_ctlcluster "$version" "$cluster" start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')

i=0
until su postgres -c "pg_isready -q -p $port" ; do
  i=$((i + 1)); [ $i -lt 50 ] || { say "the server did not become ready"; exit 1; }
  sleep 0.2
done

# Debian's pg_hba.conf lets local socket users in by "peer" (the OS user's name); the test
# role logs in by password instead, through a line placed before the default ones.
hba=$(su postgres -c "psql -X -tA -p $port -d postgres -c 'SHOW hba_file'" 2>/dev/null || true)
if [ -z "$hba" ]; then
  hba=/etc/postgresql/$version/$cluster/pg_hba.conf
fi
rule="local all $ROLE scram-sha-256"
if ! grep -qxF "$rule" "$hba"; then
  say "letting $ROLE log in by password over the local socket ($hba)"
  { echo "# cardtool tests (scripts/start-postgres.sh)"; echo "$rule"; cat "$hba"; } > "$hba.new"
  chown --reference="$hba" "$hba.new"; chmod --reference="$hba" "$hba.new"
  mv "$hba.new" "$hba"
  pg_ctlcluster "$version" "$cluster" reload >&2
fi

psql_admin() { su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $port -d postgres $*" ; }

if [ "$(psql_admin "-tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'\"")" != 1 ]; then
  say "creating role $ROLE"
  psql_admin "-c \"CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'\""
fi
if [ "$(psql_admin "-tAc \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"")" != 1 ]; then
  say "creating database $DB"
  psql_admin "-c \"CREATE DATABASE $DB OWNER $ROLE\""
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@/$DB?host=$SOCKET_DIR&port=$port"
