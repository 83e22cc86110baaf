# Shared by install.sh and uninstall.sh. macOS ships bash 3.2: no associative arrays, no ${x,,}, no mapfile.
# The rules mirror src/PrivateVlm/Service (paths, shell quoting, "# ..." lines) so `--dry-run` output of a script and of
# `privatevlm service ... --platform launchd --dry-run` compare equal; tests/PrivateVlm.Tests/Service checks that.

# ASCII ranges in [A-Za-z] and byte-wise sed/awk, whatever the user's locale.
export LC_ALL=C

LABEL=org.privatevlm.daemon
DRY_RUN=0

die() {
	printf '%s\n' "$*" >&2
	exit 1
}

# POSIX shell quoting, the same rule as PrivateVlm.Service.ShellWord.
quote() {
	case "$1" in
	'' | *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}

# Prints the command line; runs it unless --dry-run. Returns the command's status (0 in a dry run).
run() {
	line=""
	for word in "$@"; do
		line="${line:+$line }$(quote "$word")"
	done
	printf '%s\n' "$line"
	[ "$DRY_RUN" = 1 ] && return 0
	"$@"
}

# Absolute, normalised path: ~ expanded, relative paths taken from the current directory, . and .. collapsed
# textually (as .NET's Path.GetFullPath does). launchd expands neither ~ nor $HOME.
resolve() {
	input=$1 what=$2
	[ -n "$input" ] || die "The $what path is empty."
	case "$input" in
	*$'\n'* | *$'\t'* | *$'\r'*) die "'$input' contains a control character, which a property list cannot hold." ;;
	'~') input=$HOME ;;
	'~/'*) input="$HOME/${input#\~/}" ;;
	'~'*) die "The $what path '$input' uses ~user, which is not supported: give an absolute path." ;;
	esac
	case "$input" in
	*'$HOME'* | *'${'*) die "The $what path '$input' contains an unexpanded variable: give an absolute path." ;;
	/*) ;;
	*) input="$PWD/$input" ;;
	esac
	out=""
	old_ifs=$IFS
	IFS=/
	set -f
	for part in $input; do
		case "$part" in
		'' | .) ;;
		..) out=${out%/*} ;;
		*) out="$out/$part" ;;
		esac
	done
	set +f
	IFS=$old_ifs
	printf '%s\n' "${out:-/}"
}

# The same three substitutions as LaunchAgentPlist.Escape.
xml_escape() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

# Folders, as ServiceLocations.For(Launchd, ...) and AppPaths lay them out.
[ -n "${HOME:-}" ] && case "$HOME" in /*) true ;; *) false ;; esac ||
	die "HOME is not set to an absolute path; the service files are per user and need it."
DATA_DIR="$HOME/Library/Application Support/PrivateVlm"
LOG_DIR="$HOME/Library/Logs/PrivateVlm"
PLIST="$HOME/Library/LaunchAgents/$LABEL.plist"
MARKER=.privatevlm-installed-app

check_platform() {
	if [ "$DRY_RUN" != 1 ] && [ "$(uname -s)" != Darwin ]; then
		die "launchd is macOS only; on Linux use: privatevlm service $1"
	fi
}

USER_ID=$(id -u) || die "Could not run 'id -u'."
TARGET="gui/$USER_ID/$LABEL"

# The value after an option in the installed plist's ProgramArguments ("" when absent): one <string> per line.
installed_argument() {
	[ -f "$PLIST" ] || return 0
	awk -v option="$1" '
		/<key>ProgramArguments<\/key>/ { inside = 1; next }
		inside && /<\/array>/ { exit }
		inside && /<string>/ {
			value = $0
			sub(/^[ \t]*<string>/, "", value); sub(/<\/string>[ \t]*$/, "", value)
			gsub(/&lt;/, "<", value); gsub(/&gt;/, ">", value); gsub(/&amp;/, "\\&", value)
			if (want) { print value; exit }
			if (option == "" ) { print value; exit }
			if (value == option) want = 1
		}' "$PLIST"
}
