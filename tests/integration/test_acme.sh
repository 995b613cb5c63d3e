#!/bin/bash
# test_acme.sh: `certsweep orders issue --acme` (issue 4, RFC 8555) against Debian's pebble on
# loopback. The script makes a test CA and a 127.0.0.1/localhost certificate for pebble's
# HTTPS, starts pebble-challtestsrv as pebble's DNS server (every name resolves to 127.0.0.1;
# dns-01 TXT records are set through its management API) and pebble (real validation:
# PEBBLE_VA_ALWAYS_VALID=0), then:
#   - http-01 with the built-in responder: exit 0, status Issued, the CA state, the audit rows,
#     the issued leaf's SANs and key (the CSR's), a 0600 account key;
#   - http-01 from a web root served by python3's http.server;
#   - dns-01 through a hook that sets the TXT record in challtestsrv;
#   - External Account Binding against a second pebble that requires it (a good and a wrong
#     HMAC key: the wrong one is refused, exit 1, order unchanged);
#   - an unreachable CA: exit 3, order unchanged; a challenge nobody answers: exit 1, unchanged.
# Every server binds 127.0.0.1 only.
CERTSWEEP=${1:?usage: test_acme.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v pebble >/dev/null || skip_all "pebble not installed (sh tools/deps.sh)"
command -v pebble-challtestsrv >/dev/null || skip_all "pebble-challtestsrv not installed"
command -v jq >/dev/null || skip_all "jq not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v curl >/dev/null || skip_all "curl not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-acme.XXXXXX")
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
	[ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"
}
trap '_st=$?; cleanup; (exit $_st); _lib_exit' EXIT

# A base with 10 free ports from 24600 up, in steps of 20.
port_free() {
	! ss -Htlnu 2>/dev/null | awk -v b="$1" '
		{ n = split($5, a, ":"); p = a[n] + 0 }
		p >= b && p < b + 10 { found = 1 } END { exit !found }'
}
BASE=24600
while ! port_free "$BASE"; do BASE=$((BASE + 20)); done
ACME_PORT=$BASE MGMT_PORT=$((BASE + 1)) HTTP_PORT=$((BASE + 2)) DNS_PORT=$((BASE + 3))
CTS_MGMT=$((BASE + 4)) EAB_PORT=$((BASE + 5)) EAB_MGMT=$((BASE + 6)) DEAD_PORT=$((BASE + 7))
TLS_PORT=$((BASE + 8))

# ---------------------------------------------------------------- pebble's HTTPS PKI
cd "$W" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=certsweep ACME test root" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.pem 2>/dev/null
[ -s srv.pem ] || { fail "could not make pebble's certificate"; finish; exit 1; }

EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
write_config() { # FILE PORT MGMT EAB(0|1)
	{
		printf '{"pebble": {"listenAddress": "127.0.0.1:%s", "managementListenAddress": "127.0.0.1:%s",\n' "$2" "$3"
		printf '"certificate": "%s/srv.pem", "privateKey": "%s/srv.key", "httpPort": %s, "tlsPort": %s,\n' "$W" "$W" "$HTTP_PORT" "$TLS_PORT"
		printf '"ocspResponderURL": ""'
		[ "$4" = 1 ] && printf ', "externalAccountBindingRequired": true, "externalAccountMACKeys": {"kid-1": "%s"}' "$EAB_KEY"
		printf '}}\n'
	} >"$1"
}
write_config pebble.json "$ACME_PORT" "$MGMT_PORT" 0
write_config pebble-eab.json "$EAB_PORT" "$EAB_MGMT" 1

pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 "127.0.0.1:$DNS_PORT" \
	-http01 '' -https01 '' -tlsalpn01 '' -management "127.0.0.1:$CTS_MGMT" >cts.log 2>&1 &
PIDS="$PIDS $!"
export PEBBLE_VA_ALWAYS_VALID=0 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
pebble -config pebble.json -dnsserver "127.0.0.1:$DNS_PORT" >pebble.log 2>&1 &
PIDS="$PIDS $!"
pebble -config pebble-eab.json -dnsserver "127.0.0.1:$DNS_PORT" >pebble-eab.log 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 50); do
	curl -sf --cacert ca.pem "https://127.0.0.1:$ACME_PORT/dir" >/dev/null 2>&1 &&
		curl -sf --cacert ca.pem "https://127.0.0.1:$EAB_PORT/dir" >/dev/null 2>&1 &&
		curl -s "http://127.0.0.1:$CTS_MGMT/" >/dev/null 2>&1 && break
	sleep 0.2
done
DIR=https://127.0.0.1:$ACME_PORT/dir
DB=$W/inv.db

# new_order CN [SAN...]: creates an order with a P-256 CSR; prints its id.
new_order() {
	_cn=$1
	shift
	_args=
	for _s in "$@"; do _args="$_args --san $_s"; done
	# shellcheck disable=SC2086
	"$CERTSWEEP" orders new --cn "$_cn" $_args --db "$DB" >/dev/null 2>&1
	_id=$("$CERTSWEEP" orders list --json --db "$DB" | jq -r --arg cn "$_cn" \
		'[.[] | select(.common_name == $cn)] | last | .id')
	"$CERTSWEEP" orders csr "$_id" --key-type p256 --key-out "$W/order-$_id.key" --db "$DB" \
		>/dev/null 2>&1
	echo "$_id"
}
status_of() {
	"$CERTSWEEP" orders show "$1" --json --db "$DB" | jq -r '[.status, (.ca_state // "none")] | join("/")'
}

# ---------------------------------------------------------------- http-01, built-in responder
id=$(new_order a.test a.test www.a.test)
assert_eq "Processing/none" "$(status_of "$id")" "order $id is Processing with a CSR"
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --ca-file ca.pem --account-key "$W/acct.key" \
	--http01-listen "127.0.0.1:$HTTP_PORT" --timeout 60 --db "$DB" >chain.pem 2>issue.err || rc=$?
assert_eq 0 "$rc" "orders issue over ACME (http-01 responder) exits 0 ($(head -c 300 issue.err))"
assert_eq "Issued/Certificate available for download" "$(status_of "$id")" "the order is Issued"
assert_eq 600 "$(stat -c %a "$W/acct.key" 2>/dev/null)" "the new account key has mode 0600"
ev=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r '.events[-1] | [.from_status, .to_status, .actor] | join("|")')
assert_eq "Processing|Issued|acme" "$ev" "the audit log has the Processing -> Issued row by acme"
sans=$(openssl x509 -in chain.pem -noout -ext subjectAltName 2>/dev/null | tail -n 1 | tr -d ' ')
assert_eq "DNS:a.test,DNS:www.a.test" "$sans" "the issued leaf's SANs are the order's"
leaf_pub=$(openssl x509 -in chain.pem -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
key_pub=$(openssl pkey -in "$W/order-$id.key" -pubout -outform DER | sha256sum)
assert_eq "$key_pub" "$leaf_pub" "the issued leaf carries the order's key"
stored=$(sqlite3 "$DB" "SELECT issued_pem FROM orders WHERE id = $id" | openssl x509 -noout -fingerprint 2>/dev/null)
assert_eq "$(openssl x509 -in chain.pem -noout -fingerprint)" "$stored" "the chain is stored in orders.issued_pem"
assert_status 2 "issuing an Issued order again exits 2" "$CERTSWEEP" orders issue "$id" --acme "$DIR" \
	--ca-file ca.pem --account-key "$W/acct.key" --http01-listen "127.0.0.1:$HTTP_PORT" --db "$DB"

# ---------------------------------------------------------------- http-01 from a web root
mkdir -p "$W/www"
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$W/www" >http.log 2>&1 &
WEB_PID=$!
PIDS="$PIDS $WEB_PID"
sleep 0.5
id=$(new_order b.test b.test)
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --ca-file ca.pem --account-key "$W/acct.key" \
	--http01-webroot "$W/www" --timeout 60 --db "$DB" >chain-b.pem 2>issue-b.err || rc=$?
assert_eq "0 Issued/Certificate available for download" "$rc $(status_of "$id")" \
	"http-01 from a web root issues ($(head -c 300 issue-b.err))"
assert_eq "" "$(ls "$W/www/.well-known/acme-challenge" 2>/dev/null)" "the token file is removed afterwards"
# A web root nobody serves (http.server stopped): the CA refuses, exit 1, nothing stored.
kill "$WEB_PID" 2>/dev/null
wait "$WEB_PID" 2>/dev/null
id=$(new_order c.test c.test)
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --ca-file ca.pem --account-key "$W/acct.key" \
	--http01-webroot "$W/www" --timeout 60 --db "$DB" >/dev/null 2>issue-c.err || rc=$?
assert_eq 1 "$rc" "an http-01 challenge nobody serves: exit 1"
assert_contains "$(cat issue-c.err)" "urn:ietf:params:acme:error:" "the CA's problem type is printed"
assert_eq "Processing/none" "$(status_of "$id")" "the failed order is unchanged"

# ---------------------------------------------------------------- dns-01 through a hook
cat >hook.sh <<HOOK
#!/bin/sh
# hook.sh add|del DOMAIN TXT: the TXT record in pebble-challtestsrv
echo "\$*" >>"$W/hook.log"
case \$1 in
add) curl -sf -d "{\"host\":\"_acme-challenge.\$2.\",\"value\":\"\$3\"}" http://127.0.0.1:$CTS_MGMT/set-txt ;;
del) curl -sf -d "{\"host\":\"_acme-challenge.\$2.\"}" http://127.0.0.1:$CTS_MGMT/clear-txt ;;
esac
HOOK
chmod +x hook.sh
id=$(new_order d.test d.test)
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --ca-file ca.pem --account-key "$W/acct.key" \
	--dns01-hook "$W/hook.sh" --timeout 60 --db "$DB" >chain-d.pem 2>issue-d.err || rc=$?
assert_eq "0 Issued/Certificate available for download" "$rc $(status_of "$id")" \
	"dns-01 through the hook issues ($(head -c 300 issue-d.err))"
assert_eq "add d.test del d.test" "$(awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 }' hook.log)" \
	"the hook was run with add, then del, for d.test"

# ---------------------------------------------------------------- External Account Binding
EDIR=https://127.0.0.1:$EAB_PORT/dir
id=$(new_order e.test e.test)
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$EDIR" --ca-file ca.pem --account-key "$W/acct-eab.key" \
	--http01-listen "127.0.0.1:$HTTP_PORT" --timeout 60 --db "$DB" >/dev/null 2>eab-none.err || rc=$?
assert_eq "1 Processing/none" "$rc $(status_of "$id")" "without EAB the CA that requires it refuses (exit 1)"
assert_contains "$(cat eab-none.err)" "externalAccountRequired" "the problem type is printed"
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$EDIR" --ca-file ca.pem --account-key "$W/acct-eab2.key" \
	--eab-kid kid-1 --eab-hmac-key "${EAB_KEY%????}AAAA" --http01-listen "127.0.0.1:$HTTP_PORT" \
	--timeout 60 --db "$DB" >/dev/null 2>eab-bad.err || rc=$?
assert_eq "1 Processing/none" "$rc $(status_of "$id")" "a wrong EAB HMAC key is refused (exit 1)"
assert_contains "$(cat eab-bad.err)" "urn:ietf:params:acme:error:" "the wrong EAB key gets the CA's problem document"
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$EDIR" --ca-file ca.pem --account-key "$W/acct-eab3.key" \
	--eab-kid kid-1 --eab-hmac-key "$EAB_KEY" --http01-listen "127.0.0.1:$HTTP_PORT" \
	--timeout 60 --db "$DB" >/dev/null 2>eab.err || rc=$?
assert_eq "0 Issued/Certificate available for download" "$rc $(status_of "$id")" \
	"with EAB the certificate is issued ($(head -c 300 eab.err))"

# ---------------------------------------------------------------- an unreachable CA
id=$(new_order f.test f.test)
rc=0
"$CERTSWEEP" orders issue "$id" --acme "https://127.0.0.1:$DEAD_PORT/dir" --ca-file ca.pem \
	--account-key "$W/acct.key" --http01-listen "127.0.0.1:$HTTP_PORT" --db "$DB" \
	>/dev/null 2>dead.err || rc=$?
assert_eq 3 "$rc" "an unreachable CA: exit 3"
assert_contains "$(cat dead.err)" "unreachable" "the message says the CA is unreachable"
assert_eq "Processing/none" "$(status_of "$id")" "the order is unchanged"
# The ACME server's certificate is not trusted without --ca-file: unreachable too (no TLS).
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --account-key "$W/acct.key" \
	--http01-listen "127.0.0.1:$HTTP_PORT" --db "$DB" >/dev/null 2>notrust.err || rc=$?
assert_eq "3 Processing/none" "$rc $(status_of "$id")" "an untrusted ACME server certificate: exit 3, unchanged"
cd / || exit 1
finish
