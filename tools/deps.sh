#!/bin/sh
# deps.sh: installs the Debian 12 packages certsweep's build and tests need, when missing.
#
#   sh tools/deps.sh            (as root; `make deps` runs it)
#
# One dpkg-query call finds what is missing; when all is there it prints one line and is done.
# Otherwise, as root: `apt-get update` once, then a non-interactive install of just the
# missing packages, with a temporary policy-rc.d so that installing nginx, vsftpd, postgresql,
# mariadb-server, slapd and prosody starts none of the system's services on their well-known
# ports (the tests start their own), and DEBIAN_FRONTEND=noninteractive so that debconf
# (slapd's questions) takes its defaults. Not root: it says what is missing and exits 1.
set -eu

PACKAGES="build-essential pkg-config libssl-dev libevent-dev libpcap-dev libsqlite3-dev
libmaxminddb-dev libjansson-dev libcmocka-dev openssl nginx libnginx-mod-mail gnutls-bin
dnsmasq-base nmap sslscan testssl.sh jq sqlite3 iproute2 procps ca-certificates time python3
man-db vsftpd postgresql mariadb-server slapd prosody libcurl4-openssl-dev libldns-dev
pebble libzip-dev zip chromium python3-websocket fonts-dejavu-core tcpdump tshark
libmaxmind-db-writer-perl libinih-dev"

command -v dpkg-query >/dev/null || {
	echo "deps: dpkg-query not found: this script is for Debian 12" >&2
	exit 1
}

# shellcheck disable=SC2086,SC2016 # word splitting of the list is wanted; ${...} is dpkg's
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PACKAGES 2>/dev/null |
	awk '$2 == "ii" { print $1 }' || true)
missing=
for p in $PACKAGES; do
	if ! printf '%s\n' "$installed" | grep -qx -- "$p"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo "$PACKAGES" | wc -w) packages present"
	exit 0
fi
echo "deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (sudo sh tools/deps.sh, or sudo make deps) to install them" >&2
	exit 1
fi

# Services must not start: nginx would take port 80, vsftpd 21, postgresql 5432, mariadb 3306,
# slapd 389 and prosody 5222 (the tests start their own on loopback high ports). invoke-rc.d and
# deb-systemd-invoke ask policy-rc.d; 101 means "not allowed". A policy-rc.d that already says
# 101 (Docker's) is kept; any other is set aside for the install and put back afterwards.
policy=/usr/sbin/policy-rc.d
saved=$policy.certsweep-saved
pol_rc=0
[ -x "$policy" ] && { "$policy" nginx start >/dev/null 2>&1 || pol_rc=$?; }
if [ "$pol_rc" -ne 101 ]; then
	if [ -e "$policy" ]; then
		mv -f "$policy" "$saved"
		trap 'rm -f "$policy"; mv -f "$saved" "$policy"' EXIT
	else
		trap 'rm -f "$policy"' EXIT
	fi
	trap 'exit 1' INT TERM HUP
	printf '#!/bin/sh\n# written by certsweep tools/deps.sh during an install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
echo "deps: apt-get update"
apt-get update -q
echo "deps: installing:$missing"
# shellcheck disable=SC2086 # word splitting of the list is wanted
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
echo "deps: done"
