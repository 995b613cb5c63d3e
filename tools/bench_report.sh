#!/usr/bin/env bash
# bench_report.sh: the report benchmark (make bench runs it after bench_analyze.sh). No network.
#
#   1. tools/mkinventory (built by `make bench` next to certsweep, in BUILD/tools/) writes a
#      synthetic inventory of N endpoints (BENCH_REPORT_N, default 100,000; BENCH_REPORT_SEED)
#      into a temporary folder: one scan "bench" through the real store API.
#   2. `certsweep report` as html, csv (a folder, one file per view) and json, each under
#      /usr/bin/time -v: wall time, peak RSS, output size. In the same run, the peer baseline:
#      `sqlite3 -csv` exporting the equivalent endpoint x leaf-certificate join (host, ip, port,
#      sni, status, subject_cn, issuer, not_after, sha256) from the same database, timed alike.
#   3. The HTML report in headless Chromium (tools/browser.py; BENCH_REPORT_BROWSER=0 skips it),
#      timed in the page with performance.now(): navigation to window.csReady; one keystroke in
#      input#filter-endpoints until span#page-endpoints changes (the first keystroke builds the
#      search text of every row; the page debounces keystrokes by 150 ms, included), a second
#      one, and the same filter applied with Enter (no debounce: the filtering itself); a click
#      on the Host header (sort ascending: keys and sort) and a second one (descending).
#      "painted" times run on to the first task after the next animation frame.
# Results go to stdout and are appended to bench-results.txt (BENCH_OUT).
set -euo pipefail

BIN=${1:?usage: bench_report.sh PATH/TO/certsweep}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
MKINV=${BENCH_MKINVENTORY:-$(dirname "$BIN")/tools/mkinventory}
N=${BENCH_REPORT_N:-100000}
SEED=${BENCH_REPORT_SEED:-1}
BROWSER=${BENCH_REPORT_BROWSER:-1}
OUT=${BENCH_OUT:-bench-results.txt}
WORK=$(mktemp -d /tmp/certsweep-bench-report.XXXXXX)

cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

[ -x "$MKINV" ] || {
	echo "bench_report: $MKINV is missing: make bench builds it (make $(dirname "$BIN")/tools/mkinventory)" >&2
	exit 1
}

# field NAME FILE: a value from /usr/bin/time -v output
field() { grep -F "$1" "$2" | head -1 | awk -F': ' '{print $2}'; }
secs() { # "m:ss.xx" or "h:mm:ss" -> seconds
	echo "$1" | awk -F: '{ printf "%.2f\n", NF == 3 ? $1 * 3600 + $2 * 60 + $3 : $1 * 60 + $2 }'
}
# timed NAME CMD...: CMD under /usr/bin/time -v, stdout to WORK/NAME.out; stops the run on failure
timed() {
	local name=$1
	shift
	if ! /usr/bin/time -v "$@" >"$WORK/$name.out" 2>"$WORK/$name.time"; then
		echo "bench_report: $name failed:" >&2
		grep -v '^	' "$WORK/$name.time" | tail -5 >&2
		exit 1
	fi
}
wall() { secs "$(field 'Elapsed (wall clock)' "$WORK/$1.time")"; }
rss() { echo "$(($(field 'Maximum resident set size' "$WORK/$1.time") / 1024)) MB"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
bytes() { du -cb "$@" | tail -1 | cut -f1; }
rows() { echo $(($(wc -l <"$1") - 1)); } # CSV data rows (no field holds a newline here)
report() { echo "$*" | tee -a "$WORK/results"; }

DB=$WORK/inv.db
echo "== mkinventory: $N endpoints"
timed gen "$MKINV" "$DB" "$N" --seed "$SEED"
cat "$WORK/gen.out"
n_certs=$(sqlite3 "$DB" 'SELECT count(*) FROM certificates')
n_findings=$(sqlite3 "$DB" 'SELECT count(*) FROM findings')
n_ok=$(sqlite3 "$DB" "SELECT count(*) FROM observations WHERE status = 'ok'")
report "report bench: $N endpoints ($n_ok TLS), $n_certs certificates, $n_findings findings;" \
	"inventory $(mb "$(bytes "$DB"*)") written by mkinventory in $(wall gen)s (peak RSS $(rss gen))"

echo "== certsweep report"
timed html "$BIN" report --db "$DB" --format html -o "$WORK/r.html"
html_bytes=$(bytes "$WORK/r.html")
html_gz=$(gzip -c "$WORK/r.html" | wc -c)
report "report --format html: $(wall html)s, peak RSS $(rss html), $(mb "$html_bytes") (gzip $(mb "$html_gz"))"
mkdir "$WORK/csv"
timed csv "$BIN" report --db "$DB" --format csv -o "$WORK/csv/"
ep_csv=$WORK/csv/endpoints.csv
[ -f "$ep_csv" ] || { echo "bench_report: no endpoints.csv in the csv report" >&2; exit 1; }
report "report --format csv: $(wall csv)s, peak RSS $(rss csv), $(mb "$(bytes "$WORK"/csv/*)")" \
	"in $(find "$WORK/csv" -type f | wc -l) files (endpoints.csv $(rows "$ep_csv") rows, $(mb "$(bytes "$ep_csv")"))"
timed json "$BIN" report --db "$DB" --format json -o "$WORK/r.json"
report "report --format json: $(wall json)s, peak RSS $(rss json), $(mb "$(bytes "$WORK/r.json")")"

echo "== sqlite3 -csv baseline (endpoint x leaf certificate join)"
timed sqlite sqlite3 -csv -header "$DB" "
SELECT e.host, e.ip, e.port, e.sni, o.status, c.subject_cn, c.issuer, c.not_after, c.sha256
FROM observations o
JOIN endpoints e ON e.id = o.endpoint_id
JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0
JOIN certificates c ON c.id = oc.certificate_id
WHERE o.scan_id = (SELECT max(id) FROM scans WHERE name = 'bench' AND status = 'done')
ORDER BY e.ip_key, e.port"
report "sqlite3 -csv join (baseline): $(wall sqlite)s, peak RSS $(rss sqlite)," \
	"$(mb "$(bytes "$WORK/sqlite.out")") ($(rows "$WORK/sqlite.out") rows)"

if [ "$BROWSER" = 1 ]; then
	echo "== the HTML report in headless Chromium"
	# window.csBench: helpers for the steps below, defined by the first step. type() sets the
	# filter and sends 'input' (or Enter: the page then filters at once) and resolves when
	# span#page-endpoints changes (a MutationObserver, so no polling interval blurs the time).
	setup='(() => {
	const frame = (t0, res) => new Promise((ok) => requestAnimationFrame(() => setTimeout(() => {
		res.painted_ms = performance.now() - t0;
		ok(res);
	}, 0)));
	window.csBench = {
		type(text, enter) {
			return new Promise((resolve, reject) => {
				const span = document.getElementById("page-endpoints");
				const input = document.getElementById("filter-endpoints");
				const before = span.textContent;
				let t0 = 0, t1 = -1;
				const mo = new MutationObserver(() => {
					if (t1 >= 0 || span.textContent === before)
						return;
					t1 = performance.now();
					mo.disconnect();
					resolve(frame(t0, { before: before, after: span.textContent, ms: t1 - t0 }));
				});
				mo.observe(span, { childList: true, characterData: true, subtree: true });
				setTimeout(() => {
					if (t1 < 0) {
						mo.disconnect();
						reject(new Error("page-endpoints still " + before + " after 60 s"));
					}
				}, 60000);
				input.focus();
				t0 = performance.now();
				input.value = text;
				if (enter)
					input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
				else
					input.dispatchEvent(new Event("input", { bubbles: true }));
			});
		},
		click(sel) {
			const th = document.querySelector(sel);
			const t0 = performance.now();
			th.click();
			const ms = performance.now() - t0;
			return frame(t0, { ms: ms, sort: th.getAttribute("aria-sort") });
		},
	};
	const nav = performance.getEntriesByType("navigation")[0];
	return { ready_ms: performance.now(), interactive_ms: nav.domInteractive,
		load_ms: nav.loadEventEnd, heap: performance.memory ? performance.memory.usedJSHeapSize : -1,
		page: document.getElementById("page-endpoints").textContent,
		rows: document.querySelectorAll("#table-endpoints tbody tr").length };
})()'
	python3 "$HERE/browser.py" --timeout 600 --wait-for 'window.csReady === true' --wait-timeout 300 \
		--eval "$setup" \
		--eval 'csBench.type("host0004", false)' \
		--eval 'csBench.type("host00042", false)' \
		--eval 'csBench.type("host000", true)' \
		--eval 'csBench.type("", true)' \
		--eval 'csBench.click("#table-endpoints th[data-col=host]")' \
		--eval 'csBench.click("#table-endpoints th[data-col=host]")' \
		--fail-on-console-errors --only-file-requests "$WORK/r.html" >"$WORK/browser.json" 2>"$WORK/browser.err" || {
		echo "bench_report: the browser run failed:" >&2
		cat "$WORK/browser.err" >&2
		jq -c '{error, checks, exceptions, console}' "$WORK/browser.json" >&2 || true
		exit 1
	}
	v() { jq -r ".results[$1].value.$2" "$WORK/browser.json"; }
	ms() { awk -v x="$(v "$1" "$2")" 'BEGIN { printf "%.0f", x }'; }
	report "html in Chromium: window.csReady by $(ms 0 ready_ms) ms after navigation (parsed and" \
		"rendered by $(ms 0 interactive_ms) ms, load event $(ms 0 load_ms) ms), JS heap" \
		"$(mb "$(v 0 heap)"), first page $(v 0 rows) rows of \"$(v 0 page)\""
	report "html filter keystroke: first $(ms 1 ms) ms to \"$(v 1 after)\" (painted $(ms 1 painted_ms) ms)," \
		"second $(ms 2 ms) ms (painted $(ms 2 painted_ms) ms), both with the page's 150 ms debounce;" \
		"filtering alone (Enter) $(ms 3 ms) ms, clearing $(ms 4 ms) ms"
	report "html sort click (Host, $N rows): $(ms 5 ms) ms $(v 5 sort) (painted $(ms 5 painted_ms) ms)," \
		"again $(ms 6 ms) ms $(v 6 sort) (painted $(ms 6 painted_ms) ms)"
fi

cat "$WORK/results" >>"$OUT"
echo "== results appended to $OUT"
