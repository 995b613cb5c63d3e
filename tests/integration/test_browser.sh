#!/bin/sh
# test_browser.sh: tools/browser.py, the headless-Chromium driver the HTML report tests use, on
# small pages this script writes to a temporary folder. No farm, no certsweep (the argument that
# tests/run-all.sh passes is ignored), no network: the one non-file URL is http://127.0.0.1:1/x,
# a port Chromium refuses to connect to.
#
# Asserts:
#   - filter.html: a table of 5 rows and an input filtering them: --eval counts 5 visible rows,
#     --type '#filter' 'exp' leaves 2, --click on the reset button brings back 5; text given to
#     --type that tries to break out of a JS string reaches the page as data, not code; --wait-for
#     waits for the page's ready flag; the clean page passes --fail-on-console-errors and
#     --only-file-requests (exit 0, no console, exception or request beyond the file itself);
#     --screenshot writes a PNG (signature, the --viewport size in IHDR, a non-trivial size);
#   - errors.html: a console.error and an uncaught exception are both reported, and
#     --fail-on-console-errors exits 3 naming them;
#   - fetch.html: the fetch of http://127.0.0.1:1/x is in "requests", --only-file-requests exits
#     3, and without the check flags the same page exits 0 although it logged errors;
#   - xss.html: the same '<img src=x onerror=...>' payload set with textContent stays inert (no
#     img, window.__xss undefined) and set with innerHTML fires (window.__xss becomes 1), so a
#     check with this driver can tell an escaped report from an injectable one;
#   - failures: a --click on a missing element exits 1 with "ok": false and the selector in the
#     error; a bad option exits 2; a missing browser exits 1 saying `make deps`.
# A missing chromium, python3-websocket or jq is a FAILURE (run `make deps`), never a skip.
# Each run leaves no Chromium process naming its temporary profile, and no such folder (browser.py
# gets TMPDIR=$W, so other runs on the machine do not count).
. "$(dirname "$0")/lib.sh"

BROWSER=$CS_ROOT/tools/browser.py
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=
[ -x "$CHROMIUM" ] || missing="$missing chromium($CHROMIUM)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null || missing="$missing python3-websocket"
command -v jq >/dev/null || missing="$missing jq"
if [ -n "$missing" ]; then
	fail "missing:$missing: run \`make deps\` (sh tools/deps.sh, as root)"
	finish
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-browsertest.XXXXXX") || exit 1
# lib.sh's EXIT trap reports a script that dies early; remove the folder first, keep its status.
# shellcheck disable=SC2154 # _st0 is assigned inside the trap
trap '_st0=$?; rm -rf "$W"; (exit $_st0); _lib_exit' EXIT

# browse NAME ARGS...: runs browser.py, JSON in $W/NAME.json, stderr in $W/NAME.err, status in RC.
browse() {
	_name=$1
	shift
	RC=0
	TMPDIR=$W python3 "$BROWSER" --timeout 30 "$@" >"$W/$_name.json" 2>"$W/$_name.err" || RC=$?
	OUT=$W/$_name.json
}

# j FILTER: jq -r FILTER on the last run's JSON (compact).
j() {
	jq -rc "$1" "$OUT" 2>&1
}

# no_strays WHAT: browser.py (its TMPDIR is $W) left no process naming its temporary profile
# folder, and no such folder.
no_strays() {
	_left=$(pgrep -f "$W/certsweep-browser" 2>/dev/null | wc -l)
	assert_eq 0 "$_left" "$1: no Chromium process left behind"
	_left=$(find "$W" -maxdepth 1 -name 'certsweep-browser.*' | wc -l)
	assert_eq 0 "$_left" "$1: no temporary profile folder left behind"
}

VISIBLE='document.querySelectorAll("#rows tr:not([hidden])").length'

# ---------------------------------------------------------------- the pages
cat >"$W/filter.html" <<'EOF'
<!doctype html>
<html><head><meta charset="utf-8"><title>filter</title>
<style>body { font: 14px sans-serif; } td { border: 1px solid #888; padding: 4px; }</style>
</head><body>
<h1>certificates</h1>
<input id="filter" placeholder="filter">
<button id="reset" type="button">reset</button>
<table><tbody id="rows">
<tr><td>good.test</td><td>valid</td></tr>
<tr><td>expired.test</td><td>expired</td></tr>
<tr><td>expiring.test</td><td>expiring</td></tr>
<tr><td>sha1.test</td><td>weak signature</td></tr>
<tr><td>ecdsa.test</td><td>valid</td></tr>
</tbody></table>
<script>
"use strict";
const filter = document.getElementById("filter");
function apply() {
	const q = filter.value.toLowerCase();
	for (const tr of document.querySelectorAll("#rows tr"))
		tr.hidden = !tr.textContent.toLowerCase().includes(q);
}
filter.addEventListener("input", apply);
document.getElementById("reset").addEventListener("click", () => { filter.value = ""; apply(); });
setTimeout(() => { window.csReady = true; }, 200);
</script>
</body></html>
EOF

cat >"$W/errors.html" <<'EOF'
<!doctype html>
<html><head><meta charset="utf-8"><title>errors</title></head><body>
<p>errors</p>
<script>console.error("deliberate console error");</script>
<script>throw new Error("deliberate exception");</script>
</body></html>
EOF

cat >"$W/fetch.html" <<'EOF'
<!doctype html>
<html><head><meta charset="utf-8"><title>fetch</title></head><body>
<p>fetch</p>
<script>
fetch("http://127.0.0.1:1/x").then(() => { window.fetchDone = "answered"; },
	() => { window.fetchDone = "failed"; });
</script>
</body></html>
EOF

cat >"$W/xss.html" <<'EOF'
<!doctype html>
<html><head><meta charset="utf-8"><title>xss</title></head><body>
<div id="safe"></div><div id="unsafe"></div>
<button id="inert" type="button">textContent</button>
<button id="live" type="button">innerHTML</button>
<script>
const payload = '<img src=x onerror="window.__xss=1">';
document.getElementById("inert").onclick = () => {
	document.getElementById("safe").textContent = payload;
};
document.getElementById("live").onclick = () => {
	document.getElementById("unsafe").innerHTML = payload;
};
</script>
</body></html>
EOF

# waits up to 2 s for window.__xss (an img's onerror runs after its load fails), then its type
XSS_TYPE='new Promise(r => { let n = 0; const t = setInterval(() => {
	if (window.__xss !== undefined || ++n > 40) { clearInterval(t); r(typeof window.__xss); }
}, 50); })'

# ---------------------------------------------------------------- filter.html
HOSTILE='"); window.__pwned = 1; ("</script>'
browse filter --viewport 800x600 --wait-for 'window.csReady === true' \
	--fail-on-console-errors --only-file-requests \
	--eval "$VISIBLE" --type '#filter' 'exp' --eval "$VISIBLE" \
	--click '#reset' --eval "$VISIBLE" \
	--type '#filter' "$HOSTILE" --eval 'document.getElementById("filter").value' \
	--eval 'typeof window.__pwned' --click '#reset' \
	--screenshot "$W/filter.png" "$W/filter.html"
assert_eq 0 "$RC" "filter: clean page exits 0 with both checks ($(head -c 300 "$W/filter.err"))"
assert_eq true "$(j .ok)" "filter: ok"
assert_eq 5 "$(j '.results[0].value')" "filter: 5 rows visible before typing"
assert_eq '{"step":"type","selector":"#filter","text":"exp"}' "$(j '.results[1]')" \
	"filter: the type step is recorded"
assert_eq 2 "$(j '.results[2].value')" "filter: typing 'exp' leaves 2 rows (expired, expiring)"
assert_eq BUTTON "$(j '.results[3].tag')" "filter: the click hit the button"
assert_eq 5 "$(j '.results[4].value')" "filter: the reset button shows 5 rows again"
assert_eq "$HOSTILE" "$(j '.results[6].value')" "filter: hostile --type text arrives verbatim"
assert_eq undefined "$(j '.results[7].value')" "filter: hostile --type text is not run as code"
assert_eq '[]|[]|[]' "$(j '.console')|$(j '.exceptions')|$(j '.checks')" \
	"filter: no console message, exception or check failure"
assert_eq "[\"file://$W/filter.html\"]" "$(j '.requests')" "filter: the only request is the file"
assert_eq "$W/filter.png" "$(j '.results[9].file')" "filter: screenshot step recorded"
assert_eq '89 50 4e 47 0d 0a 1a 0a' "$(od -An -tx1 -N8 "$W/filter.png" | sed 's/^ *//')" \
	"filter: the screenshot has the PNG signature"
assert_eq 800x600 "$(python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$W/filter.png")" \
	"filter: the PNG is the --viewport size"
size=$(wc -c <"$W/filter.png")
if [ "$size" -gt 3000 ]; then
	pass "filter: the PNG is not trivial ($size bytes)"
else
	fail "filter: the PNG has only $size bytes"
fi
no_strays filter

# ---------------------------------------------------------------- errors.html
browse errors --fail-on-console-errors "$W/errors.html"
assert_eq 3 "$RC" "errors: --fail-on-console-errors exits 3"
assert_eq true "$(j .ok)" "errors: the run itself worked"
assert_eq 'error|deliberate console error' \
	"$(j '.console[] | select(.level == "error") | "\(.level)|\(.text)"')" \
	"errors: the console.error is reported with its level"
assert_contains "$(j '.exceptions[0].text')" 'Error: deliberate exception' \
	"errors: the uncaught exception is reported"
assert_contains "$(j '.checks')" 'console error' "errors: the check names the console error"
assert_contains "$(j '.checks')" 'exception' "errors: the check names the exception"
assert_contains "$(cat "$W/errors.err")" 'check failed' "errors: stderr says the check failed"

# ---------------------------------------------------------------- fetch.html
browse fetch --only-file-requests --wait-for 'window.fetchDone !== undefined' "$W/fetch.html"
assert_eq 3 "$RC" "fetch: --only-file-requests exits 3"
assert_eq 'http://127.0.0.1:1/x' "$(j '.requests[] | select(startswith("http"))')" \
	"fetch: the loopback fetch is in requests"
assert_contains "$(j '.checks')" '127.0.0.1:1/x' "fetch: the check names the URL"
browse fetch2 --wait-for 'window.fetchDone !== undefined' --eval 'window.fetchDone' \
	"$W/fetch.html"
assert_eq 0 "$RC" "fetch: without check flags the run exits 0 although the page logged errors"
assert_eq failed "$(j '.results[0].value')" "fetch: the page saw its fetch fail"
assert_contains "$(j '[.log[] | select(.level == "error") | .url]')" '127.0.0.1:1/x' \
	"fetch: the failed load is in the log"

# ---------------------------------------------------------------- xss.html
browse xss --click '#inert' --eval "$XSS_TYPE" \
	--eval 'document.querySelectorAll("img").length' \
	--eval 'document.getElementById("safe").textContent' \
	--click '#live' --eval "$XSS_TYPE" --eval 'document.querySelectorAll("img").length' \
	"$W/xss.html"
assert_eq 0 "$RC" "xss: the run works"
assert_eq undefined "$(j '.results[1].value')" "xss: the payload via textContent stays inert"
assert_eq 0 "$(j '.results[2].value')" "xss: textContent makes no img element"
assert_eq '<img src=x onerror="window.__xss=1">' "$(j '.results[3].value')" \
	"xss: textContent shows the payload as text"
assert_eq number "$(j '.results[5].value')" "xss: the same payload via innerHTML fires"
assert_eq 1 "$(j '.results[6].value')" "xss: innerHTML makes an img element"
no_strays "errors, fetch, xss"

# ---------------------------------------------------------------- failures
browse missing --click '#no-such-button' --eval 1 "$W/xss.html"
assert_eq 1 "$RC" "missing element: a failed step exits 1"
assert_eq false "$(j .ok)" "missing element: ok is false"
assert_contains "$(j .error)" '#no-such-button' "missing element: the error names the selector"
assert_eq 0 "$(j '.results | length')" "missing element: no step after it ran"
browse usage --viewport huge "$W/xss.html"
assert_eq 2 "$RC" "a bad --viewport is a usage error (exit 2)"
browse nochrome --chromium "$W/no-such-chromium" "$W/xss.html"
assert_eq 1 "$RC" "a missing browser exits 1"
assert_contains "$(j .error)" 'make deps' "a missing browser: the error says to run make deps"
no_strays failures

finish
