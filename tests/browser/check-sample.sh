#!/bin/sh
# check-sample.sh: checks report/assets/report.js and report.css in headless Chromium without the
# C writer: builds a page with make-sample.sh plus a check script, loads it with
# `chromium --dump-dom`, and prints the check lines the script wrote into pre#cs-check.
#
#   sh tests/browser/check-sample.sh              the hand-made sample (check-sample.js)
#   sh tests/browser/check-sample.sh --big N      N generated endpoints (gen-data.py,
#                                                 check-big.js): paging and timings
#
# Also: `node --check` on report.js when node is there, and no innerHTML, outerHTML,
# insertAdjacentHTML, document.write, eval or new Function in report.js. Exit 0 when every check
# passed, 1 otherwise. CHROMIUM overrides /usr/bin/chromium; CS_REPORT_JS another report.js (to
# see the checks fail on a broken copy). The page and the Chromium profile live in a temporary
# folder that is removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
js=${CS_REPORT_JS:-$root/report/assets/report.js}
export CS_REPORT_JS="$js"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

big=
if [ "${1:-}" = --big ]; then
	big=${2:?usage: check-sample.sh [--big N]}
fi

[ -x "$CHROMIUM" ] || { echo "check-sample.sh: no $CHROMIUM (run make deps)" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-sample.XXXXXX")
trap 'rm -rf "$W"' EXIT
status=0

if command -v node >/dev/null 2>&1; then
	if node --check "$js"; then
		echo "ok - node --check report.js"
	else
		echo "not ok - node --check report.js"
		status=1
	fi
fi
# The security contract of report/html.h: no HTML parsing, no evaluation of text.
forbidden='innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function'
forbidden="$forbidden|setAttribute\\((.on|.style|.href|.src)"
if grep -nE "$forbidden" "$js"; then
	echo "not ok - report.js uses a forbidden API (lines above)"
	status=1
else
	echo "ok - report.js uses no HTML parsing or evaluation API"
fi

if [ -n "$big" ]; then
	python3 "$here/gen-data.py" "$big" >"$W/data.json"
	sh "$here/make-sample.sh" "$W/data.json" "$W/page.html" "$here/check-big.js" >/dev/null
	budget=
else
	sh "$here/make-sample.sh" "$here/sample-data.json" "$W/page.html" "$here/check-sample.js" \
		>/dev/null
	# the checks wait for the debounced filter: let timers run in virtual time
	budget=--virtual-time-budget=30000
fi

# shellcheck disable=SC2086 # $budget is one option or nothing
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$W/profile" $budget --dump-dom "file://$W/page.html" \
	>"$W/dom.html" 2>"$W/chromium.err" || true
# pre#cs-check holds the lines, HTML-escaped in the dump
sed -n '/<pre id="cs-check">/,/<\/pre>/p' "$W/dom.html" |
	sed -e 's/.*<pre id="cs-check">//' -e 's/<\/pre>.*//' \
	    -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g' >"$W/result.txt"
cat "$W/result.txt"
if ! grep -q '^done: [0-9]* checks, 0 failed$' "$W/result.txt"; then
	if ! grep -q '^done:' "$W/result.txt"; then
		echo "not ok - the checks did not finish (chromium said:)"
		tail -5 "$W/chromium.err"
	fi
	status=1
fi
exit $status
