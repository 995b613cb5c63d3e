#!/bin/bash
# test_orders_e2e.sh: the renewal loop end to end on loopback (issue 4). The test makes a test
# CA and an expiring certificate for e2e.test (10 days), serves it from its own nginx on
# 127.0.0.1, then: scan (cert.expiring flagged) -> orders sync (one order) -> orders csr ->
# orders issue over ACME from pebble (http-01 answered by the tool) -> verify before install
# fails (exit 1, still Issued) -> orders install (fullchain, key 0600, PKCS#12, nginx reload) ->
# orders verify -> Installed, and the old cert.expiring finding is resolved. Also a failing
# reload command: exit 1, files written. Every server binds 127.0.0.1 only.
CERTSWEEP=${1:?usage: test_orders_e2e.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || skip_all "nginx not installed"
command -v pebble >/dev/null || skip_all "pebble not installed (sh tools/deps.sh)"
command -v pebble-challtestsrv >/dev/null || skip_all "pebble-challtestsrv not installed"
command -v jq >/dev/null || skip_all "jq not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"
command -v curl >/dev/null || skip_all "curl not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-e2e.XXXXXX")
PIDS=
cleanup() {
	[ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
	[ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"
}
trap '_st=$?; cleanup; (exit $_st); _lib_exit' EXIT

port_free() {
	! ss -Htlnu 2>/dev/null | awk -v b="$1" '
		{ n = split($5, a, ":"); p = a[n] + 0 }
		p >= b && p < b + 10 { found = 1 } END { exit !found }'
}
BASE=25600
while ! port_free "$BASE"; do BASE=$((BASE + 20)); done
ACME_PORT=$BASE MGMT_PORT=$((BASE + 1)) HTTP_PORT=$((BASE + 2)) DNS_PORT=$((BASE + 3))
CTS_MGMT=$((BASE + 4)) TLS_PORT=$((BASE + 5)) WEB_PORT=$((BASE + 6))

cd "$W" || exit 1
# ---------------------------------------------------------------- test CA, expiring leaf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=certsweep e2e test root" -keyout ca.key -out ca.pem 2>/dev/null
mk_leaf() { # NAME SAN DAYS
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$4" \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
mk_leaf srv localhost DNS:localhost,IP:127.0.0.1 2
mk_leaf old e2e.test DNS:e2e.test 10
[ -s old.pem ] && [ -s srv.pem ] || { fail "could not make the test certificates"; finish; exit 1; }

# ---------------------------------------------------------------- nginx serving the old cert
mkdir -p live
cp old.pem live/fullchain.pem
cp old.key live/privkey.pem
cat >nginx.conf <<CONF
daemon on;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
	uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
	server {
		listen 127.0.0.1:$WEB_PORT ssl;
		ssl_certificate $W/live/fullchain.pem;
		ssl_certificate_key $W/live/privkey.pem;
		return 200 "ok\n";
	}
}
CONF
mkdir -p tmp
nginx -p "$W" -c "$W/nginx.conf" -e "$W/nginx-error.log" 2>nginx.start || {
	fail "nginx did not start: $(head -c 300 nginx.start)"; finish; exit 1; }

# ---------------------------------------------------------------- pebble
printf '{"pebble": {"listenAddress": "127.0.0.1:%s", "managementListenAddress": "127.0.0.1:%s", "certificate": "%s/srv.pem", "privateKey": "%s/srv.key", "httpPort": %s, "tlsPort": %s, "ocspResponderURL": ""}}\n' \
	"$ACME_PORT" "$MGMT_PORT" "$W" "$W" "$HTTP_PORT" "$TLS_PORT" >pebble.json
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 "127.0.0.1:$DNS_PORT" \
	-http01 '' -https01 '' -tlsalpn01 '' -management "127.0.0.1:$CTS_MGMT" >cts.log 2>&1 &
PIDS="$PIDS $!"
export PEBBLE_VA_ALWAYS_VALID=0 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
pebble -config pebble.json -dnsserver "127.0.0.1:$DNS_PORT" >pebble.log 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 50); do
	curl -sf --cacert ca.pem "https://127.0.0.1:$ACME_PORT/dir" >/dev/null 2>&1 && break
	sleep 0.2
done
DIR=https://127.0.0.1:$ACME_PORT/dir
DB=$W/inv.db

# ---------------------------------------------------------------- scan, sync, csr, issue
assert_status 0 "the scan of nginx runs" "$CERTSWEEP" scan -q 127.0.0.1 -p "$WEB_PORT" \
	--ca-file ca.pem --expiring-high 60 --db "$DB"
open_expiring() {
	sqlite3 "$DB" "SELECT count(*) FROM findings f JOIN endpoints e ON e.id = f.endpoint_id
		WHERE f.check_id = 'cert.expiring' AND e.port = $WEB_PORT AND f.status = '$1'"
}
assert_eq 1 "$(open_expiring open)" "the old certificate is flagged cert.expiring"
"$CERTSWEEP" orders sync --db "$DB" >sync.out 2>&1
assert_eq 1 "$("$CERTSWEEP" orders list --json --db "$DB" | jq length)" "orders sync made one order"
id=$("$CERTSWEEP" orders list --json --db "$DB" | jq -r '.[0].id')
status_of() { "$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r .status; }
"$CERTSWEEP" orders csr "$id" --key-type p256 --key-out "$W/order.key" --db "$DB" >csr.out 2>&1
assert_eq Processing "$(status_of)" "the order has a CSR ($(head -c 200 csr.out))"
rc=0
"$CERTSWEEP" orders issue "$id" --acme "$DIR" --ca-file ca.pem --account-key "$W/acct.key" \
	--http01-listen "127.0.0.1:$HTTP_PORT" --timeout 60 --db "$DB" >chain.pem 2>issue.err || rc=$?
assert_eq "0 Issued" "$rc $(status_of)" "issued over ACME ($(head -c 300 issue.err))"

curl -sfk "https://127.0.0.1:$MGMT_PORT/roots/0" >pebble-root.pem
cat ca.pem pebble-root.pem >trust.pem
assert_contains "$(cat pebble-root.pem)" "BEGIN CERTIFICATE" "pebble's issuing root fetched"

# ---------------------------------------------------------------- verify before install
rc=0
"$CERTSWEEP" orders verify "$id" --ca-file trust.pem --db "$DB" >verify0.out 2>&1 || rc=$?
assert_eq "1 Issued" "$rc $(status_of)" "verify before install: exit 1, still Issued"
assert_contains "$(cat verify0.out)" "still serves another certificate" "verify says what is served"

# ---------------------------------------------------------------- a failing reload
echo secret >p12pass
rc=0
"$CERTSWEEP" orders install "$id" --fullchain "$W/fc-test.pem" --reload "exit 7" --db "$DB" \
	>install0.out 2>&1 || rc=$?
assert_eq "1 Issued" "$rc $(status_of)" "a failing reload: exit 1, still Issued"
assert_eq "$(cat chain.pem)" "$(cat fc-test.pem 2>/dev/null)" "the files stay written after a failed reload"

# ---------------------------------------------------------------- install, reload, verify
rc=0
"$CERTSWEEP" orders install "$id" --fullchain "$W/live/fullchain.pem" --key "$W/live/privkey.pem" \
	--pkcs12 "$W/site.p12" --pkcs12-password-file p12pass \
	--reload "nginx -p $W -c $W/nginx.conf -e $W/nginx-error.log -s reload" --db "$DB" \
	>install.out 2>&1 || rc=$?
assert_eq "0 Issued" "$rc $(status_of)" "install exits 0, status stays Issued ($(head -c 300 install.out))"
assert_eq "$(cat chain.pem)" "$(cat live/fullchain.pem)" "the fullchain is the issued chain"
assert_eq 600 "$(stat -c %a live/privkey.pem)" "the key is written with mode 0600"
assert_eq "$(openssl pkey -in order.key -pubout)" "$(openssl pkey -in live/privkey.pem -pubout)" \
	"the key is the order's"
p12leaf=$(openssl pkcs12 -in site.p12 -passin pass:secret -nokeys -clcerts 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)
assert_eq "$(openssl x509 -in chain.pem -noout -fingerprint -sha256)" "$p12leaf" \
	"the PKCS#12 holds the issued leaf"
assert_contains "$(openssl pkcs12 -in site.p12 -passin pass:secret -info -noout 2>&1)" "AES-256" \
	"the PKCS#12 is AES-256 encrypted"
ev=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r '.events[-1].actor')
assert_eq install "$ev" "an audit row records the install"
sleep 1
rc=0
"$CERTSWEEP" orders verify "$id" --ca-file trust.pem --db "$DB" >verify.out 2>&1 || rc=$?
assert_eq "0 Installed" "$rc $(status_of)" "verify after install: Installed ($(head -c 300 verify.out))"
assert_eq "1 0" "$(open_expiring resolved) $(open_expiring open)" \
	"the old certificate's cert.expiring finding is resolved"
assert_eq verify "$(sqlite3 "$DB" "SELECT name FROM scans ORDER BY id DESC LIMIT 1")" \
	"the rescan is stored as a scan named verify"
cd / || exit 1
finish
