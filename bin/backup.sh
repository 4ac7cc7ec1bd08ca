#!/usr/bin/env bash
# Back up the KAM database to one file (pg_dump custom format: compressed, restorable table by
# table, into a newer PostgreSQL too).
#
#   bin/backup.sh [FILE]        # default: backups/kam-YYYYmmdd-HHMMSS.dump
#
# The database is DATABASE_URL (as for the app). The dump is consistent (one snapshot) while
# the app keeps running; run it from cron or a systemd timer (docs/deploy.md).
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL, e.g. postgres://kam@db.internal:5432/kam}"
file="${1:-backups/kam-$(date -u +%Y%m%d-%H%M%S).dump}"
mkdir -p "$(dirname "$file")"

# Write to a temporary name first: a failed or interrupted dump never looks like a backup.
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"
echo "$file"
