#!/bin/sh
# test_kill.sh: SIGKILL during a sweep (POSIX sh), several times at random moments, against the
# loopback test farm. After each kill: PRAGMA integrity_check is ok, nothing committed before
# the kill is lost (the observations a reader saw just before it are still there), the scan is
# left 'running', and every position below its watermark is stored. Then --resume completes it:
# every endpoint exactly once, the last run trying exactly what was not stored yet.
CERTSWEEP=${1:?usage: test_kill.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"

# The farm's HTTPS endpoints under 24 SNIs, the stalling server and the closed port under 48:
# about 5 s at --concurrency 12, results committed once a second. (A resumed run first waits
# for the stalls that held the watermark: they are the first positions it dispatches.)
: >"$W/targets.csv"
for n in $(farm_names https); do
	for v in $(seq 0 23); do
		echo "$(farm_addr "$n"),$(farm_port "$n"),k$v.$(farm_sni "$n")," >>"$W/targets.csv"
	done
done
i=0
while [ "$i" -lt 48 ]; do
	echo "127.0.0.1,$(farm_port stall),stall$i.test," >>"$W/targets.csv"
	echo "127.0.0.1,$(farm_port closed),closed$i.test," >>"$W/targets.csv"
	i=$((i + 1))
done
N=$(wc -l <"$W/targets.csv" | tr -d ' ')
DB=$W/inv.db
q() { sqlite3 "$DB" "$1"; }

# A random delay in [0.4, 2.6) s, different on every call.
delay() { awk -v s="$(date +%N)$1" 'BEGIN { srand(s); printf "%.2f", 0.4 + rand() * 2.2 }'; }

resume=
kills=0
for round in 1 2 3 4 5; do
	"$CERTSWEEP" scan --db "$DB" --name killed --targets "$W/targets.csv" \
		--ca-file "$FARM_ROOTS" --timeout 1s --retries 0 --concurrency 12 $resume \
		>>"$W/runs.out" 2>&1 &
	pid=$!
	sleep "$(delay "$round")"
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		break # finished before the kill: the final resume below has nothing to do
	fi
	before=$(q 'SELECT count(*) FROM observations' 2>/dev/null || echo 0)
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	kills=$((kills + 1))
	after=$(q 'SELECT count(*) FROM observations')
	assert_eq ok "$(q 'PRAGMA integrity_check')" "kill $kills: integrity_check ok"
	if [ "$after" -ge "$before" ]; then
		pass "kill $kills: the $before observations committed before the kill are kept ($after)"
	else
		fail "kill $kills: $before observations before the kill, $after after"
	fi
	assert_eq running "$(q 'SELECT status FROM scans')" "kill $kills: the scan is left running"
	wm=$(q 'SELECT resume_pos FROM scans')
	assert_eq 0 "$(q "WITH RECURSIVE p(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM p WHERE v + 1 < $wm)
		SELECT count(*) FROM p WHERE $wm > 0 AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.pos = p.v)")" \
		"kill $kills: every position below the watermark ($wm) is stored"
	assert_eq 1 "$(q 'SELECT count(*) FROM scans')" "kill $kills: still one scan"
	resume=--resume
done
if [ "$kills" -ge 2 ]; then
	pass "$kills kills during the sweep"
else
	fail "only $kills kills landed during the sweep"
fi

stored=$(q 'SELECT count(*) FROM observations')
rc=0
"$CERTSWEEP" scan --db "$DB" --resume --name killed --timeout 1s >"$W/final.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "--resume completes the killed sweep"
if [ "$stored" -lt "$N" ]; then
	assert_eq "$((N - stored))" "$(grep 'endpoints tried' "$W/final.out" | awk '{ print $3 }')" \
		"the resume tried exactly the $((N - stored)) endpoints not stored"
fi
assert_eq "1|done|$N|$N" "$(q 'SELECT count(*), max(status), max(resume_pos), max(total_endpoints) FROM scans')" \
	"one scan, done, watermark and totals at $N"
assert_eq "$N|$N|1" "$(q 'SELECT count(*), count(DISTINCT endpoint_id), count(*) = count(DISTINCT pos) FROM observations')" \
	"$N observations: every endpoint and every position exactly once"
assert_eq ok "$(q 'PRAGMA integrity_check')" "integrity_check ok at the end"

finish
