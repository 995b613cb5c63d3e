#!/bin/sh
# Replays each fuzz target's corpus plus a bounded number of random mutations (a smoke run
# that CI can afford; real fuzzing: `make FUZZ=libfuzzer CC=clang fuzz`).
here=$(cd "$(dirname "$0")" && pwd)
rounds=${FUZZ_ROUNDS:-300}
pass=0; fail=0
for f in "$@"; do
	name=$(basename "$f"); name=${name#fuzz_}
	corpus="$here/fuzz/corpus/$name"
	[ -d "$corpus" ] || { echo "no corpus for $f"; fail=$((fail + 1)); continue; }
	if "$f" -random "$rounds" 1 "$corpus"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $f"; fi
done
echo "fuzz-smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
