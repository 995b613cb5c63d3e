#!/bin/bash
# test_orders.sh: `certsweep orders` (the first part of the renewal pipeline, issue 4) end to end
# on the loopback farm: a sweep of the farm's HTTPS endpoints, then `orders sync` must create
# exactly one order per lineage for the endpoints whose findings call for a renewal (expired,
# expiring, expiring20, nonpref, selfsigned, untrusted, sha1, rsa1024), each on its own endpoint
# with its own names; a second sync none. Then an order by hand, manual transitions (a legal
# path, an illegal one that exits 2 and changes nothing), the audit log, JSON output, the
# subcommands not written yet (csr, dcv and dcv-check: test_orders_csr.sh), and bad input: an unknown order, a corrupt and a missing
# database, a duration above the CA/Browser Forum maximum, hostile text in a note.
CERTSWEEP=${1:?usage: test_orders.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"
DB=$W/inv.db

# ---------------------------------------------------------------- sweep the HTTPS endpoints
: >"$W/targets.csv"
for name in $(farm_names https); do
	sni=$(farm_sni "$name")
	[ "$sni" = "-" ] && sni=
	echo "$(farm_addr "$name"),$(farm_port "$name"),$sni," >>"$W/targets.csv"
done
rc=0
"$CERTSWEEP" scan -q --db "$DB" --targets "$W/targets.csv" --ca-file "$FARM_ROOTS" \
	--preferred-ca "$FARM_PREFERRED" --timeout 3s >"$W/scan.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "the sweep of the farm exits 0"

# ---------------------------------------------------------------- sync
RENEW="expired expiring expiring20 nonpref rsa1024 selfsigned sha1 untrusted"
n_renew=$(echo $RENEW | wc -w)

out=$("$CERTSWEEP" orders sync --dry-run --db "$DB" 2>&1) || true
assert_contains "$out" "$n_renew new orders would be created" "sync --dry-run counts $n_renew lineages"
assert_eq 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM orders')" "sync --dry-run writes nothing"

rc=0
out=$("$CERTSWEEP" orders sync --db "$DB" 2>&1) || rc=$?
assert_eq 0 "$rc" "orders sync exits 0"
assert_contains "$out" "$n_renew new orders" "orders sync reports $n_renew new orders"
"$CERTSWEEP" orders list --json --db "$DB" >"$W/list.json"
assert_eq "$n_renew" "$(jq length "$W/list.json")" "exactly $n_renew orders"
assert_eq "$n_renew" "$(jq '[.[] | select(.status == "Waiting for CSR" and .created_by == "sync")] | length' "$W/list.json")" \
	"every synced order is Waiting for CSR, created by sync"

# One lineage per endpoint: its own names and its own endpoint.
for name in $RENEW; do
	port=$(farm_port "$name")
	addr=$(farm_addr "$name")
	id=$(jq -r --arg n "$name.test" '[.[] | select(.sans | index($n))][0].id // empty' "$W/list.json")
	if [ -z "$id" ]; then
		fail "$name: no order names $name.test"
		continue
	fi
	show=$("$CERTSWEEP" orders show "$id" --json --db "$DB")
	assert_eq "$addr:$port" "$(jq -r '[.endpoints[] | "\(.ip):\(.port)"] | join(" ")' <<<"$show")" \
		"$name: order $id is for its endpoint only"
	ep=$(sqlite3 "$DB" "SELECT id FROM endpoints WHERE port = $port")
	assert_eq "$(jq -r '.sans | map(ascii_downcase) | sort | join(",")' <<<"$show")|$ep" \
		"$(jq -r .lineage_key <<<"$show")" "$name: lineage key is its sorted names and endpoint"
	want=$(farm_expected "$name" | tr ' ' '\n' | grep -E '^(cert\.(expired|expiring|weak_key|weak_signature)|issuer\.non_preferred)$' | sort | paste -sd' ')
	got=$(jq -r '[.reason[] | sub("#.*"; "")] | unique | join(" ")' <<<"$show")
	assert_eq "$want" "$got" "$name: the reason lists its findings"
	assert_eq true "$(jq '.certificate_id != null and .duration_days == 200' <<<"$show")" \
		"$name: replaces the served certificate, 200 days (SC081 in 2026)"
done
for name in good ecdsa wronghost longlife incomplete expiredint; do
	assert_eq 0 "$(jq --arg n "$name.test" '[.[] | select(.sans | index($n))] | length' "$W/list.json")" \
		"$name: no order"
done

out=$("$CERTSWEEP" orders sync --db "$DB" 2>&1) || true
assert_contains "$out" "0 new orders" "a second sync creates nothing"
assert_eq "$n_renew" "$(sqlite3 "$DB" 'SELECT count(*) FROM orders')" "still $n_renew orders"

# ---------------------------------------------------------------- by hand
good=$(farm_target good)
rc=0
out=$("$CERTSWEEP" orders new --cn www.orders.test --san api.orders.test --endpoint "$good" \
	--product "Sectigo PositiveSSL" --duration 90 --ca-profile comodo --db "$DB" 2>&1) || rc=$?
assert_eq 0 "$rc" "orders new exits 0"
id=$(sed -n 's/^order \([0-9]*\) created.*/\1/p' <<<"$out")
assert_eq $((n_renew + 1)) "$id" "orders new prints the new id"
show=$("$CERTSWEEP" orders show "$id" --json --db "$DB")
assert_eq '["www.orders.test","api.orders.test"] 90 "comodo" "Sectigo PositiveSSL" "manual"' \
	"$(jq -c '.sans' <<<"$show") $(jq -c '.duration_days, .ca_profile, .product, .created_by' <<<"$show" | paste -sd' ')" \
	"orders new records names, duration, profile, product, creator"
assert_eq "$(farm_port good)" "$(jq '.endpoints[0].port' <<<"$show")" "orders new links the endpoint"

rc=0
err=$("$CERTSWEEP" orders new --cn api.orders.test --san www.orders.test --endpoint "$good" --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "the same lineage again exits 2"
assert_contains "$err" "order $id is already open for this lineage" "... and names the open order"
rc=0
err=$("$CERTSWEEP" orders new --cn x.orders.test --duration 201 --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "a duration above the CA/B maximum exits 2"
assert_contains "$err" "201 days is above the CA/Browser Forum maximum of 200 days" "... with the limit"
rc=0
err=$("$CERTSWEEP" orders new --cn x.orders.test --endpoint 127.0.0.1:1 --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "an endpoint not in the inventory exits 2"
assert_contains "$err" "no endpoint 127.0.0.1:1 in the inventory" "... with a clear message"
assert_status 2 "--ca-profile other exits 2" "$CERTSWEEP" orders new --cn y.orders.test --ca-profile other --db "$DB"
assert_status 2 "a name with a space exits 2" "$CERTSWEEP" orders new --cn "a b" --db "$DB"

# ---------------------------------------------------------------- transitions
rc=0
"$CERTSWEEP" orders status "$id" processing --ca-state "Accepted for automatic processing" \
	--note "submitted to the portal" --db "$DB" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "Waiting for CSR -> Processing (CA: Accepted for automatic processing)"
rc=0
"$CERTSWEEP" orders status "$id" Processing --ca-state accepted-by-ca --db "$DB" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "CA state only: -> Accepted by CA"
"$CERTSWEEP" orders status "$id" "Awaiting payment" --db "$DB" >/dev/null 2>&1
rc=0
"$CERTSWEEP" orders status "$id" Issued --ca-state "Certificate available for download" --db "$DB" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "Awaiting payment -> Issued"
before=$(sqlite3 "$DB" "SELECT status, updated_at FROM orders WHERE id = $id; SELECT count(*) FROM order_events WHERE order_id = $id")
rc=0
err=$("$CERTSWEEP" orders status "$id" "Waiting for CSR" --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "Issued -> Waiting for CSR exits 2"
assert_eq "certsweep: order $id: cannot go from Issued to Waiting for CSR" "$err" "... with a clear message"
assert_eq "$before" "$(sqlite3 "$DB" "SELECT status, updated_at FROM orders WHERE id = $id; SELECT count(*) FROM order_events WHERE order_id = $id")" \
	"... and leaves the order and its log unchanged"
rc=0
err=$("$CERTSWEEP" orders status "$id" Done --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unknown status exits 2"
assert_contains "$err" 'unknown status "Done"' "... and says so"

# Hostile text in a note is stored as given and printed terminal-safe.
"$CERTSWEEP" orders cancel 1 --note "$(printf 'dup\033[31m')" --db "$DB" >/dev/null 2>&1
"$CERTSWEEP" orders show 1 --db "$DB" >"$W/show1.txt"
if grep -q $'\033' "$W/show1.txt"; then fail "an ESC byte reached the terminal"; else pass "notes are printed terminal-safe"; fi
assert_contains "$(cat "$W/show1.txt")" 'dup\x1b[31m' "... as a visible escape"
assert_eq Cancelled "$("$CERTSWEEP" orders show 1 --json --db "$DB" | jq -r .status)" "orders cancel"
rc=0
err=$("$CERTSWEEP" orders cancel 1 --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "cancelling a cancelled order exits 2"
assert_contains "$err" "cannot change a cancelled order" "... with a clear message"

# The audit log: the creation and every transition, in order.
log=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -c '[.events[] | [.from_status, .to_status, .to_ca_state]]')
assert_eq '[[null,"Waiting for CSR",null],["Waiting for CSR","Processing","Accepted for automatic processing"],["Processing","Processing","Accepted by CA"],["Processing","Awaiting payment","Accepted by CA"],["Awaiting payment","Issued","Certificate available for download"]]' \
	"$log" "the audit log lists every transition"
txt=$("$CERTSWEEP" orders show "$id" --db "$DB")
assert_contains "$txt" "Awaiting payment -> Issued; CA: Accepted by CA -> Certificate available for download" "show prints the log"
assert_contains "$txt" "(submitted to the portal)" "show prints the notes"

# After a cancel, sync orders the still-open lineage again (one open order per lineage).
out=$("$CERTSWEEP" orders sync --db "$DB" 2>&1) || true
assert_contains "$out" "1 new order " "a cancelled lineage with open findings is ordered again"

# ---------------------------------------------------------------- list, JSON
if "$CERTSWEEP" orders list --json --db "$DB" | jq -e 'type == "array"' >/dev/null; then
	pass "orders list --json is valid JSON"
else
	fail "orders list --json is not valid JSON"
fi
assert_eq 1 "$("$CERTSWEEP" orders list --status issued --json --db "$DB" | jq length)" "list --status filters"
assert_eq 1 "$("$CERTSWEEP" orders list --status Cancelled --json --db "$DB" | jq length)" "list --status Cancelled"
assert_eq "1 Cancelled" "$("$CERTSWEEP" orders list --db "$DB" | awk '$1 == 1 { print $1, $2 }')" "the text list shows each order's status"
assert_status 2 "list --status bogus exits 2" "$CERTSWEEP" orders list --status bogus --db "$DB"

# ---------------------------------------------------------------- not yet, bad input
rc=0
err=$("$CERTSWEEP" orders issue 1 --db "$DB" 2>&1) || rc=$?
assert_eq "2 certsweep: orders issue: --acme DIRECTORY_URL or --local-ca CA_CERT is required" \
	"$rc $err" "orders issue without --acme exits 2 (test_acme.sh tests ACME, test_orders_import.sh the local CA)"
# orders import: tests/integration/test_orders_import.sh; without FILE it is a usage error.
assert_status 2 "orders import without FILE exits 2" "$CERTSWEEP" orders import 1 --db "$DB"
# orders install / verify: tests/integration/test_orders_e2e.sh; an order that is not Issued is refused.
rc=0
err=$("$CERTSWEEP" orders install 1 --db "$DB" --fullchain "$W/unused.pem" 2>&1) || rc=$?
assert_eq 2 "$rc" "orders install on an order that is not Issued exits 2"
assert_contains "$err" "only an Issued order is installed" "... with a message"
rc=0
err=$("$CERTSWEEP" orders verify 1 --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "orders verify on an order that is not Issued exits 2"
assert_contains "$err" "certsweep:" "... with a message"
rc=0
err=$("$CERTSWEEP" orders show 999 --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unknown order exits 2"
assert_contains "$err" "no order 999 in" "... with a clear message"
rc=0
err=$("$CERTSWEEP" orders status 999 Processing --db "$DB" 2>&1) || rc=$?
assert_contains "$rc $err" "2 certsweep: no order 999" "status of an unknown order exits 2"
assert_status 2 "a non-numeric id exits 2" "$CERTSWEEP" orders show abc --db "$DB"
assert_status 2 "an unknown subcommand exits 2" "$CERTSWEEP" orders frobnicate

head -c 8192 /dev/urandom >"$W/corrupt.db"
sum=$(sha256sum <"$W/corrupt.db")
rc=0
err=$("$CERTSWEEP" orders list --db "$W/corrupt.db" 2>&1) || rc=$?
assert_eq 3 "$rc" "a corrupt database exits 3"
assert_contains "$err" "corrupt.db is not an SQLite database" "... with a clear message"
assert_eq "$sum" "$(sha256sum <"$W/corrupt.db")" "... and is left untouched"
rc=0
err=$("$CERTSWEEP" orders sync --db "$W/missing.db" 2>&1) || rc=$?
assert_eq 3 "$rc" "a missing database exits 3"
assert_contains "$err" "no such database" "... with a clear message"
[ -e "$W/missing.db" ] && fail "sync created a database" || pass "sync creates no database"

finish
