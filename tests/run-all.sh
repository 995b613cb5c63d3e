#!/bin/sh
# Runs every test tier for one build flavour (BUILD dir given) and prints one closing line
# "tests: N passed, M failed" (tiers: unit binaries, fuzz replay smoke, integration scripts).
build=${1:?usage: run-all.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0
tier() { # name, command...
	name=$1; shift
	echo "== $name"
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "== $name: FAILED"; fi
}
tier unit sh "$here/run-unit.sh" "$build"/tests/test_*
tier fuzz-smoke sh "$here/run-fuzz-smoke.sh" "$build"/fuzz/fuzz_*
for t in "$here"/integration/test_*.sh; do
	[ -e "$t" ] || continue
	tier "integration $(basename "$t")" bash "$t" "$build/certsweep"
done
echo "== flavour: $build"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
