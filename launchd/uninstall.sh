#!/bin/bash
# Removes the PrivateVlm LaunchAgent without the `privatevlm service uninstall` verb, doing exactly what it does:
#   launchd/uninstall.sh [--keep-app] [--purge-data] [--dry-run]
# The database and logs are kept unless --purge-data; the watched photos are never touched. See launchd/README.md.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"

KEEP_APP=0 PURGE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--keep-app) KEEP_APP=1; shift ;;
	--purge-data) PURGE=1; shift ;;
	--dry-run) DRY_RUN=1; shift ;;
	-h | --help) sed -n '2,4p' "$0"; exit 0 ;;
	*) die "Unknown argument: $1 (see --help)" ;;
	esac
done
check_platform uninstall

# Act on what the installed plist says, so a custom --prefix or --db needs no repeating.
APPHOST=$(installed_argument "")
DB=$(installed_argument --db)
if [ -n "$APPHOST" ]; then APP_DIR=$(dirname "$APPHOST"); else APP_DIR="$DATA_DIR/app"; fi
[ -n "$DB" ] || DB="$DATA_DIR/privatevlm.db"

remove_file() {
	[ -f "$1" ] || return 0
	printf '# remove file: %s\n' "$1"
	[ "$DRY_RUN" = 1 ] || rm -f "$1"
}

remove_dir() {
	[ -d "$1" ] || return 0
	printf '# remove directory: %s\n' "$1"
	[ "$DRY_RUN" = 1 ] || rm -rf "$1"
}

run launchctl bootout "$TARGET" || true
remove_file "$PLIST"
if [ "$KEEP_APP" != 1 ] && [ -d "$APP_DIR" ]; then
	if [ -f "$APP_DIR/$MARKER" ]; then
		remove_dir "$APP_DIR"
	else
		printf '# keep %s: not created by privatevlm service install\n' "$APP_DIR"
	fi
fi
if [ "$PURGE" = 1 ]; then
	for suffix in "" -wal -shm -journal; do
		remove_file "$DB$suffix"
	done
	remove_dir "$LOG_DIR"
fi
