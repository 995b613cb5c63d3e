#!/bin/sh
# test_sweep.sh: configured sweeps (issue 7, "Configuration and scheduling") on the loopback
# farm: a configuration with two sweeps sharing one database,
#   - `config check` and `sweep --list` accept it, and --dry-run shows the commands;
#   - `sweep web` twice: the second run prints the changes since the first run of web (not
#     since the mail sweep run in between), the stdout alerts (due once: the second run has
#     none), and writes the HTML dashboard (its name holds the date), the 4 CSV views, the
#     JSON report and the ics calendar (the alert channel that writes a file);
#   - the lock: a run of a sweep whose target stalls (the farm's "stall" endpoint, a tarpit:
#     accepts and never answers, --timeout 5s) holds it, and a second run exits 75 with
#     "sweep slow is already running (pid N, since TIME)"; SIGTERM stops the run (143);
#   - a failing later step (a webhook channel nobody listens to) makes the run exit 3, and the
#     reports are still written;
#   - mistakes: unknown key, bad port list, bad number, bad duration, missing targets,
#     duplicate sweep, unknown section, unterminated section header, a path pointing nowhere,
#     text after a header: each exits 2 with FILE:LINE: and its reason, from `config check`,
#     `sweep --list` and `sweep NAME` alike;
#   - the numeric keys' bounds are the options': at each edge `certsweep scan` (or `alerts`)
#     and `config check` accept or refuse the same value.
CERTSWEEP=${1:?usage: test_sweep.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W/reports"
CONF=$W/certsweep.conf

# The farm's HTTPS endpoints as a CSV targets file (target,port,sni,starttls).
: >"$W/web.csv"
for name in $(farm_names https); do
	sni=$(farm_sni "$name")
	[ "$sni" = "-" ] && sni=
	echo "$(farm_addr "$name"),$(farm_port "$name"),$sni," >>"$W/web.csv"
done
n_web=$(wc -l <"$W/web.csv")

cat >"$CONF" <<EOF
# two sweeps of the farm, one database
[defaults]
db = $W/inv.db
ca-file = $FARM_ROOTS
preferred-ca = $FARM_PREFERRED
timeout = 3s
connect-timeout = 2s
alert-channel = stdout
alert-channel = ics:$W/expiry.ics

[sweep web]
targets-file = $W/web.csv
report-html = $W/reports/web-%Y-%m-%d.html   ; the date of the run
report-csv = $W/reports/web-csv
report-json = $W/reports/web.json

[sweep mail]
targets = $(farm_target smtp)
starttls = smtp
alerts = no
report-json = $W/reports/mail.json
EOF

# ------------------------------------------------------------------- check, list, dry run
rc=0
out=$("$CERTSWEEP" config check --config "$CONF" 2>&1) || rc=$?
assert_eq 0 "$rc" "config check accepts the file"
assert_contains "$out" "ok, 2 sweeps" "config check counts the sweeps"
assert_contains "$out" "sweep web (line 11) runs:" "config check names each sweep with its line"
assert_contains "$out" "--name web --" "the scan is named after the sweep"
assert_contains "$out" "--starttls smtp" "the mail sweep's scan gets its STARTTLS option"
csv_cmd="certsweep report --db $W/inv.db --sweep web --format csv -o $W/reports/web-csv"
assert_contains "$out" "$csv_cmd" "config check shows the CSV report command"
assert_contains "$out" "lock: $W/inv.db.sweep-web.lock" "config check shows the lock file"

rc=0
out=$(CERTSWEEP_CONFIG=$CONF "$CERTSWEEP" sweep --list 2>&1) || rc=$?
assert_eq 0 "$rc" "sweep --list (CERTSWEEP_CONFIG) exits 0"
assert_eq "web mail" "$(printf '%s\n' "$out" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')" \
	"sweep --list lists both sweeps in file order"

rc=0
out=$("$CERTSWEEP" sweep web --config "$CONF" --dry-run --seed 7 2>&1) || rc=$?
assert_eq 0 "$rc" "sweep --dry-run exits 0"
assert_contains "$out" "--name web --seed 7 --" \
	"options after the name go to the scan, after the configured ones"
[ ! -e "$W/inv.db" ] && pass "a dry run creates no database" || fail "a dry run created $W/inv.db"

rc=0
out=$("$CERTSWEEP" sweep web --config "$CONF" --dry-run --na other 2>&1) || rc=$?
assert_eq 2 "$rc" "the command line cannot rename the sweep (--na, a prefix of --name)"
assert_contains "$out" "the database and the name come from the configuration" "... and says why"

rc=0
out=$("$CERTSWEEP" sweep nosuch --config "$CONF" 2>&1) || rc=$?
assert_eq 2 "$rc" "an unknown sweep exits 2"
assert_contains "$out" "no sweep \"nosuch\"" "an unknown sweep is named"

# ------------------------------------------------------------------- two runs of web
rc=0
"$CERTSWEEP" sweep web --config "$CONF" >"$W/run1.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "first run of sweep web exits 0"
run1=$(cat "$W/run1.out")
assert_contains "$run1" "endpoints tried     $n_web" \
	"the scan tries every endpoint of the targets file"
assert_contains "$run1" "First run of sweep web" "the first run says there is nothing to compare"
assert_contains "$run1" "alert: expiry: expired.test EXPIRED" \
	"the first run sends the due alerts (stdout)"
grep -q "BEGIN:VEVENT" "$W/expiry.ics" && pass "the ics channel wrote the calendar" ||
	fail "no calendar in $W/expiry.ics"

rc=0
"$CERTSWEEP" sweep mail --config "$CONF" >"$W/mail.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "sweep mail exits 0"
[ -s "$W/reports/mail.json" ] && pass "sweep mail writes its JSON report" || fail "no mail.json"
assert_not_contains "$(cat "$W/mail.out")" "== alerts ==" \
	"alerts = no: the mail run sends no alerts"

rm -rf "$W/reports/web-csv" "$W/reports/web.json" "$W"/reports/web-*.html
rc=0
"$CERTSWEEP" sweep web --config "$CONF" >"$W/run2.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "second run of sweep web exits 0"
run2=$(cat "$W/run2.out")
assert_contains "$run2" "== changes since the previous run of sweep web ==" \
	"the second run has the diff section"
assert_contains "$run2" "A = scan 1 (web" "the diff compares with web's previous run (scan 1)"
assert_contains "$run2" "B = scan 3 (web" \
	"... against this run (scan 3), skipping the mail sweep's scan 2"
assert_contains "$run2" "No changes between scan A and scan B." "nothing changed on the farm"
assert_not_contains "$run2" "alert: expiry" "alerts already sent are not sent again"
assert_contains "$run2" "== sweep web: done, exit 0 ==" "the run ends with its status"
html=$W/reports/web-$(date +%Y-%m-%d).html
[ -s "$html" ] && pass "the HTML report is written, its name holding the date" || fail "no $html"
grep -q "expired.test" "$html" && pass "the HTML report holds the sweep's certificates" ||
	fail "expired.test not in $html"
assert_eq 4 "$(find "$W/reports/web-csv" -name '*.csv' | wc -l | tr -d ' ')" \
	"the CSV folder has 4 files"
[ -s "$W/reports/web.json" ] && pass "the JSON report is written" || fail "no web.json"
n_scans=$(sqlite3 "$W/inv.db" "SELECT count(*) FROM scans WHERE name = 'web'" 2>/dev/null ||
	echo sqlite3-missing)
assert_eq 2 "$n_scans" \
	"the database has two scans named web"

# ------------------------------------------------------------------- a failing later step
cp "$CONF" "$W/hook.conf"
cat >>"$W/hook.conf" <<EOF

[sweep hook]
targets = $(farm_target good)
alert-channel = webhook:http://127.0.0.1:1/nobody
report-json = $W/reports/hook.json
EOF
rc=0
out=$("$CERTSWEEP" sweep hook --config "$W/hook.conf" 2>&1) || rc=$?
assert_eq 3 "$rc" "a failing alert channel makes the run exit 3"
assert_contains "$out" "sweep hook: the alerts failed" "the failing step is named"
[ -s "$W/reports/hook.json" ] &&
	pass "the reports are written after a failed step" || fail "no hook.json"

# ------------------------------------------------------------------- the lock
cat >"$W/slow.conf" <<EOF
[sweep slow]
db = $W/slow.db
targets = $(farm_target stall)
timeout = 5s
connect-timeout = 2s
retries = 0
alerts = no
EOF
"$CERTSWEEP" sweep slow --config "$W/slow.conf" >"$W/slow1.out" 2>&1 &
slow=$!
for _ in $(seq 50); do
	[ -s "$W/slow.db.sweep-slow.lock" ] && break
	sleep 0.1
done
rc=0
out=$("$CERTSWEEP" sweep slow --config "$W/slow.conf" 2>&1) || rc=$?
assert_eq 75 "$rc" "a second run of a running sweep exits 75"
assert_contains "$out" "sweep slow is already running (pid $slow, since " "it names the running pid"
rc=0
wait "$slow" || rc=$?
assert_eq 0 "$rc" "the first run, holding the lock, finishes normally"
assert_contains "$(cat "$W/slow1.out")" "status: timeout 1" "the stalled endpoint timed out"
rc=0
"$CERTSWEEP" sweep slow --config "$W/slow.conf" >"$W/slow2.out" 2>&1 &
slow=$!
sleep 1
kill -TERM "$slow"
wait "$slow" || rc=$?
assert_eq 143 "$rc" "SIGTERM stops a run (143)"
assert_contains "$(cat "$W/slow2.out")" "sweep slow: the scan was interrupted (exit 143)" \
	"an interrupted run says so"
assert_not_contains "$(cat "$W/slow2.out")" "== changes since" "an interrupted run prints no diff"
rc=0
out=$("$CERTSWEEP" sweep slow --config "$W/slow.conf" --dry-run 2>&1) || rc=$?
assert_eq 0 "$rc" "a dry run ignores the lock"
if command -v flock >/dev/null; then
	rc=0
	flock -n "$W/slow.db.sweep-slow.lock" true || rc=$?
	assert_eq 0 "$rc" "the lock is free once the runs ended"
fi

# ------------------------------------------------------------------- mistakes
# bad NAME LINE REASON: the file $W/bad-NAME.conf (written before) must be refused with
# "FILE:LINE: ...REASON..." by config check, sweep --list and sweep NAME, each exiting 2.
bad() {
	f=$W/bad-$1.conf
	for cmd in "config check" "sweep --list" "sweep a"; do
		rc=0
		# shellcheck disable=SC2086 # the words of cmd
		out=$("$CERTSWEEP" $cmd --config "$f" 2>&1) || rc=$?
		assert_eq 2 "$rc" "$1: $cmd exits 2"
		assert_contains "$out" "$f:$2: " "$1: $cmd names the line"
		assert_contains "$out" "$3" "$1: $cmd says why"
	done
}
T=$(farm_target good)
printf '[sweep a]\ntargets = %s\nport = 443\n' "$T" >"$W/bad-unknown-key.conf"
bad unknown-key 3 'unknown key "port"'
printf '[sweep a]\ntargets = %s\n\nports = 443,70000\n' "$T" >"$W/bad-ports.conf"
bad ports 4 'ports: bad port list'
printf '[defaults]\nconcurrency = lots\n[sweep a]\ntargets = %s\n' "$T" >"$W/bad-number.conf"
bad number 2 'concurrency: "lots" is not a whole number'
printf '[sweep a]\ntargets = %s\ntimeout = 5 s\n' "$T" >"$W/bad-duration.conf"
bad duration 3 'timeout: "5 s" is not a duration'
printf '# no targets\n[sweep a]\nports = 443\n' >"$W/bad-no-targets.conf"
bad no-targets 2 'sweep "a" has no targets'
printf '[sweep a]\ntargets = %s\n[sweep b]\ntargets = %s\n[sweep a]\ntargets = %s\n' \
	"$T" "$T" "$T" >"$W/bad-duplicate.conf"
bad duplicate 5 "sweep \"a\" is already defined at $W/bad-duplicate.conf:1"
printf '[sweep a]\ntargets = %s\n[sweeps b]\n' "$T" >"$W/bad-section.conf"
bad section 3 'unknown section [sweeps b]'
printf '[sweep a]\ntargets = %s\n[sweep b\ntargets = %s\n' "$T" "$T" >"$W/bad-header.conf"
bad header 3 'unterminated section header'
printf '[sweep a]\ntargets = %s\nca-file = %s/nowhere/roots.pem\n' "$T" "$W" >"$W/bad-path.conf"
bad path 3 "ca-file: cannot read $W/nowhere/roots.pem"
printf '[sweep a]\ntargets = %s\nreport-html = %s/nowhere/r.html\n' "$T" "$W" >"$W/bad-outdir.conf"
bad outdir 3 "report-html: the folder $W/nowhere does not exist"
printf '[sweep a] ports = 443\ntargets = %s\n' "$T" >"$W/bad-trailing.conf"
bad trailing 1 'unexpected text after the section header'

# The bounds of the numeric keys are those of the options they stand for (config.c keeps a copy
# of cmd_scan's and cmd_alerts'): at each edge, the scan or the alerts and `config check` agree.
# KEY OPTION-OF COMMAND, then values: the first and last out of range, the middle ones not.
agree() {
	key=$1 cmd=$2
	shift 2
	i=0
	for v in "$@"; do
		i=$((i + 1))
		if [ "$cmd" = scan ]; then
			out=$("$CERTSWEEP" scan --db "$W/never.db" "--$key" "$v" --ports 0 127.0.0.1 2>&1)
			case $out in *"--ports:"*) cli=ok ;; *) cli=refused ;; esac
		else
			opt=${key#alert-}
			"$CERTSWEEP" alerts test --channel stdout "--$opt" "$v" >/dev/null 2>&1 && cli=ok ||
				cli=refused
		fi
		printf '[sweep a]\ntargets = 127.0.0.1\n%s = %s\n' "$key" "$v" >"$W/edge.conf"
		"$CERTSWEEP" config check --config "$W/edge.conf" >/dev/null 2>&1 && conf=ok || conf=refused
		assert_eq "$cli" "$conf" "$key = $v: $cmd and config check agree ($cli)"
		if [ "$i" = 1 ] || [ "$i" = $# ]; then
			assert_eq refused "$conf" "$key = $v is out of range"
		fi
	done
}
agree concurrency scan 0 1 65000 65001
agree retries scan -1 0 10 11
agree per-host scan 0 1 64 65
agree max-connections scan 9 10 10000 10001
agree connect-timeout scan 9ms 10ms 600s 601s
agree timeout scan 9 10 10m 11m
agree rate scan 0.009 0.01 10000000 10000001
agree expiring-high scan -1 30 3650 3651
agree expiring-critical scan -1 0 30 31
agree seed scan -1 0 9223372036854775807 9223372036854775808
agree alert-timeout alerts 99ms 100ms 10m 601s
agree alert-thresholds alerts 0 1 3650,30 3651

rc=0
out=$("$CERTSWEEP" config check --config "$W/missing.conf" 2>&1) || rc=$?
assert_eq 2 "$rc" "a missing configuration exits 2"
assert_contains "$out" "cannot read the configuration $W/missing.conf" \
	"a missing configuration is named"

finish
