#!/bin/sh
# tests/integration/lib.sh: helpers for integration test scripts (POSIX sh), to be sourced:
#
#   . "$(dirname "$0")/lib.sh"
#   farm_up                        # or: farm_up --bench 64
#   out=$("$CERTSWEEP" scan "$(farm_target good)" --ca-file "$FARM_ROOTS" \
#         --preferred-ca "$FARM_PREFERRED")
#   assert_contains "$out" good.test "good is scanned"
#   finish                         # prints "integration: N passed, M failed", returns 1 on failure
#
# Sourcing installs an EXIT trap that stops the farm, removes its folder (kept when
# CERTSWEEP_KEEP_FARM=1) and, when the script ends without calling finish (set -e, a crash),
# counts that as a failure and still prints the closing line. A script that sets its own
# EXIT trap must call farm_down and finish itself. The counters live in the script's shell:
# assert in loops fed by a here-document or a file, never in a pipeline (`cmd | while ...`
# runs the loop in a subshell whose counts are lost).
#
# After farm_up: FARM_DIR (endpoints.tsv, expected.tsv, targets.txt), FARM_PKI (the test PKI),
# FARM_ROOTS (roots.pem: the two trusted test roots), FARM_PREFERRED (the --preferred-ca value),
# FARM_BASE (first port). The PKI (5 s of key generation) is shared by all scripts in
# ${TMPDIR:-/tmp}/certsweep-pki-UID, or the folder CERTSWEEP_PKI names; testpki.sh
# regenerates it when a day old, one generator at a time. When CERTSWEEP_FARM_BASE is unset,
# farm_up picks the first base from 20400 up, in steps of 200, with nothing listening on its
# ports, and moves on when another farm takes them first (several test runs at once).
# CS_ROOT (the repository) defaults to two levels above the sourcing script's folder.

CS_ROOT=${CS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PASS_COUNT=0
FAIL_COUNT=0
FARM_DIR=
FARM_PREFERRED='certsweep Preferred Test Org'
_LIB_FINISHED=0

pass() {
	PASS_COUNT=$((PASS_COUNT + 1))
	echo "ok - $*"
}

fail() {
	FAIL_COUNT=$((FAIL_COUNT + 1))
	echo "FAIL - $*"
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3: expected '$1', got '$2'"
	fi
}

# assert_contains HAYSTACK NEEDLE MESSAGE (fixed string)
assert_contains() {
	case $1 in
	*"$2"*) pass "$3" ;;
	*) fail "$3: '$2' not found in: $(printf '%s' "$1" | head -c 400)" ;;
	esac
}

# assert_not_contains HAYSTACK NEEDLE MESSAGE
assert_not_contains() {
	case $1 in
	*"$2"*) fail "$3: '$2' unexpectedly found in: $(printf '%s' "$1" | head -c 400)" ;;
	*) pass "$3" ;;
	esac
}

# assert_status EXPECTED_EXIT MESSAGE COMMAND...: runs COMMAND (output discarded) and
# compares its exit status.
assert_status() {
	_want=$1 _msg=$2
	shift 2
	_rc=0
	"$@" >/dev/null 2>&1 || _rc=$?
	assert_eq "$_want" "$_rc" "$_msg"
}

# _farm_ports_free BASE: 0 when nothing listens on BASE..BASE+99 nor BASE+1000..BASE+1255.
_farm_ports_free() {
	! ss -Htln 2>/dev/null | awk -v b="$1" '
		{ n = split($4, a, ":"); p = a[n] + 0 }
		(p >= b && p < b + 100) || (p >= b + 1000 && p < b + 1256) { found = 1 }
		END { exit !found }'
}

# farm_up [--bench N]: starts the farm in a fresh temporary folder; 1 (and a failure) if not.
# Typical use: `farm_up || exit 1` (the EXIT trap then reports the failure).
farm_up() {
	_tries=0
	FARM_BASE=${CERTSWEEP_FARM_BASE:-20400}
	FARM_PKI=${CERTSWEEP_PKI:-${TMPDIR:-/tmp}/certsweep-pki-$(id -u)}
	while :; do
		if [ -z "${CERTSWEEP_FARM_BASE:-}" ]; then
			while ! _farm_ports_free "$FARM_BASE"; do
				FARM_BASE=$((FARM_BASE + 200))
			done
		fi
		if [ "$FARM_BASE" -gt 30000 ]; then
			fail "farm_up: no free port range"
			return 1
		fi
		FARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-farm.XXXXXX")
		if CERTSWEEP_PKI=$FARM_PKI CERTSWEEP_FARM_BASE=$FARM_BASE \
			sh "$CS_ROOT/tools/farm.sh" start "$FARM_DIR" "$@" 2>"$FARM_DIR/start.err"; then
			break
		fi
		# Another farm may have taken the ports between the check and the start: move on.
		_tries=$((_tries + 1))
		if [ -n "${CERTSWEEP_FARM_BASE:-}" ] || [ "$_tries" -ge 5 ] ||
			! grep -q 'Address already in use' "$FARM_DIR/start.err"; then
			cat "$FARM_DIR/start.err" >&2
			fail "farm_up: the farm did not start"
			return 1
		fi
		farm_down
		FARM_BASE=$((FARM_BASE + 200))
	done
	FARM_PKI=$(cd "$FARM_PKI" && pwd)
	FARM_ROOTS=$FARM_PKI/roots.pem
	export FARM_DIR FARM_PKI FARM_ROOTS FARM_PREFERRED FARM_BASE
}

# farm_down: stops the farm and removes its folder; safe to call twice.
farm_down() {
	[ -n "$FARM_DIR" ] || return 0
	sh "$CS_ROOT/tools/farm.sh" stop "$FARM_DIR" >/dev/null 2>&1 || true
	if [ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ]; then
		echo "farm kept in $FARM_DIR"
	else
		rm -rf "$FARM_DIR"
	fi
	FARM_DIR=
}

# farm_field NAME COLUMN: a column of endpoint NAME in endpoints.tsv
# (1 name, 2 addr, 3 port, 4 kind, 5 sni; '-' when empty).
farm_field() {
	awk -F '\t' -v n="$1" -v c="$2" '$1 == n { print $c; exit }' "$FARM_DIR/endpoints.tsv"
}

farm_port() {
	farm_field "$1" 3
}

farm_addr() {
	farm_field "$1" 2
}

farm_sni() {
	farm_field "$1" 5
}

# farm_target NAME: addr:port, or [addr]:port for IPv6.
farm_target() {
	_a=$(farm_field "$1" 2)
	case $_a in
	*:*) echo "[$_a]:$(farm_port "$1")" ;;
	*) echo "$_a:$(farm_port "$1")" ;;
	esac
}

# farm_expected NAME: the finding IDs endpoint NAME must produce, space-separated, empty for
# none (certificate, chain and issuer findings only: see tools/README.md).
farm_expected() {
	awk -F '\t' -v n="$1" '$1 == n { if ($4 != "-") print $4; exit }' "$FARM_DIR/expected.tsv"
}

# farm_names [KIND]: endpoint names, all or of one kind (https, smtp, garbage, ...).
farm_names() {
	awk -F '\t' -v k="${1:-}" '!/^#/ && (k == "" || $4 == k) { print $1 }' \
		"$FARM_DIR/endpoints.tsv"
}

# finish: prints the closing line; returns 1 when anything failed or nothing was asserted.
finish() {
	_LIB_FINISHED=1
	echo "integration: $PASS_COUNT passed, $FAIL_COUNT failed"
	[ "$FAIL_COUNT" -eq 0 ] && [ "$PASS_COUNT" -gt 0 ]
}

# skip_all REASON: for a script that cannot run here; prints the reason and a closing line.
skip_all() {
	_LIB_FINISHED=1
	echo "skip - $*"
	echo "integration: $PASS_COUNT passed, $FAIL_COUNT failed, 1 skipped"
	exit 0
}

_lib_exit() {
	_st=$?
	farm_down
	if [ "$_LIB_FINISHED" -eq 0 ]; then
		fail "script ended before finish (exit status $_st)"
		finish || true
		exit 1
	fi
	exit "$_st"
}

trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
