#!/bin/bash
# test_orders_import.sh: the manual and local-CA issuance paths (issue 4, "Issuance"):
# `certsweep orders import ID FILE` and `certsweep orders issue ID --local-ca`. The script
# makes a test CA with openssl, creates orders with `orders new` + `orders csr`, signs each
# CSR with `openssl x509 -req` and imports the result as PEM, DER, PKCS#7 and a CA-style .zip
# (the .crt and the chain in a folder), each on its own order: exit 0, status Issued with CA
# state "Certificate available for download", the audit rows, the stored chain. Refused, with
# the order unchanged: a certificate for another key, one missing a SAN, a corrupt file, a zip
# with no certificate, an unknown order. The local CA: the leaf verifies against the CA
# (openssl verify), carries the order's SANs and key, serverAuth, and the validity is capped
# by --days. No network.
CERTSWEEP=${1:?usage: test_orders_import.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-import.XXXXXX")
cleanup() {
	[ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"
}
trap '_st=$?; cleanup; (exit $_st); _lib_exit' EXIT
cd "$W" || exit 1
DB=$W/inv.db

# ---------------------------------------------------------------- a CA
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >ca.ext
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 \
	-subj "/CN=certsweep import test CA" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout ca.key -out ca.pem 2>/dev/null
[ -s ca.pem ] || { fail "could not make the test CA"; finish; exit 1; }

# new_order CN [SAN...]: creates an order with a P-256 CSR (key order-ID.key); prints its id.
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
		>"$W/order-$_id.csr" 2>/dev/null
	echo "$_id"
}
status_of() {
	"$CERTSWEEP" orders show "$1" --json --db "$DB" | jq -r '[.status, (.ca_state // "none")] | join("/")'
}
n_events() {
	"$CERTSWEEP" orders show "$1" --json --db "$DB" | jq -r '.events | length'
}
stored_of() {
	sqlite3 "$DB" "SELECT COALESCE(issued_pem, '') FROM orders WHERE id = $1"
}
# sign CSR OUT SANS: a CA signature with the given subjectAltName value.
sign() {
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$W/leaf.ext"
	openssl x509 -req -in "$1" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3 \
		-extfile "$W/leaf.ext" -out "$2" 2>/dev/null
}
# import_ok ID FILE WHAT
import_ok() {
	_rc=0
	"$CERTSWEEP" orders import "$1" "$2" --db "$DB" >"$W/out-$1.pem" 2>"$W/err-$1" || _rc=$?
	assert_eq "0 Issued/Certificate available for download" "$_rc $(status_of "$1")" \
		"import of $3 exits 0 and the order is Issued ($(head -c 300 "$W/err-$1"))"
	_fp=$(stored_of "$1" | openssl x509 -noout -fingerprint 2>/dev/null)
	assert_eq "$(openssl x509 -in "$W/leaf-$1.pem" -noout -fingerprint)" "$_fp" \
		"$3: the stored chain starts with the leaf"
	_n=$(stored_of "$1" | grep -c 'BEGIN CERTIFICATE')
	assert_eq 2 "$_n" "$3: the stored chain holds the leaf and the CA"
}
# refused ID FILE WHAT WANT_RC NEEDLE
refused() {
	_before="$(status_of "$1") $(n_events "$1")"
	_rc=0
	_err=$("$CERTSWEEP" orders import "$1" "$2" --db "$DB" 2>&1 >/dev/null) || _rc=$?
	assert_eq "$4" "$_rc" "$3 is refused with exit $4"
	assert_contains "$_err" "$5" "$3: the message says why"
	assert_eq "$_before" "$(status_of "$1") $(n_events "$1")" "$3: the order is unchanged"
	assert_eq "" "$(stored_of "$1")" "$3: nothing is stored"
}

# ---------------------------------------------------------------- PEM (leaf + chain)
id=$(new_order pem.test pem.test www.pem.test)
assert_eq "Processing/none" "$(status_of "$id")" "order $id is Processing with a CSR"
sign "order-$id.csr" "leaf-$id.pem" "DNS:pem.test,DNS:www.pem.test"
cat ca.pem "leaf-$id.pem" >"bundle-$id.pem"       # chain first: the import sorts it
import_ok "$id" "bundle-$id.pem" "a PEM bundle (CA first)"
ev=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r '[.events[] | [.from_status, .to_status, (.to_ca_state // "none"), .actor] | join("|")] | .[-2:] | join(";")')
assert_eq "Processing|Processing|Accepted for automatic processing|manual;Processing|Issued|Certificate available for download|manual" \
	"$ev" "the audit log has the CA acceptance and the Issued rows by manual"
assert_eq "$(openssl x509 -in "leaf-$id.pem" -noout -fingerprint)" \
	"$(openssl x509 -in "out-$id.pem" -noout -fingerprint 2>/dev/null)" "the import prints the chain, leaf first"
assert_status 2 "importing into an Issued order again exits 2" "$CERTSWEEP" orders import "$id" "bundle-$id.pem" --db "$DB"

# ---------------------------------------------------------------- DER (the leaf alone), after manual approval
id=$(new_order der.test der.test)
sign "order-$id.csr" "leaf-$id.pem" "DNS:der.test"
openssl x509 -in "leaf-$id.pem" -outform DER -out "leaf-$id.der"
"$CERTSWEEP" orders status "$id" Processing --ca-state "Waiting for manual approval" --db "$DB" >/dev/null 2>&1
assert_eq "Processing/Waiting for manual approval" "$(status_of "$id")" "order $id waits for manual approval"
rc=0
"$CERTSWEEP" orders import "$id" "leaf-$id.der" --db "$DB" >/dev/null 2>"err-$id" || rc=$?
assert_eq "0 Issued/Certificate available for download" "$rc $(status_of "$id")" "import of a DER leaf exits 0 ($(head -c 200 "err-$id"))"
assert_eq "$(openssl x509 -in "leaf-$id.pem" -noout -fingerprint)" \
	"$(stored_of "$id" | openssl x509 -noout -fingerprint 2>/dev/null)" "DER: the leaf is stored"
ev=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r '[.events[] | (.to_ca_state // "none")] | .[-2:] | join(";")')
assert_eq "Accepted by CA;Certificate available for download" "$ev" "after manual approval the CA state goes through Accepted by CA"

# ---------------------------------------------------------------- PKCS#7
id=$(new_order p7.test p7.test api.p7.test)
sign "order-$id.csr" "leaf-$id.pem" "DNS:p7.test,DNS:api.p7.test"
openssl crl2pkcs7 -nocrl -certfile ca.pem -certfile "leaf-$id.pem" -outform DER -out "chain-$id.p7b"
import_ok "$id" "chain-$id.p7b" "a DER PKCS#7 (.p7b)"

# ---------------------------------------------------------------- the CA's zip
id=$(new_order zip.test zip.test)
sign "order-$id.csr" "leaf-$id.pem" "DNS:zip.test"
mkdir -p "z/zip_test"
cp "leaf-$id.pem" z/zip_test/zip_test.crt
cp ca.pem z/zip_test/My_CA_Bundle.ca-bundle.pem
echo "read me" >z/zip_test/README.txt
python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zip_test/", "")
    for n in sys.argv[2:]:
        z.write(n, n[2:])
' "download-$id.zip" z/zip_test/README.txt z/zip_test/zip_test.crt z/zip_test/My_CA_Bundle.ca-bundle.pem
import_ok "$id" "download-$id.zip" "the CA's .zip (folder, .crt, chain .pem, README)"

# ---------------------------------------------------------------- refusals
id=$(new_order bad.test bad.test www.bad.test)
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bad.test" \
	-keyout other.key -out other.csr 2>/dev/null
sign other.csr other.pem "DNS:bad.test,DNS:www.bad.test"
refused "$id" other.pem "a certificate for another key" 1 "does not match the order"
sign "order-$id.csr" nosan.pem "DNS:bad.test"
refused "$id" nosan.pem "a certificate missing a SAN" 1 "does not match the order"
head -c 300 nosan.pem >corrupt.pem
refused "$id" corrupt.pem "a corrupt PEM file" 2 "corrupt.pem"
printf 'PK\003\004garbage' >corrupt.zip
refused "$id" corrupt.zip "a corrupt zip" 2 "not a readable zip"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("a/readme.txt", "x")' empty.zip
refused "$id" empty.zip "a zip without certificates" 2 "no .crt"
refused "$id" "$W/missing.pem" "a missing file" 2 "missing.pem"
rc=0
err=$("$CERTSWEEP" orders import 999 other.pem --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unknown order exits 2"
assert_contains "$err" "no order 999" "an unknown order is named"
# Once refused, the right certificate is still accepted.
sign "order-$id.csr" "leaf-$id.pem" "DNS:bad.test,DNS:www.bad.test"
cat "leaf-$id.pem" ca.pem >"ok-$id.pem"
import_ok "$id" "ok-$id.pem" "the right certificate after refusals"

# ---------------------------------------------------------------- local CA
id=$(new_order local.test local.test www.local.test)
rc=0
"$CERTSWEEP" orders issue "$id" --local-ca ca.pem --local-ca-key ca.key --days 30 --db "$DB" \
	>"local-$id.pem" 2>"err-$id" || rc=$?
assert_eq "0 Issued/Certificate available for download" "$rc $(status_of "$id")" \
	"orders issue --local-ca exits 0 and the order is Issued ($(head -c 300 "err-$id"))"
if openssl verify -CAfile ca.pem -purpose sslserver "local-$id.pem" >/dev/null 2>&1; then
	pass "the local CA's leaf verifies against the CA (openssl verify, sslserver)"
else
	fail "openssl verify refuses the local CA's leaf: $(openssl verify -CAfile ca.pem "local-$id.pem" 2>&1 | head -c 300)"
fi
sans=$(openssl x509 -in "local-$id.pem" -noout -ext subjectAltName 2>/dev/null | tail -n 1 | tr -d ' ')
assert_eq "DNS:local.test,DNS:www.local.test" "$sans" "the local CA's leaf has the order's SANs"
leaf_pub=$(openssl x509 -in "local-$id.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
key_pub=$(openssl pkey -in "order-$id.key" -pubout -outform DER | sha256sum)
assert_eq "$key_pub" "$leaf_pub" "the local CA's leaf carries the order's key"
text=$(openssl x509 -in "local-$id.pem" -noout -text)
assert_contains "$text" "TLS Web Server Authentication" "the leaf has the serverAuth EKU"
assert_contains "$text" "Digital Signature" "the leaf has keyUsage digitalSignature"
assert_not_contains "$text" "Key Encipherment" "an EC leaf has no keyEncipherment"
assert_contains "$text" "X509v3 Authority Key Identifier" "the leaf has an AKI"
assert_contains "$text" "X509v3 Subject Key Identifier" "the leaf has an SKI"
serial=$(openssl x509 -in "local-$id.pem" -noout -serial | cut -d= -f2)
assert_eq 32 "${#serial}" "the serial is 16 random bytes"
end=$(date -d "$(openssl x509 -in "local-$id.pem" -noout -enddate | cut -d= -f2)" +%s)
days=$(( (end - $(date +%s) + 3600) / 86400 ))
assert_eq 30 "$days" "--days 30 caps the validity"
ev=$("$CERTSWEEP" orders show "$id" --json --db "$DB" | jq -r '.events[-1] | [.to_status, .actor] | join("|")')
assert_eq "Issued|local-ca" "$ev" "the audit row is by local-ca"
# An RSA order: keyEncipherment too; the default validity is the order's duration at most.
"$CERTSWEEP" orders new --cn rsa.test --san rsa.test --duration 20 --db "$DB" >/dev/null 2>&1
rid=$("$CERTSWEEP" orders list --json --db "$DB" | jq -r '[.[] | select(.common_name == "rsa.test")] | last | .id')
"$CERTSWEEP" orders csr "$rid" --key-type rsa2048 --key-out "$W/order-$rid.key" --db "$DB" >/dev/null 2>&1
rc=0
"$CERTSWEEP" orders issue "$rid" --local-ca ca.pem --local-ca-key ca.key --days 300 --db "$DB" \
	>"local-$rid.pem" 2>"err-$rid" || rc=$?
assert_eq 0 "$rc" "the local CA issues for an RSA key ($(head -c 200 "err-$rid"))"
assert_contains "$(openssl x509 -in "local-$rid.pem" -noout -text)" "Key Encipherment" "an RSA leaf has keyEncipherment"
end=$(date -d "$(openssl x509 -in "local-$rid.pem" -noout -enddate | cut -d= -f2)" +%s)
assert_eq 20 "$(( (end - $(date +%s) + 3600) / 86400 ))" "the order's duration (20) caps --days 300"
# Refusals: a key that is not the CA's, a missing option; the order stays unchanged.
lid=$(new_order local2.test local2.test)
before="$(status_of "$lid") $(n_events "$lid")"
assert_status 1 "a CA key that is not the CA certificate's is refused (exit 1)" \
	"$CERTSWEEP" orders issue "$lid" --local-ca ca.pem --local-ca-key other.key --db "$DB"
assert_status 2 "--local-ca without --local-ca-key exits 2" \
	"$CERTSWEEP" orders issue "$lid" --local-ca ca.pem --db "$DB"
assert_eq "$before" "$(status_of "$lid") $(n_events "$lid")" "the refused order is unchanged"

finish
