#!/bin/bash
# test_analyze_file.sh: `certsweep analyze --file` end to end, offline. No farm and no network:
# the openssl CLI makes a small PKI in a temporary folder (a root, an intermediate, a leaf for
# www.analyze.test, an expired leaf signed with `openssl ca`, a leaf for another host, a leaf whose
# subject holds an ESC byte) and bundles it in every format: PEM (right order, wrong order, with
# the key and text around), DER, PKCS#7 in DER and PEM, PKCS#12 with a password, without one, and
# with OpenSSL 1.x's legacy RC2-40 encryption.
#
# Asserts: exit codes (0 trusted, 1 not trusted or a finding at/above --fail-on, 2 bad input),
# the verdict and finding IDs in the text report, the --json fields with jq, --at in the future
# expiring the leaf and inside the expiring window, --ca-path, standard input, passwords from a
# file and from the environment, terminal safety with hostile names, the error messages for bad
# files, and that no AF_INET/AF_INET6 socket is ever opened (strace; and a run in an empty network
# namespace gives the same answer).
CERTSWEEP=${1:?usage: test_analyze_file.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl CLI not installed"
command -v jq >/dev/null || skip_all "jq not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-analyze.XXXXXX")
# lib.sh's EXIT trap reports a script that dies early; remove the folder first, keep its status.
trap '_st0=$?; rm -rf "$W"; (exit $_st0); _lib_exit' EXIT
cd "$W" || exit 1

HOST=www.analyze.test
ORG='certsweep analyze test'
ESC=$(printf '\033')

# ---------------------------------------------------------------- the PKI
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
		-out root.pem -subj "/O=$ORG/CN=Analyze Test Root" -days 3650 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' 'keyUsage=critical,keyCertSign,cRLSign' \
		'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >ca.ext
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key \
		-out inter.csr -subj "/O=$ORG/CN=Analyze Test Intermediate"
	openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 \
		-extfile ca.ext -out inter.pem
	leaf() { # name subject-cn san days
		printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
			'extendedKeyUsage=serverAuth' "subjectAltName=$3" 'subjectKeyIdentifier=hash' \
			'authorityKeyIdentifier=keyid' >"$1.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
			-out "$1.csr" -utf8 -subj "/O=$ORG/CN=$2"
		openssl x509 -req -in "$1.csr" -CA inter.pem -CAkey inter.key -CAcreateserial \
			-days "$4" -extfile "$1.ext" -out "$1.pem"
	}
	leaf leaf "$HOST" "DNS:$HOST" 90
	leaf other www.other.test DNS:www.other.test 90
	leaf evil "evil${ESC}[31mred" "DNS:evil.analyze.test" 90
	# Expired: `openssl ca` is the CLI that takes explicit dates.
	mkdir -p ca && : >ca/index.txt && echo 1000 >ca/serial
	cat >ca.cnf <<-EOF
	[ca]
	default_ca = cs
	[cs]
	dir = ./ca
	database = \$dir/index.txt
	serial = \$dir/serial
	new_certs_dir = \$dir
	default_md = sha256
	policy = any
	unique_subject = no
	[any]
	commonName = supplied
	organizationName = optional
	EOF
	openssl ca -batch -config ca.cnf -extfile leaf.ext -cert inter.pem -keyfile inter.key \
		-in leaf.csr -startdate 20250101000000Z -enddate 20250301000000Z -notext -out expired.pem
} >pki.log 2>&1 || { cat pki.log; fail "the test PKI could not be made"; finish; exit 1; }

cat leaf.pem inter.pem >chain.pem
cat inter.pem leaf.pem >wrong-order.pem
cat expired.pem inter.pem >expired-chain.pem
cat other.pem inter.pem >other-chain.pem
cat evil.pem inter.pem >evil-chain.pem
cp evil-chain.pem "evil${ESC}[2Jname.pem"
{ echo "Bag Attributes: friendlyName: leaf"; cat leaf.pem leaf.key inter.pem; } >with-key.pem
openssl x509 -in leaf.pem -outform DER -out leaf.der
openssl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out chain.p7b
openssl crl2pkcs7 -nocrl -certfile chain.pem -out chain-p7.pem
openssl pkcs12 -export -inkey leaf.key -in leaf.pem -certfile inter.pem -passout pass:'s3cret pw' \
	-out chain.p12
openssl pkcs12 -export -inkey leaf.key -in leaf.pem -certfile inter.pem -passout pass: -out nopass.p12
legacy=1
openssl pkcs12 -export -legacy -inkey leaf.key -in leaf.pem -certfile inter.pem -passout pass:old \
	-out legacy.p12 2>/dev/null || legacy=0
printf 's3cret pw\n' >pw.txt
mkdir -p capath && cp root.pem capath/ && openssl rehash capath 2>/dev/null || c_rehash capath >/dev/null 2>&1

COMMON=(--ca-file root.pem --preferred-ca "$ORG")

# run ARGS...: sets OUT (stdout), ERR (stderr) and RC.
run() {
	RC=0
	OUT=$("$CERTSWEEP" analyze "$@" 2>err.txt) || RC=$?
	ERR=$(cat err.txt)
}

# json FILTER: jq over the last OUT.
json() {
	jq -r "$1" <<<"$OUT"
}

# ---------------------------------------------------------------- a good chain, every format
run --file chain.pem --host "$HOST" "${COMMON[@]}"
assert_eq 0 "$RC" "good PEM chain: exit 0"
assert_contains "$OUT" "TRUSTED: the chain verifies to a trusted root and the leaf covers $HOST" "good PEM: verdict"
assert_contains "$OUT" "format        pem, 2 certificates" "good PEM: format line"
assert_contains "$OUT" "subject    CN=$HOST,O=$ORG" "good PEM: leaf subject"
assert_contains "$OUT" "issuer     CN=Analyze Test Intermediate,O=$ORG" "good PEM: leaf issuer"
assert_contains "$OUT" "key        EC 256 bits (prime256v1)" "good PEM: key"
assert_contains "$OUT" "signature  ecdsa-with-SHA256" "good PEM: signature"
assert_contains "$OUT" "SANs       DNS:$HOST" "good PEM: SANs"
sha=$(openssl x509 -in leaf.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
assert_contains "$OUT" "SHA-256    $sha" "good PEM: leaf SHA-256"
assert_contains "$OUT" "Findings: none" "good PEM: no findings"

run --file chain.pem --host "$HOST" "${COMMON[@]}" --json
assert_eq 0 "$RC" "good PEM --json: exit 0"
assert_eq "chain.pem|pem|$HOST|true|null|true|true|2|0|null" \
	"$(json '[.file, .format, .host, .trusted, .verify_error, .hostname_ok, .preferred, (.chain | length), (.findings | length), .key_matches] | map(tostring) | join("|")')" \
	"good PEM --json: top-level fields"
assert_eq "$sha" "$(json '.chain[0].sha256')" "good PEM --json: chain[0] is the leaf"
assert_eq "0 1" "$(json '[.chain[].file_position] | map(tostring) | join(" ")')" "good PEM --json: file positions"
assert_eq "CN=Analyze Test Intermediate,O=$ORG" "$(json '.chain[1].subject')" "good PEM --json: intermediate"
assert_eq "true" "$(json '.chain[1].is_ca and (.chain[0].sans == ["DNS:'"$HOST"'"])')" "good PEM --json: chain fields as in NDJSON"
assert_eq "true" "$(json '.at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")')" "good PEM --json: at is ISO 8601"
assert_eq "true" "$(json '.days_left >= 88 and .days_left <= 90')" "good PEM --json: days_left"

for f in chain.p7b chain-p7.pem; do
	run --file "$f" --host "$HOST" "${COMMON[@]}" --json
	assert_eq "0 pkcs7 true 2 $sha" "$RC $(json '.format') $(json '.trusted') $(json '.chain | length') $(json '.chain[0].sha256')" \
		"$f: PKCS#7, trusted, leaf first"
done

run --file chain.p12 --password-file pw.txt --host "$HOST" "${COMMON[@]}" --json
assert_eq "0 pkcs12 true true $sha" "$RC $(json '.format') $(json '.trusted') $(json '.key_matches') $(json '.chain[0].sha256')" \
	"PKCS#12, password from a file: trusted, the key's certificate first"
PW='s3cret pw' run --file chain.p12 --password-env PW --host "$HOST" "${COMMON[@]}"
assert_eq 0 "$RC" "PKCS#12, password from the environment: exit 0"
assert_contains "$OUT" "private key   matches the leaf" "PKCS#12: key line"
run --file chain.p12 --host "$HOST" "${COMMON[@]}"
assert_eq 2 "$RC" "PKCS#12 without its password: exit 2"
assert_contains "$ERR" "protected by a password: give it with --password-file or --password-env" "PKCS#12 without password: message"
printf 'nope\n' >bad-pw.txt
run --file chain.p12 --password-file bad-pw.txt "${COMMON[@]}"
assert_eq 2 "$RC" "PKCS#12 with a wrong password: exit 2"
assert_contains "$ERR" "wrong password for the PKCS#12 file" "PKCS#12 wrong password: message"
run --file nopass.p12 --host "$HOST" "${COMMON[@]}" --json
assert_eq "0 pkcs12 true" "$RC $(json '.format') $(json '.trusted')" "PKCS#12 with the empty password: no password needed"
if [ "$legacy" = 1 ]; then
	PW=old run --file legacy.p12 --password-env PW --host "$HOST" "${COMMON[@]}" --json
	assert_eq "0 pkcs12 true $sha" "$RC $(json '.format') $(json '.trusted') $(json '.chain[0].sha256')" \
		"PKCS#12 with legacy RC2-40 encryption"
fi

run --file with-key.pem --host "$HOST" "${COMMON[@]}" --json
assert_eq "0 pem 2" "$RC $(json '.format') $(json '.chain | length')" "PEM with a private key and text: the key is skipped"

run --file - --host "$HOST" "${COMMON[@]}" --json <chain.pem
assert_eq "0 - true" "$RC $(json '.file') $(json '.trusted')" "standard input"

run --file chain.pem --host "$HOST" --ca-path capath --preferred-ca "$ORG" --json
assert_eq "0 true" "$RC $(json '.trusted')" "--ca-path"

# The DER leaf alone: its intermediate is missing.
run --file leaf.der --host "$HOST" "${COMMON[@]}"
assert_eq 1 "$RC" "DER leaf alone: exit 1 (not trusted)"
assert_contains "$OUT" "format        der, 1 certificate" "DER: format"
assert_contains "$OUT" "NOT TRUSTED" "DER leaf alone: verdict"
assert_contains "$OUT" "chain.incomplete" "DER leaf alone: chain.incomplete"

# Without the policy option the default (Comodo/Sectigo) flags the test CA, at medium: still 0.
run --file chain.pem --host "$HOST" --ca-file root.pem
assert_eq 0 "$RC" "non-preferred issuer (medium) is below the default --fail-on high"
assert_contains "$OUT" "issuer.non_preferred" "non-preferred issuer: finding"
run --file chain.pem --host "$HOST" --ca-file root.pem --fail-on medium
assert_eq 1 "$RC" "--fail-on medium: exit 1"

# ---------------------------------------------------------------- problems
run --file wrong-order.pem --host "$HOST" "${COMMON[@]}"
assert_eq 0 "$RC" "wrong order: trusted, and chain.order (medium) is below --fail-on high"
assert_contains "$OUT" "TRUSTED" "wrong order: verdict"
assert_contains "$OUT" "[0] leaf (certificate 2 of the file)" "wrong order: file position shown"
assert_contains "$OUT" "chain.order [0]" "wrong order: chain.order"
assert_contains "$OUT" "the leaf \"$HOST\" is certificate 2 of the file, not the first" "wrong order: message in the file's terms"
run --file wrong-order.pem --host "$HOST" "${COMMON[@]}" --json
assert_eq "1 medium 0" "$(json '[.findings[] | select(.id == "chain.order")] | "\(length) \(.[0].severity) \(.[0].cert_position)"')" \
	"wrong order --json: one chain.order finding, medium, on the leaf"
assert_eq "1 0" "$(json '[.chain[].file_position] | map(tostring) | join(" ")')" \
	"wrong order --json: the leaf was file position 1"
run --file wrong-order.pem --host "$HOST" "${COMMON[@]}" --fail-on medium
assert_eq 1 "$RC" "wrong order with --fail-on medium: exit 1"
run --file chain.p7b --host "$HOST" "${COMMON[@]}" --json
assert_eq 0 "$(json '[.findings[] | select(.id == "chain.order")] | length')" "PKCS#7: no order finding (a container)"

run --file expired-chain.pem --host "$HOST" "${COMMON[@]}"
assert_eq 1 "$RC" "expired leaf: exit 1"
assert_contains "$OUT" "NOT TRUSTED" "expired leaf: verdict"
assert_contains "$OUT" "the chain does not verify against the trust store: certificate has expired" "expired leaf: reason"
assert_contains "$OUT" "critical  cert.expired [0]" "expired leaf: cert.expired, critical"
assert_contains "$OUT" "(EXPIRED " "expired leaf: validity line"
run --file expired-chain.pem --host "$HOST" "${COMMON[@]}" --json
assert_eq "false|certificate has expired|cert.expired" \
	"$(json '[.trusted, .verify_error, .findings[0].id] | map(tostring) | join("|")')" "expired leaf --json"

run --file other-chain.pem --host "$HOST" "${COMMON[@]}"
assert_eq 1 "$RC" "leaf for another host: exit 1"
assert_contains "$OUT" "the leaf does not cover the host name \"$HOST\"" "other host: reason"
assert_contains "$OUT" "cert.hostname_mismatch" "other host: finding"
run --file other-chain.pem --host "$HOST" "${COMMON[@]}" --json
assert_eq "false null false" "$(json '.trusted') $(json '.verify_error') $(json '.hostname_ok')" "other host --json: chain fine, name not"
run --file other-chain.pem --host www.other.test "${COMMON[@]}"
assert_eq 0 "$RC" "the same chain for its own host: exit 0"
run --file chain.pem "${COMMON[@]}" --json
assert_eq "null null true" "$(json '.host') $(json '.hostname_ok') $(json '.trusted')" "no --host: name not checked"

# ---------------------------------------------------------------- --at
not_after=$(openssl x509 -in leaf.pem -noout -enddate | sed 's/notAfter=//')
na_epoch=$(date -u -d "$not_after" +%s)
later=$(date -u -d "@$((na_epoch + 86400 * 10))" +%Y-%m-%d)
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at "$later" --json
assert_eq "1 false ${later}T00:00:00Z cert.expired" "$RC $(json '.trusted') $(json '.at') $(json '.findings[0].id')" \
	"--at after the leaf's expiry: expired, not trusted"
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at "$((na_epoch + 86400 * 10))" --json
assert_eq "1 cert.expired" "$RC $(json '.findings[0].id')" "--at as unix seconds"
soon=$(date -u -d "@$((na_epoch - 86400 * 20))" +%Y-%m-%dT%H:%M:%SZ)
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at "$soon" --json
assert_eq "1 true cert.expiring high 20" "$RC $(json '.trusted') $(json '.findings[0].id') $(json '.findings[0].severity') $(json '.days_left')" \
	"--at 20 days before expiry: trusted, cert.expiring high, exit 1"
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at "$soon" --fail-on critical
assert_eq 0 "$RC" "--at 20 days before expiry with --fail-on critical: exit 0"
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at "$soon" --fail-on none
assert_eq 0 "$RC" "--fail-on none: exit 0"
run --file chain.pem --host "$HOST" "${COMMON[@]}" --at 2027-01-31T12:00:00+02:00 --json
assert_eq "2027-01-31T10:00:00Z" "$(json '.at')" "--at with an offset"
# Before the test CA existed, inside the expired leaf's validity: not expired then, but its CAs
# were not valid yet.
run --file expired-chain.pem --host "$HOST" "${COMMON[@]}" --at 2025-02-01 --json
assert_eq "1 false certificate is not yet valid 0 1" \
	"$RC $(json '.trusted') $(json '.verify_error') $(json '[.findings[] | select(.id == "cert.expired")] | length') $(json '[.findings[] | select(.id == "cert.expiring")] | length')" \
	"--at in the past: judged then (CA not yet valid, the leaf expiring, not expired)"
for bad in 2027-02-30 2027-13-01 tomorrow 2027-01-31T25:00Z 0 1969-12-31; do
	run --file chain.pem --at "$bad" "${COMMON[@]}"
	assert_eq 2 "$RC" "--at $bad: exit 2"
done
assert_contains "$ERR" "--at: \"1969-12-31\" is not a time after 1970" "--at: message"

# ---------------------------------------------------------------- terminal safety
run --file "evil${ESC}[2Jname.pem" "${COMMON[@]}"
assert_eq 0 "$RC" "hostile names: exit 0"
assert_not_contains "$OUT" "$ESC" "hostile names: no ESC byte reaches the terminal"
assert_contains "$OUT" 'evil\x1b[2Jname.pem' "hostile file name shown escaped"
assert_contains "$OUT" 'subject    CN=evil\' "hostile subject shown escaped"
run --file "evil${ESC}[2Jname.pem" "${COMMON[@]}" --json
assert_eq "true" "$(json '(.chain[0].subject | test("evil")) and (.file | test("name.pem$"))')" "hostile names: valid JSON"
run --file "missing${ESC}[2J.pem"
assert_not_contains "$ERR" "$ESC" "hostile name in an error message: escaped"

# ---------------------------------------------------------------- bad input
run --file does-not-exist.pem
assert_eq 2 "$RC" "missing file: exit 2"
assert_contains "$ERR" "does-not-exist.pem: no such file" "missing file: message"
: >empty.pem
run --file empty.pem
assert_eq "2" "$RC" "empty file: exit 2"
assert_contains "$ERR" "empty.pem: empty file" "empty file: message"
echo "just some text" >text.txt
run --file text.txt
assert_contains "$RC $ERR" "2 certsweep: analyze: text.txt: not a certificate file" "text file: exit 2, message"
sed '2s/^..../!!!!/' leaf.pem >corrupt.pem
run --file corrupt.pem
assert_contains "$RC $ERR" "2 certsweep: analyze: corrupt.pem: corrupt PEM: block 1" "corrupt PEM: exit 2, message"
head -c 200 leaf.der >trunc.der
run --file trunc.der
assert_contains "$RC $ERR" "2 certsweep: analyze: trunc.der: certificate 1: corrupt DER" "truncated DER: exit 2, message"
run --file leaf.key
assert_contains "$RC $ERR" "no certificate in the PEM data (blocks found: PRIVATE KEY)" "key only: message"
assert_eq 2 "$RC" "key only: exit 2"
truncate -s $((10 * 1024 * 1024 + 1)) huge.pem
run --file huge.pem
assert_contains "$RC $ERR" "2 certsweep: analyze: huge.pem: larger than 10 MB" "file over 10 MB: refused"
run --file .
assert_contains "$RC $ERR" "is a directory" "a directory: refused"
run --file chain.pem --ca-file does-not-exist-roots.pem
assert_eq 2 "$RC" "unreadable --ca-file: exit 2"
run --file chain.pem --password-file pw.txt --password-env PW
assert_eq 2 "$RC" "both password options: exit 2"
run --file chain.p12 --password-env CERTSWEEP_TEST_UNSET_VAR
assert_contains "$RC $ERR" "2 certsweep: --password-env: the variable CERTSWEEP_TEST_UNSET_VAR is not set" "unset --password-env"
run
assert_eq 2 "$RC" "no --file and no host: exit 2"
run --file chain.pem 127.0.0.1
assert_eq 2 "$RC" "--file and a host together: exit 2"
run --no-db 127.0.0.1:1
assert_contains "$RC $ERR" "1 certsweep: 127.0.0.1:1: refused" "network mode: a closed port is reported, exit 1"
run --help
assert_contains "$RC $OUT" "0 usage: certsweep analyze --file CHAIN" "--help"
assert_contains "$("$CERTSWEEP" --help)" "analyze" "the command is listed"

# ---------------------------------------------------------------- no network
if command -v strace >/dev/null && strace -f -qq -e trace=socket,connect -o /dev/null true 2>/dev/null; then
	rc=0
	# LeakSanitizer cannot run under ptrace: off for this run of an ASan build.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=socket,connect -o trace.txt "$CERTSWEEP" analyze --file chain.p12 \
		--password-file pw.txt --host "$HOST" "${COMMON[@]}" >/dev/null 2>&1 || rc=$?
	assert_eq 0 "$rc" "under strace: exit 0"
	assert_eq 0 "$(grep -cE 'AF_INET|PF_INET|AF_NETLINK' trace.txt)" "no Internet socket is opened"
else
	echo "skip - strace unavailable: socket trace not checked"
fi
if unshare -n true 2>/dev/null || unshare -rn true 2>/dev/null; then
	flag=-n
	unshare -n true 2>/dev/null || flag=-rn
	rc=0
	out=$(unshare $flag "$CERTSWEEP" analyze --file chain.pem --host "$HOST" "${COMMON[@]}" --json) || rc=$?
	assert_eq "0 true" "$rc $(jq -r .trusted <<<"$out")" "in an empty network namespace: the same verdict"
else
	echo "skip - no network namespace here: offline run not checked"
fi

finish
