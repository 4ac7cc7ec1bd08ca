#!/usr/bin/env bash
# Restore a bin/backup.sh dump into an EMPTY database.
#
#   DATABASE_URL=postgres://.../kam_restored bin/restore.sh FILE
#
# Refuses a database that already has KAM tables (restore into a new database, check it, then
# point the app at it). Create the database first: createdb kam_restored (or CREATE DATABASE).
# After a restore: `manage.py migrate` (a no-op unless the code is newer than the dump).
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
file="${1:?usage: bin/restore.sh FILE}"
test -r "$file" || { echo "cannot read $file" >&2; exit 1; }

tables=$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align --command \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "refusing: the target database already has $tables tables (restore into an empty one)" >&2
  exit 1
fi

# One transaction: a failed restore leaves the database empty, not half restored.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$file"
echo "restored $file"
