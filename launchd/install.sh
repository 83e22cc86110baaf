#!/bin/bash
# Installs the PrivateVlm LaunchAgent without the `privatevlm service install` verb, doing exactly what it does:
#   launchd/install.sh --from PUBLISH_DIR --watch DIR [--db PATH] [--process-type Interactive|Standard|Background]
#                      [--prefix APP_DIR] [--shutdown-timeout SECONDS] [--dry-run]
# PUBLISH_DIR is the output of `dotnet publish src/PrivateVlm.Cli -c Release -r osx-arm64 --self-contained`.
# --dry-run prints the commands and the rendered plist instead of running/writing them. See launchd/README.md.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"

FROM="" WATCH="" DB="" PROCESS_TYPE=Interactive PREFIX="" SHUTDOWN=30
while [ $# -gt 0 ]; do
	case "$1" in
	--from) FROM=${2:-}; shift 2 || die "--from needs a value" ;;
	--watch) WATCH=${2:-}; shift 2 || die "--watch needs a value" ;;
	--db) DB=${2:-}; shift 2 || die "--db needs a value" ;;
	--process-type) PROCESS_TYPE=${2:-}; shift 2 || die "--process-type needs a value" ;;
	--prefix) PREFIX=${2:-}; shift 2 || die "--prefix needs a value" ;;
	--shutdown-timeout) SHUTDOWN=${2:-}; shift 2 || die "--shutdown-timeout needs a value" ;;
	--dry-run) DRY_RUN=1; shift ;;
	-h | --help) sed -n '2,6p' "$0"; exit 0 ;;
	*) die "Unknown argument: $1 (see --help)" ;;
	esac
done
check_platform install
[ -n "$FROM" ] || die "--from PUBLISH_DIR is required (the folder dotnet publish wrote)."
[ -n "$WATCH" ] || die "--watch DIR is required."
case "$PROCESS_TYPE" in
Interactive | Standard | Background) ;;
*) die "--process-type must be Interactive, Standard or Background." ;;
esac
case "$SHUTDOWN" in
'' | *[!0-9]* | 0) die "--shutdown-timeout must be a positive number of seconds." ;;
esac

FROM=$(resolve "$FROM" "app source")
WATCH=$(resolve "$WATCH" "watched folder")
[ -d "$WATCH" ] || die "The watched folder $WATCH does not exist (or this user cannot see it)."
if [ -n "$DB" ]; then DB=$(resolve "$DB" database); else DB="$DATA_DIR/privatevlm.db"; fi
[ -d "$DB" ] && die "The database path $DB is a folder; give a file path such as $DB/privatevlm.db."
if [ -n "$PREFIX" ]; then APP_DIR=$(resolve "$PREFIX" "install prefix"); else APP_DIR="$DATA_DIR/app"; fi
APPHOST="$APP_DIR/privatevlm"

# Refuse before anything is stopped or changed (InstallationFiles.CheckApplication).
[ -f "$FROM/privatevlm" ] || die "$FROM holds no 'privatevlm' executable. Publish first (dotnet publish src/PrivateVlm.Cli -c Release -r osx-arm64 --self-contained) and run the published privatevlm, or pass --from <publish folder>."
if [ "$FROM" != "$APP_DIR" ]; then
	case "$APP_DIR/" in "$FROM"/*) die "Cannot install the app into $APP_DIR: it lies inside the folder being copied ($FROM)." ;; esac
	if [ -d "$APP_DIR" ] && [ -n "$(ls -A "$APP_DIR")" ] && [ ! -f "$APP_DIR/$MARKER" ]; then
		die "$APP_DIR is not empty and was not created by privatevlm service install; choose an empty or new folder with --prefix."
	fi
fi

# A loaded job keeps its old plist and binary; unload it first (failing just means it was not loaded).
run launchctl bootout "$TARGET" || true

if [ "$FROM" = "$APP_DIR" ]; then
	printf '# app already in place: %s\n' "$APP_DIR"
else
	printf '# copy app: %s -> %s\n' "$FROM" "$APP_DIR"
	if [ "$DRY_RUN" != 1 ]; then
		rm -rf "$APP_DIR"
		# ditto copies the folder's contents with modes, extended attributes and code signatures intact.
		ditto "$FROM" "$APP_DIR"
		printf 'copied from %s by launchd/install.sh\n' "$FROM" >"$APP_DIR/$MARKER"
	fi
fi

# Logs first (launchd opens StandardOutPath but does not create its folder), each folder once.
created=""
for dir in "$LOG_DIR" "$(dirname "$DB")" "$DATA_DIR" "$(dirname "$PLIST")"; do
	case "$created" in *"|$dir|"*) continue ;; esac
	created="$created|$dir|"
	printf '# create directory: %s\n' "$dir"
	[ "$DRY_RUN" = 1 ] || mkdir -p "$dir"
done

# Render the template the verb embeds: one pass, values taken literally from the environment.
render() {
	PVLM_APPHOST=$(xml_escape "$APPHOST") \
	PVLM_WATCH_FOLDER=$(xml_escape "$WATCH") \
	PVLM_DATABASE=$(xml_escape "$DB") \
	PVLM_THROTTLE_INTERVAL=30 \
	PVLM_EXIT_TIMEOUT=$((SHUTDOWN + 15)) \
	PVLM_SHUTDOWN_TIMEOUT=$SHUTDOWN \
	PVLM_PROCESS_TYPE=$PROCESS_TYPE \
	PVLM_OPEN_FILES=4096 \
	PVLM_SEARCH_PATH=/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	PVLM_WORKING_DIRECTORY=$(xml_escape "$DATA_DIR") \
	PVLM_STDOUT_PATH=$(xml_escape "$LOG_DIR/daemon.out.log") \
	PVLM_STDERR_PATH=$(xml_escape "$LOG_DIR/daemon.err.log") \
	awk '{
		out = ""; rest = $0
		while (match(rest, /@[A-Z_]+@/)) {
			name = "PVLM_" substr(rest, RSTART + 1, RLENGTH - 2)
			if (!(name in ENVIRON)) { print "install.sh: no value for " substr(rest, RSTART, RLENGTH) > "/dev/stderr"; exit 1 }
			out = out substr(rest, 1, RSTART - 1) ENVIRON[name]
			rest = substr(rest, RSTART + RLENGTH)
		}
		print out rest
	}' "$HERE/org.privatevlm.daemon.plist.in"
}

printf '# write file: %s\n' "$PLIST"
if [ "$DRY_RUN" = 1 ]; then
	render
	printf '# end of file\n'
else
	render >"$PLIST.tmp"
	mv -f "$PLIST.tmp" "$PLIST"
fi

# enable first: a disabled job refuses to bootstrap with "5: Input/output error". The same error right after a bootout
# means launchd is still tearing the old job down: retry, bounded. Already loaded: kickstart (no-op when running).
run launchctl enable "$TARGET"
attempt=1
until run launchctl bootstrap "gui/$USER_ID" "$PLIST"; do
	status=$?
	if launchctl print "$TARGET" >/dev/null 2>&1; then
		printf '# already loaded\n'
		run launchctl kickstart "$TARGET"
		break
	fi
	if [ "$status" != 5 ] || [ "$attempt" -ge 5 ]; then
		die "launchctl bootstrap failed ($status). Check the plist with \`plutil -lint $PLIST\` and the disabled list with \`launchctl print-disabled gui/$USER_ID\`."
	fi
	attempt=$((attempt + 1))
	sleep 1
done

case "$WATCH/" in
"$HOME/Desktop/"* | "$HOME/Documents/"* | "$HOME/Downloads/"* | "$HOME/Library/Mobile Documents/"* | "$HOME/Library/CloudStorage/"* | *.photoslibrary/* | /Volumes/*)
	printf 'note: %s is in a folder macOS protects. Under launchd the daemon gets EPERM ("Operation not permitted") there until you add %s in System Settings > Privacy & Security > Full Disk Access. See launchd/README.md.\n' "$WATCH" "$APPHOST"
	;;
esac
