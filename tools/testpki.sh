#!/bin/sh
# testpki.sh: builds the test PKI for the loopback TLS farm with the openssl CLI.
#
#   sh tools/testpki.sh OUTDIR          generate (or reuse) the PKI, (re)write OUTDIR/expected.tsv
#   sh tools/testpki.sh --layout        print the endpoint layout table
#   sh tools/testpki.sh --expected FILE write FILE as OUTDIR/expected.tsv would be (farm.sh)
#
# Certificates are issued with `openssl ca`, because only it sets arbitrary notBefore/notAfter
# on OpenSSL 3.0 (x509 -req has -days only): that is how the expired, expiring and not-yet-valid
# leaves get their dates. Dates are relative to the time of generation, so a PKI is reused only
# while OUTDIR/.done carries the same version stamp and is less than a day old; otherwise it is
# rebuilt in a scratch folder and moved into place, .done written last, under flock(1) on
# OUTDIR/.lock so that concurrent callers sharing OUTDIR wait for one generator.
#
# CAs (all RSA 2048, so a leaf can carry sha1WithRSAEncryption):
#   certsweep Test Root CA -> certsweep Test Intermediate CA          O=certsweep Test Org
#   certsweep Preferred Test Root CA -> certsweep Preferred Test CA   O=certsweep Preferred Test Org
#     \-> certsweep Preferred Expired Intermediate CA (expired 10 days ago)
#   certsweep Untrusted Test Root CA -> ... Intermediate CA           (NOT in roots.pem)
# OUTDIR/roots.pem holds the Test and Preferred roots: scans use --ca-file OUTDIR/roots.pem
# --preferred-ca 'certsweep Preferred Test Org'. Every problem leaf comes from the preferred
# intermediate so that it shows exactly its own problem; only `nonpref`, `selfsigned` and
# `untrusted` are not preferred.
#
# Per leaf NAME: NAME.key, NAME.crt, NAME.fullchain.pem (what the server presents, leaf first).
# Every leaf but wronghost carries IP:127.0.0.1 (ipv6: IP:::1) besides DNS:NAME.test, so the
# expectations hold whether a scan names the host (SNI NAME.test) or only the address.
#
# expected.tsv (tab-separated, '#' header, '-' for an empty field), one line per TLS endpoint:
#   name addr port findings severity sni starttls cert
# findings: the finding IDs (space-separated) the analyzer must produce, no more, no fewer
# (info-severity findings aside). severity: "id=severity" pairs pinned by the spec, or '-'.
# Ports are CERTSWEEP_FARM_BASE (default 20400) + offset; the file is rewritten on every run.
set -eu

PKI_VERSION=1
PKI_MAX_AGE=86400

die() {
	echo "testpki: $*" >&2
	exit 1
}

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$HERE/common.sh"

# name|offset|addr|sni|starttls|findings|severity|cert. Offsets 0-29 only: farm.sh uses 30+.
layout() {
	cat <<'EOF'
good|0|127.0.0.1|good.test|-|-|-|good
nonpref|1|127.0.0.1|nonpref.test|-|issuer.non_preferred|-|nonpref
expired|2|127.0.0.1|expired.test|-|cert.expired|-|expired
expiring|3|127.0.0.1|expiring.test|-|cert.expiring|cert.expiring=critical|expiring
expiring20|4|127.0.0.1|expiring20.test|-|cert.expiring|cert.expiring=high|expiring20
notyet|5|127.0.0.1|notyet.test|-|cert.not_yet_valid|-|notyet
selfsigned|6|127.0.0.1|selfsigned.test|-|cert.self_signed issuer.non_preferred|-|selfsigned
wronghost|7|127.0.0.1|wronghost.test|-|cert.hostname_mismatch|-|wronghost
incomplete|8|127.0.0.1|incomplete.test|-|chain.incomplete|-|incomplete
wrongorder|9|127.0.0.1|wrongorder.test|-|chain.order|-|wrongorder
sha1|10|127.0.0.1|sha1.test|-|cert.weak_signature|-|sha1
rsa1024|11|127.0.0.1|rsa1024.test|-|cert.weak_key|-|rsa1024
ecdsa|12|127.0.0.1|ecdsa.test|-|-|-|ecdsa
ipv6|13|::1|ipv6.test|-|-|-|ipv6
expiredint|14|127.0.0.1|expiredint.test|-|chain.expired_intermediate|-|expiredint
longlife|15|127.0.0.1|longlife.test|-|cert.lifetime_too_long|-|longlife
untrusted|16|127.0.0.1|untrusted.test|-|chain.untrusted issuer.non_preferred|-|untrusted
smtp|20|127.0.0.1|mail.test|smtp|-|-|mail
imap|21|127.0.0.1|mail.test|imap|-|-|mail
pop3|22|127.0.0.1|mail.test|pop3|-|-|mail
EOF
}

write_expected() {
	base=$(farm_base)
	tab=$(printf '\t')
	{
		echo "# name${tab}addr${tab}port${tab}findings${tab}severity${tab}sni${tab}starttls${tab}cert"
		layout | while IFS='|' read -r name off addr sni stls findings sev cert; do
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$addr" "$((base + off))" \
				"$findings" "$sev" "$sni" "$stls" "$cert"
		done
	} >"$1.tmp.$$"
	mv -f "$1.tmp.$$" "$1"
}

# One config for every CA: the CA folder comes from CS_CA_DIR, the SAN from CS_SAN.
write_config() {
	cat >"$1" <<'EOF'
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = $ENV::CS_CA_DIR
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
default_days = 90
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
commonName = optional
organizationName = optional
organizationalUnitName = optional
countryName = optional

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = placeholder

[ ext_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ ext_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ ext_leaf_rsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::CS_SAN

[ ext_leaf_ec ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::CS_SAN
EOF
}

# gmt EPOCH: the GeneralizedTime text `openssl ca -startdate/-enddate` takes.
gmt() {
	date -u -d "@$1" +%Y%m%d%H%M%SZ
}

# genkey FILE rsa2048|rsa1024|p256
genkey() {
	case $2 in
	rsa*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$1" ;;
	p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
	*) die "unknown key type $2" ;;
	esac
	chmod 600 "$1"
}

# new_ca_dir NAME: the per-CA database folder `openssl ca` needs.
new_ca_dir() {
	mkdir -p "$W/db/$1/new"
	: >"$W/db/$1/index.txt"
	echo 1000 >"$W/db/$1/serial"
}

# issue OUT_BASENAME KEYTYPE SUBJECT START END EXT ISSUER|self [MD]
# Writes OUT.key and OUT.crt; ISSUER names the files ISSUER.key/ISSUER.crt, or `self`.
issue() {
	out=$1 ktype=$2 subj=$3 start=$4 end=$5 ext=$6 issuer=$7 md=${8:-sha256}
	genkey "$W/$out.key" "$ktype"
	openssl req -new -config "$W/pki.cnf" -key "$W/$out.key" -subj "$subj" -out "$W/$out.csr"
	if [ "$issuer" = self ]; then
		CS_CA_DIR="$W/db/$out"
		new_ca_dir "$out"
		set -- -selfsign -keyfile "$W/$out.key"
	else
		CS_CA_DIR="$W/db/$issuer"
		set -- -cert "$W/$issuer.crt" -keyfile "$W/$issuer.key"
	fi
	export CS_CA_DIR
	openssl ca -config "$W/pki.cnf" -batch -notext -preserveDN -rand_serial "$@" \
		-md "$md" -startdate "$(gmt "$start")" -enddate "$(gmt "$end")" \
		-extensions "$ext" -in "$W/$out.csr" -out "$W/$out.crt" 2>"$W/ca.log" ||
		{ cat "$W/ca.log" >&2; die "openssl ca failed for $out"; }
	rm -f "$W/$out.csr"
}

# leaf NAME KEYTYPE SAN START END ISSUER [MD] [SUBJECT]
leaf() {
	CS_SAN=$3
	export CS_SAN
	ext=ext_leaf_rsa
	[ "$2" = p256 ] && ext=ext_leaf_ec
	issue "$1" "$2" "${8:-/O=certsweep test servers/CN=$1.test}" "$4" "$5" "$ext" "$6" "${7:-sha256}"
}

# chain OUT FILE...: concatenates certificates into OUT.fullchain.pem, in the order given.
chain() {
	out=$1
	shift
	for f in "$@"; do
		cat "$W/$f.crt"
	done >"$W/$out.fullchain.pem"
}

generate() {
	now=$(date +%s)
	day=86400
	ip4="IP:127.0.0.1"
	# the config expands both variables whenever it is loaded: give them defaults
	CS_SAN="DNS:unused.test" CS_CA_DIR=$W
	export CS_SAN CS_CA_DIR
	write_config "$W/pki.cnf"

	# CAs: roots valid from two years ago for ten years; intermediates slightly inside.
	r0=$((now - 730 * day)) r1=$((now + 3650 * day))
	i0=$((now - 700 * day)) i1=$((now + 3000 * day))
	# issue() makes the database of a self-signed CA; intermediates need theirs made here.
	for ca in int-ca pref-int-ca expired-int-ca untrusted-int-ca; do
		new_ca_dir $ca
	done
	issue root-ca rsa2048 "/O=certsweep Test Org/CN=certsweep Test Root CA" \
		"$r0" "$r1" ext_root self
	issue int-ca rsa2048 "/O=certsweep Test Org/CN=certsweep Test Intermediate CA" \
		"$i0" "$i1" ext_int root-ca
	issue pref-root-ca rsa2048 "/O=certsweep Preferred Test Org/CN=certsweep Preferred Test Root CA" \
		"$r0" "$r1" ext_root self
	issue pref-int-ca rsa2048 "/O=certsweep Preferred Test Org/CN=certsweep Preferred Test CA" \
		"$i0" "$i1" ext_int pref-root-ca
	issue expired-int-ca rsa2048 \
		"/O=certsweep Preferred Test Org/CN=certsweep Preferred Expired Intermediate CA" \
		"$i0" "$((now - 10 * day))" ext_int pref-root-ca
	issue untrusted-root-ca rsa2048 \
		"/O=certsweep Untrusted Test Org/CN=certsweep Untrusted Test Root CA" \
		"$r0" "$r1" ext_root self
	issue untrusted-int-ca rsa2048 \
		"/O=certsweep Untrusted Test Org/CN=certsweep Untrusted Test Intermediate CA" \
		"$i0" "$i1" ext_int untrusted-root-ca

	# Leaves: 90-day lifetimes unless the test is about dates.
	v0=$((now - day)) v1=$((now + 89 * day))
	P=pref-int-ca
	leaf good rsa2048 "DNS:good.test,$ip4" "$v0" "$v1" $P
	leaf nonpref rsa2048 "DNS:nonpref.test,$ip4" "$v0" "$v1" int-ca
	leaf expired rsa2048 "DNS:expired.test,$ip4" "$((now - 120 * day))" "$((now - 30 * day))" $P
	# +1 hour keeps floor(days left) at 5 and 20 right after generation.
	leaf expiring rsa2048 "DNS:expiring.test,$ip4" \
		"$((now - 85 * day))" "$((now + 5 * day + 3600))" $P
	leaf expiring20 rsa2048 "DNS:expiring20.test,$ip4" \
		"$((now - 70 * day))" "$((now + 20 * day + 3600))" $P
	leaf notyet rsa2048 "DNS:notyet.test,$ip4" "$((now + 30 * day))" "$((now + 120 * day))" $P
	leaf selfsigned rsa2048 "DNS:selfsigned.test,$ip4" "$v0" "$v1" self sha256 \
		"/O=certsweep Self-Signed Test/CN=selfsigned.test"
	leaf wronghost rsa2048 "DNS:other.test" "$v0" "$v1" $P sha256 \
		"/O=certsweep test servers/CN=other.test"
	leaf incomplete rsa2048 "DNS:incomplete.test,$ip4" "$v0" "$v1" $P
	leaf wrongorder rsa2048 "DNS:wrongorder.test,$ip4" "$v0" "$v1" $P
	leaf sha1 rsa2048 "DNS:sha1.test,$ip4" "$v0" "$v1" $P sha1
	leaf rsa1024 rsa1024 "DNS:rsa1024.test,$ip4" "$v0" "$v1" $P
	leaf ecdsa p256 "DNS:ecdsa.test,$ip4" "$v0" "$v1" $P
	leaf ipv6 p256 "DNS:ipv6.test,IP:::1" "$v0" "$v1" $P
	# issued 20 days ago, while its intermediate was still valid; 70 days left
	leaf expiredint rsa2048 "DNS:expiredint.test,$ip4" \
		"$((now - 20 * day))" "$((now + 70 * day))" expired-int-ca
	# 500 days: over both the 398-day (before 2026-03-15) and the 200-day limit
	leaf longlife rsa2048 "DNS:longlife.test,$ip4" "$v0" "$((now + 499 * day))" $P
	leaf untrusted rsa2048 "DNS:untrusted.test,$ip4" "$v0" "$v1" untrusted-int-ca
	leaf mail rsa2048 "DNS:mail.test,DNS:localhost,$ip4" "$v0" "$v1" $P

	# What each server presents, leaf first.
	for n in good expired expiring expiring20 notyet wronghost sha1 rsa1024 ecdsa ipv6 \
		longlife mail; do
		chain "$n" "$n" pref-int-ca
	done
	chain nonpref nonpref int-ca
	chain selfsigned selfsigned
	chain incomplete incomplete
	chain wrongorder wrongorder pref-root-ca pref-int-ca
	chain expiredint expiredint expired-int-ca
	# the whole private chain up to its root: unambiguously untrusted, not incomplete
	chain untrusted untrusted untrusted-int-ca untrusted-root-ca

	cat "$W/pref-root-ca.crt" "$W/root-ca.crt" >"$W/roots.pem"
	cat "$W/pref-int-ca.crt" "$W/int-ca.crt" "$W/expired-int-ca.crt" >"$W/intermediates.pem"
	rm -rf "$W/db" "$W/ca.log" "$W/pki.cnf"
}

# Guards against a broken generator: the good chain verifies, the bad ones fail as intended.
selfcheck() {
	openssl verify -CAfile "$W/roots.pem" -untrusted "$W/pref-int-ca.crt" \
		"$W/good.crt" >/dev/null || die "selfcheck: good does not verify"
	if openssl verify -CAfile "$W/roots.pem" -untrusted "$W/pref-int-ca.crt" \
		"$W/expired.crt" >/dev/null 2>&1; then
		die "selfcheck: expired verifies"
	fi
	openssl x509 -in "$W/sha1.crt" -noout -text | grep -q 'Signature Algorithm: sha1WithRSAEncryption' ||
		die "selfcheck: sha1 leaf is not sha1WithRSAEncryption"
}

main() {
	case ${1:-} in
	--layout)
		[ $# -eq 1 ] || die "usage: testpki.sh --layout"
		layout
		return 0
		;;
	--expected)
		[ $# -eq 2 ] || die "usage: testpki.sh --expected FILE"
		write_expected "$2"
		return 0
		;;
	esac
	[ $# -eq 1 ] || die "usage: testpki.sh OUTDIR | --layout | --expected FILE"
	command -v openssl >/dev/null || die "openssl not found (run tools/deps.sh as root)"
	OUTDIR=$1
	mkdir -p "$OUTDIR"
	# One generator at a time per folder (test scripts may share a PKI cache).
	exec 9>"$OUTDIR/.lock"
	if command -v flock >/dev/null; then
		flock 9
	fi
	stamp="certsweep-testpki v$PKI_VERSION"
	if [ -f "$OUTDIR/.done" ]; then
		read -r s1 s2 made <"$OUTDIR/.done" || made=0
		now=$(date +%s)
		case $made in '' | *[!0-9]*) made=0 ;; esac
		if [ "$s1 $s2" = "$stamp" ] && [ $((now - made)) -lt $PKI_MAX_AGE ] &&
			[ "$made" -le "$now" ]; then
			write_expected "$OUTDIR/expected.tsv"
			return 0
		fi
	fi
	rm -f "$OUTDIR/.done"
	W=$(mktemp -d "$OUTDIR/.build.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	trap 'exit 1' INT TERM HUP
	generate
	selfcheck
	for f in "$W"/*; do
		mv -f "$f" "$OUTDIR/"
	done
	write_expected "$OUTDIR/expected.tsv"
	echo "$stamp $(date +%s)" >"$OUTDIR/.done"
	echo "testpki: generated in $OUTDIR"
}

main "$@"
