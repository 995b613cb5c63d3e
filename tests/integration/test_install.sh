#!/bin/bash
# test_install.sh: `make install` honours PREFIX and DESTDIR and installs a man page that renders.
CERTSWEEP=${1:?usage: test_install.sh PATH/TO/certsweep}
. "$(dirname "$0")/lib.sh"
dest=$(mktemp -d)
trap 'rm -rf "$dest"; _lib_exit' EXIT
make -s -C "$CS_ROOT" install DESTDIR="$dest" PREFIX=/opt/cs >/dev/null 2>&1
[ -x "$dest/opt/cs/bin/certsweep" ] && pass "binary installed under DESTDIR/PREFIX/bin" || fail "no binary in $dest/opt/cs/bin"
[ -f "$dest/opt/cs/share/man/man1/certsweep.1" ] && pass "man page installed under PREFIX/share/man/man1" ||
	fail "no man page"
assert_contains "$("$dest/opt/cs/bin/certsweep" version)" "certsweep " "installed binary runs"
page=$(MANWIDTH=100 man -l "$dest/opt/cs/share/man/man1/certsweep.1" 2>/dev/null | col -b)
assert_contains "$page" "EXIT STATUS" "man page renders with its EXIT STATUS section"
assert_contains "$page" "--starttls" "man page documents --starttls"
finish
