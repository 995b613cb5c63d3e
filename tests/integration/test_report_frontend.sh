#!/bin/sh
# test_report_frontend.sh: the HTML dashboard's script and styles (report/assets/) in headless
# Chromium on a hand-made data block with hostile certificate fields (tests/browser/): sorting,
# filtering, paging, the certificate panel, and that no injected markup ever runs. The C side
# and a real sweep are covered by test_report.sh. Prints "integration: N passed, M failed".
here=$(cd "$(dirname "$0")" && pwd)
out=$(sh "$here/../browser/check-sample.sh" 2>&1)
rc=$?
printf '%s\n' "$out"
pass=$(printf '%s\n' "$out" | grep -c '^ok ')
fail=$(printf '%s\n' "$out" | grep -c '^not ok')
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	fail=1 # the checker itself failed (no chromium, a crash): never a silent pass
fi
if [ "$pass" -eq 0 ]; then
	fail=$((fail + 1))
fi
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
