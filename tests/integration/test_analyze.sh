#!/bin/bash
# test_analyze.sh: `certsweep analyze --json` against real servers with controlled TLS
# configurations (tools/deepfarm.sh: nginx, openssl s_server, gnutls-serv, a server that sends
# garbage after its ServerHello), compared with what those servers really serve.
#
#   bash tests/integration/test_analyze.sh PATH/TO/certsweep       (about 20 s; as root for the
#                                                                   namespace and gnutls-serv)
#
# First the farm itself: nmap's ssl-enum-ciphers must agree with the expectations (deepfarm.sh
# verify), so that a change in Debian's servers shows as a farm problem, not a certsweep one.
# Then, per server of DIR/deep.tsv, one `certsweep analyze --json --ca-file ROOTS 127.0.0.1:PORT
# [--sni NAME]` (four at a time), and these assertions:
#   - no crash, no timeout, no sanitizer report; the output is one JSON object;
#   - protocols: the exact set, and all six keys present;
#   - ciphers: per protocol, exactly the expected suites (IANA names), in order and with
#     server_order true when the server imposes its order, as a set and server_order false when
#     it follows the client's; no entry for a protocol the server does not speak;
#   - findings: the configuration findings (proto. cipher. kex. reneg. compression. vuln.
#     fallback_scsv. ocsp. hsts. ct.) exactly, apart from the few `optional` ones deep.tsv
#     allows (tools/README.md says why); pinned severities;
#   - the grade letter; reasons when capped below A; no warnings for A+;
#   - the facts of DIR/expected/NAME.facts (jq expressions: DH size, stapling, renegotiation,
#     HSTS, heartbeat, suite attributes; for garbage: a clear error and nothing supported).
# Certificate and chain findings are test_scan.sh's business: every server here presents the
# good leaf (trusted through --ca-file, its names good.test and IP:127.0.0.1).
#
# Until the analyze command exists the script skips, saying so. The servers and certsweep run
# in the farm's network namespace when it has one; without (CERTSWEEP_NO_NETNS=1, not root)
# the gnutls-serv servers are skipped (tools/deepfarm.sh explains why).
CERTSWEEP=${1:?usage: test_analyze.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
PATH=/usr/sbin:/sbin:$PATH

DEEP_DIR=
PARALLEL=4
LIMIT=${CERTSWEEP_ANALYZE_LIMIT:-60} # seconds one analysis may take
CONFIG_RE='^(proto|cipher|kex|reneg|compression|vuln|fallback_scsv|ocsp|hsts|ct)\.'
PROTOS="SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3"

deep_down() {
	[ -n "$DEEP_DIR" ] || return 0
	sh "$CS_ROOT/tools/deepfarm.sh" stop "$DEEP_DIR" >/dev/null 2>&1 || true
	if [ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ]; then
		echo "deep farm kept in $DEEP_DIR"
	else
		rm -rf "$DEEP_DIR"
	fi
	DEEP_DIR=
}

# lib.sh's EXIT handler reads $? first: hand it the script's status.
_analyze_exit() {
	local st=$?
	deep_down
	(exit "$st")
	_lib_exit
}
trap _analyze_exit EXIT

[ -x "$CERTSWEEP" ] || { fail "no certsweep binary at $CERTSWEEP"; finish; exit 1; }
if "$CERTSWEEP" analyze --help 2>&1 | grep -q 'unknown command "analyze"'; then
	skip_all "test_analyze.sh: this certsweep has no analyze command yet"
fi
for c in jq nginx openssl; do
	command -v "$c" >/dev/null || { fail "$c not found (run sh tools/deps.sh as root)"; finish; exit 1; }
done

# ---------------------------------------------------------------- the deep farm
PKI=${CERTSWEEP_PKI:-${TMPDIR:-/tmp}/certsweep-pki-$(id -u)}
base=${CERTSWEEP_DEEP_BASE:-24400}
for try in 1 2 3 4 5; do
	DEEP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-deep.XXXXXX")
	if CERTSWEEP_PKI=$PKI CERTSWEEP_DEEP_BASE=$base CERTSWEEP_DEEP_LIFETIME=600 \
		sh "$CS_ROOT/tools/deepfarm.sh" start "$DEEP_DIR" >"$DEEP_DIR/start.out" 2>&1; then
		break
	fi
	# Without a namespace another run may hold the ports: move on.
	if [ "$try" -eq 5 ] || [ -n "${CERTSWEEP_DEEP_BASE:-}" ] ||
		! grep -q 'Address already in use' "$DEEP_DIR/start.out"; then
		cat "$DEEP_DIR/start.out" >&2
		fail "deepfarm: the servers did not start"
		exit 1
	fi
	deep_down
	base=$((base + 100))
done
grep -v '^deepfarm: started' "$DEEP_DIR/start.out" | sed 's/^/# /'
FARM_ROOTS=$(cd "$PKI" && pwd)/roots.pem
NSX=()
NS=$(cat "$DEEP_DIR/netns" 2>/dev/null || true)
[ -n "$NS" ] && NSX=(ip netns exec "$NS")
while IFS=$'\t' read -r name why; do
	echo "skip - $name: $why"
done <"$DEEP_DIR/skipped"

if command -v nmap >/dev/null; then
	rc=0
	sh "$CS_ROOT/tools/deepfarm.sh" verify "$DEEP_DIR" >"$DEEP_DIR/verify.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "farm: nmap ssl-enum-ciphers agrees with every expectation"
	else
		fail "farm: nmap sees the servers differently from deep.tsv and expected/ (the" \
			"certsweep results below are judged against expectations the farm does not meet):" \
			"$(grep -v agrees "$DEEP_DIR/verify.out" | head -c 1500)"
	fi
else
	fail "farm: nmap not found (run sh tools/deps.sh as root)"
fi

# ---------------------------------------------------------------- the analyses
W=$DEEP_DIR/work
mkdir -p "$W"

# analyze NAME PORT SNI: one analysis in its own folder (its ./certsweep.db), output in W/NAME.*
analyze() {
	local name=$1 port=$2 sni=$3 rc=0 t0 t1
	local args=(analyze --json --ca-file "$FARM_ROOTS")
	[ "$sni" != - ] && args+=(--sni "$sni")
	mkdir -p "$W/$name"
	t0=$(date +%s%N)
	(cd "$W/$name" && exec timeout -k 5 "$LIMIT" "${NSX[@]}" "$CERTSWEEP" "${args[@]}" \
		"127.0.0.1:$port" >"$W/$name.json" 2>"$W/$name.err") || rc=$?
	t1=$(date +%s%N)
	echo "$rc $(((t1 - t0) / 1000000))" >"$W/$name.rc"
}

while IFS=$'\t' read -r name _addr port sni _rest; do
	case $name in '#'*) continue ;; esac
	while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do
		wait -n
	done
	analyze "$name" "$port" "$sni" &
done <"$DEEP_DIR/deep.tsv"
wait

# words LIST: one word a line, sorted, '-' for none.
words() {
	[ "$1" = - ] && return 0
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort
}

# check_suites NAME REC: the ciphers object against expected/NAME.PROTO(.order).
check_suites() {
	local name=$1 rec=$2 p f order got want so
	for p in $PROTOS; do
		f=$DEEP_DIR/expected/$name.$p
		if [ ! -f "$f" ]; then
			assert_eq null "$(jq -c --arg p "$p" '.ciphers[$p]' <<<"$rec")" "$name: no ciphers entry for $p"
			continue
		fi
		order=$(cat "$f.order")
		got=$(jq -r --arg p "$p" '[(.ciphers[$p].suites // [])[] | .name] | join(" ")' <<<"$rec")
		want=$(paste -sd' ' "$f")
		so=$(jq -c --arg p "$p" '.ciphers[$p].server_order' <<<"$rec")
		case $order in
		yes)
			assert_eq "$want" "$got" "$name: $p suites in the server's order"
			assert_eq true "$so" "$name: $p server_order true"
			;;
		no)
			assert_eq "$(words "$want" | paste -sd' ')" "$(words "$got" | paste -sd' ')" \
				"$name: $p suites (the client orders)"
			assert_eq false "$so" "$name: $p server_order false"
			;;
		*) assert_eq "$want" "$got" "$name: $p suites" ;;
		esac
		assert_eq "$(wc -w <<<"$got")" \
			"$(jq --arg p "$p" '[(.ciphers[$p].suites // [])[] | select((.id | type) == "string" and (.bits | type) == "number" and (.fs | type) == "boolean" and (.aead | type) == "boolean")] | length' <<<"$rec")" \
			"$name: $p every suite has id, bits, fs and aead"
	done
}

check_facts() {
	local name=$1 rec=$2 expr want got
	[ -f "$DEEP_DIR/expected/$name.facts" ] || return 0
	while IFS=$'\t' read -r expr want; do
		got=$(jq -c "$expr" <<<"$rec" 2>&1)
		assert_eq "$(jq -c . <<<"$want")" "$got" "$name: $expr"
	done <"$DEEP_DIR/expected/$name.facts"
}

while IFS=$'\t' read -r name _addr port sni soft protos findings optional severity grade; do
	case $name in '#'*) continue ;; esac
	read -r rc ms <"$W/$name.rc"
	err=$(head -c 2000 "$W/$name.err")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$name ($soft): analysis still running after $LIMIT s"
		continue
	fi
	if [ "$rc" -lt 128 ]; then
		pass "$name: analysis ended (exit $rc, $ms ms)"
	else
		fail "$name: certsweep died of signal $((rc - 128)): $err"
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$W/$name.err"; then
		fail "$name: sanitizer report: $err"
	else
		pass "$name: no sanitizer report"
	fi
	if ! jq -e 'type == "object"' "$W/$name.json" >/dev/null 2>&1; then
		fail "$name: --json printed no single JSON object: $(head -c 400 "$W/$name.json") $err"
		continue
	fi
	rec=$(jq -c . "$W/$name.json")
	echo "# $name: $(jq -r '"status \(.status), grade \(.grade.letter // "-"), \(.connections // "?") connections, \(.ms // "?") ms"' <<<"$rec")"
	assert_eq "127.0.0.1 $port" "$(jq -r '"\(.ip) \(.port)"' <<<"$rec")" "$name: ip and port"
	check_facts "$name" "$rec"
	[ "$grade" = - ] && continue
	assert_eq "ok " "$(jq -r '"\(.status) \(.error // "")"' <<<"$rec")" "$name: status ok"
	if [ "$(jq -r '.protocols == null' <<<"$rec")" = true ]; then
		fail "$name: no protocols in the analysis: the other checks of $name skipped"
		continue
	fi

	# protocols: six booleans, the exact set true
	assert_eq "$(words "$PROTOS" | paste -sd' ')" \
		"$(jq -r '[(.protocols // {}) | to_entries[] | select(.value | type == "boolean") | .key] | sort | join(" ")' <<<"$rec")" \
		"$name: six protocol booleans"
	got=$(jq -r '[(.protocols // {}) | to_entries[] | select(.value == true) | .key] | join(" ")' <<<"$rec")
	got=$(for p in $PROTOS; do case " $got " in *" $p "*) printf '%s ' "$p" ;; esac; done)
	assert_eq "$protos" "${got% }" "$name: protocols"
	check_suites "$name" "$rec"

	# configuration findings: exact, apart from the optional ones
	got=$(jq -r '.findings[].id' <<<"$rec" | grep -E "$CONFIG_RE" | sort -u)
	msg="$name: configuration findings"
	if [ "$optional" != - ]; then
		got=$(grep -vxF -f <(words "$optional") <<<"$got" || true)
		msg="$msg (may also have: $optional)"
	fi
	assert_eq "$(words "$findings" | paste -sd' ')" "$(paste -sd' ' <<<"$got")" "$msg"
	if [ "$severity" != - ]; then
		for pin in $severity; do
			assert_eq "${pin#*=}" \
				"$(jq -r --arg i "${pin%%=*}" '[.findings[] | select(.id == $i) | .severity][0]' <<<"$rec")" \
				"$name: ${pin%%=*} is ${pin#*=}"
		done
	fi
	assert_eq true "$(jq '[.findings[] | (.message | type == "string" and length > 0) and (.fix | type == "string")] | all' <<<"$rec")" \
		"$name: every finding has a message and a fix"

	# the grade
	assert_eq "$grade" "$(jq -r '.grade.letter' <<<"$rec")" "$name: grade $grade"
	case $grade in
	A+) assert_eq 0 "$(jq '.grade.warnings | length' <<<"$rec")" "$name: A+ has no warnings" ;;
	A) ;;
	*) assert_eq true "$(jq '.grade.reasons | length > 0 and all(.[]; (.rule | type) == "string" and (.text | length) > 0)' <<<"$rec")" \
		"$name: the grade names the rules that cap it" ;;
	esac
done <"$DEEP_DIR/deep.tsv"

# The readable report: the same grade and protocols as the JSON, and the inventory written.
port=$(awk -F '\t' '$1 == "modern" { print $3 }' "$DEEP_DIR/deep.tsv")
rc=0
(cd "$W/modern" && timeout -k 5 "$LIMIT" "${NSX[@]}" "$CERTSWEEP" analyze --ca-file "$FARM_ROOTS" \
	--sni good.test "127.0.0.1:$port" >"$W/modern.txt" 2>&1) || rc=$?
assert_eq 0 "$rc" "modern: the text report exits 0"
out=$(cat "$W/modern.txt")
assert_contains "$out" "A+" "modern: the text report shows the grade"
assert_contains "$out" "TLSv1.3" "modern: the text report lists TLSv1.3"
assert_contains "$out" "TLS_AES_256_GCM_SHA384" "modern: the text report lists the preferred TLS 1.3 suite"
if [ -f "$W/modern/certsweep.db" ] && command -v sqlite3 >/dev/null; then
	assert_eq ok "$(sqlite3 -batch "$W/modern/certsweep.db" 'PRAGMA integrity_check')" \
		"modern: the analysis went into ./certsweep.db"
else
	fail "modern: no ./certsweep.db after analyze (results go into the inventory, as sweeps' do)"
fi

deep_down
finish
