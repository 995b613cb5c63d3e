#!/bin/sh
# test_resume.sh: scan --resume against the loopback test farm (POSIX sh).
#
# The sweep: the farm's HTTPS endpoints under 8 SNIs each, the stalling server under 16 SNIs
# (each waits its whole handshake timeout, so the fast endpoints after it in the permutation
# finish first: results above the watermark), the closed port under 16 SNIs, and 8 names of a
# hosts file with two addresses each (a name's position is finished when both are). Then:
#   - SIGINT, resume with the targets given, SIGINT again, resume from the stored command line:
#     every endpoint has exactly one observation and exactly one NDJSON record over the runs
#     (so nothing was scanned twice and nothing skipped), the runs tried exactly what was not
#     stored yet, the scan keeps its id and ends done with the watermark at the end;
#   - resume by --name, and the refusals: other targets, another --seed or --shard, a complete
#     scan, an unknown id, a live scan, target options without targets.
CERTSWEEP=${1:?usage: test_resume.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"

# ---------------------------------------------------------------- the targets
: >"$W/targets.csv"
for n in $(farm_names https); do
	a=$(farm_addr "$n")
	p=$(farm_port "$n")
	s=$(farm_sni "$n")
	for v in 0 1 2 3 4 5 6 7; do
		echo "$a,$p,v$v.$s," >>"$W/targets.csv"
	done
done
i=0
while [ "$i" -lt 16 ]; do
	echo "127.0.0.1,$(farm_port stall),stall$i.test," >>"$W/targets.csv"
	echo "127.0.0.1,$(farm_port closed),closed$i.test," >>"$W/targets.csv"
	i=$((i + 1))
done
: >"$W/hosts"
i=0
while [ "$i" -lt 8 ]; do
	# 127.0.0.1 is the farm's good server; nothing listens on 127.0.0.3 (refused)
	printf '127.0.0.1 name%d.test\n127.0.0.3 name%d.test\n' "$i" "$i" >>"$W/hosts"
	echo "name$i.test,$(farm_port good),," >>"$W/targets.csv"
	i=$((i + 1))
done
P=$(wc -l <"$W/targets.csv" | tr -d ' ') # positions of the permutation
N=$((P + 8))                              # endpoints: the names count twice (two addresses)

DB=$W/inv.db
q() { sqlite3 "$DB" "$1"; }

# scan_bg ARGS...: starts a scan of the sweep in the background (pid in SCAN_PID).
scan_bg() {
	"$CERTSWEEP" scan --db "$DB" --name nightly --targets "$W/targets.csv" \
		--hosts-file "$W/hosts" --ca-file "$FARM_ROOTS" --timeout 1500ms --retries 0 \
		--concurrency 8 "$@" >>"$W/runs.out" 2>&1 &
	SCAN_PID=$!
}

# interrupt SECONDS: SIGINT after SECONDS; the exit status must be 130.
interrupt() {
	sleep "$1"
	kill -INT "$SCAN_PID"
	rc=0
	wait "$SCAN_PID" || rc=$?
	assert_eq 130 "$rc" "SIGINT after $1 s exits 130"
}

# tried: "endpoints tried" of the last summary in runs.out
tried() { grep 'endpoints tried' "$W/runs.out" | tail -1 | awk '{ print $3 }'; }
skipped() { grep 'stored before' "$W/runs.out" | tail -1 | awk '{ print $3 }'; }

# ---------------------------------------------------------------- interrupt, resume, repeat
scan_bg --json "$W/scan.ndjson"
interrupt 1.2
assert_eq interrupted "$(q 'SELECT status FROM scans')" "the interrupted scan is marked so"
stored1=$(q 'SELECT count(*) FROM observations')
wm1=$(q 'SELECT resume_pos FROM scans')
above1=$(q "SELECT count(*) FROM observations WHERE pos >= $wm1")
if [ "$stored1" -gt 0 ] && [ "$stored1" -lt "$N" ]; then
	pass "interrupted part-way: $stored1 of $N stored, watermark $wm1, $above1 above it"
else
	fail "interrupted part-way: $stored1 of $N stored"
fi
assert_eq 0 "$(q "WITH RECURSIVE p(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM p WHERE v + 1 < $wm1)
	SELECT count(*) FROM p WHERE $wm1 > 0 AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.pos = p.v)")" \
	"every position below the watermark is stored"

scan_bg --json "$W/scan.ndjson" --resume
interrupt 1.0
assert_eq "$((stored1 + $(tried)))" "$(q 'SELECT count(*) FROM observations')" \
	"the first resume added exactly what it tried (nothing replaced)"
assert_eq "$above1" "$(skipped)" "the first resume skipped the $above1 results stored above the watermark"
stored2=$(q 'SELECT count(*) FROM observations')
wm2=$(q 'SELECT resume_pos FROM scans')
above2=$(q "SELECT count(*) FROM observations WHERE pos >= $wm2")
if [ "$wm2" -ge "$wm1" ]; then
	pass "the watermark did not go back ($wm1 -> $wm2)"
else
	fail "the watermark went back: $wm1 -> $wm2"
fi

# Resume from the stored command line: no targets, only the database and the name.
rc=0
"$CERTSWEEP" scan --db "$DB" --resume --name nightly --json "$W/scan.ndjson" >>"$W/runs.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "resume from the stored command line finishes"
assert_eq "$((N - stored2))" "$(tried)" "the last run tried exactly the $((N - stored2)) endpoints not stored yet"
assert_eq "$above2" "$(skipped)" "... and skipped the $above2 stored above the watermark"
assert_eq "1|done|$P|$N" "$(q 'SELECT count(*), max(status), max(resume_pos), max(total_endpoints) FROM scans')" \
	"one scan, done, watermark at the end, totals of the whole scan"
assert_eq "$N" "$(q 'SELECT count(*) FROM observations')" "$N observations"
assert_eq "$N" "$(q 'SELECT count(DISTINCT endpoint_id) FROM observations')" "$N distinct endpoints"
assert_eq 1 "$(q 'SELECT max(n) FROM (SELECT count(*) n FROM observations GROUP BY endpoint_id)')" \
	"every endpoint observed exactly once"
assert_eq "$N" "$(wc -l <"$W/scan.ndjson" | tr -d ' ')" "$N NDJSON records over the three runs"
assert_eq "$N" "$(jq -r '[.ip, .port, .sni] | @tsv' "$W/scan.ndjson" | sort -u | wc -l | tr -d ' ')" \
	"no endpoint scanned twice (NDJSON records are unique)"
assert_eq 8 "$(q "SELECT count(*) FROM observations o JOIN endpoints e ON e.id = o.endpoint_id
	WHERE e.ip = '127.0.0.3'")" "both addresses of every name are covered"
assert_eq 0 "$(q "SELECT count(*) FROM observations WHERE pos IS NULL")" "every observation has its position"
assert_eq ok "$(q 'PRAGMA integrity_check')" "integrity_check ok"

# ---------------------------------------------------------------- refusals
res() { # expected-status message-fragment description ARGS...
	_want=$1 _frag=$2 _desc=$3
	shift 3
	_rc=0
	_out=$("$CERTSWEEP" scan --db "$DB" "$@" 2>&1) || _rc=$?
	assert_eq "$_want" "$_rc" "$_desc: exit $_want"
	assert_contains "$_out" "$_frag" "$_desc: says why"
}
res 0 "is complete: nothing to resume" "a done scan (nothing to do, not an error)" --resume 1
res 0 "is complete: nothing to resume" "the sweep's latest scan is done" --resume --name nightly
res 2 "no scan named \"weekly\"" "a sweep that never ran" --resume --name weekly
res 2 "no such database" "a database that does not exist" --resume --db "$W/none.db"
if [ -e "$W/none.db" ]; then
	fail "--resume created $W/none.db"
else
	pass "--resume creates no database"
fi
res 2 "no scan 42" "an unknown id" --resume=42
res 2 "leave --ports out" "target options without targets" --resume 1 -p 8443

# A scan to refuse resumes of: interrupted early.
DB=$W/refuse.db
scan_bg
interrupt 0.5
res 2 "differ from those scan 1 was started with" "other targets" --resume --name nightly \
	--targets "$W/targets.csv" --hosts-file "$W/hosts" -p 443 127.0.0.9
res 2 "differ from those" "other ports" --resume=1 --targets "$W/targets.csv" -p 443,8443
res 2 "was started with --seed" "another seed" --resume=1 --targets "$W/targets.csv" --seed 7
res 2 "is not sharded" "a shard of another split" --resume=1 --targets "$W/targets.csv" --shard 1/2

# A live scan is not resumed under its process's feet.
"$CERTSWEEP" scan --db "$W/live.db" --name live --timeout 20s --retries 0 \
	"127.0.0.1:$(farm_port stall)" >/dev/null 2>&1 &
LIVE=$!
sleep 1
DB=$W/live.db
res 2 "still running: its process $LIVE" "a live scan" --resume --name live
kill -KILL "$LIVE"
wait "$LIVE" 2>/dev/null
assert_eq running "$(q 'SELECT status FROM scans')" "a killed scan stays 'running'"
res 0 "resumed and finished" "the same scan once its process is gone" --resume --name live \
	--timeout 300ms

finish
