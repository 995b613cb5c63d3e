#!/bin/sh
# test_deadspace.sh: a sweep of address space where almost nothing answers (POSIX sh).
#
# A network namespace of its own (root only: the test is skipped otherwise) routes 10.99.0.0/16
# through a veth pair to a gateway whose link-layer address is set by hand (a permanent
# neighbour entry): every SYN leaves and is dropped at the other end, no RST, no ICMP, exactly
# like unused address space. 10.99.0.1 is the namespace's own address with nothing listening:
# it answers at once (refused). certsweep runs inside the namespace (ip netns exec), so nothing
# it sends leaves it.
#
#   - a /20 (4096 addresses) with --connect-timeout 500ms --concurrency 1024 --retries 0 takes
#     at most 1.5 x N x timeout / concurrency (2 s), not the kernel's SYN retries (about 2 min
#     per address); with --retries 1 each address costs two timeouts: 1.5 x twice the bound;
#   - every dead address is a timeout after its full connect timeout, the live one refused;
#   - memory stays flat over a longer sweep (the /16, 65,536 results): the resident set sampled
#     every 0.2 s grows by less than 1 MiB after the first quarter, once SQLite's page cache
#     (2 MiB) is full (checked on non-sanitizer builds, whose allocator does not hold freed
#     memory back).
CERTSWEEP=${1:?usage: test_deadspace.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "network namespaces need root"
command -v ip >/dev/null || skip_all "ip (iproute2) is not installed"
NS=cs-dead-$$
W=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-dead.XXXXXX")

cleanup() {
	_st=$?
	ip netns del "$NS" 2>/dev/null
	rm -rf "$W"
	(exit "$_st")
	_lib_exit
}
trap cleanup EXIT

ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace here"
if ! { ip -n "$NS" link set lo up &&
	ip -n "$NS" link add v0 type veth peer name v1 &&
	ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up &&
	ip -n "$NS" addr add 10.98.0.1/30 dev v0 &&
	ip -n "$NS" neigh add 10.98.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent &&
	ip -n "$NS" route add 10.99.0.0/16 via 10.98.0.2 dev v0 &&
	ip -n "$NS" addr add 10.99.0.1/32 dev lo; } 2>"$W/ns.err"; then
	skip_all "cannot build the namespace's network: $(head -1 "$W/ns.err")"
fi

ASAN=0
grep -q __asan_init "$CERTSWEEP" 2>/dev/null && ASAN=1

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# sweep DB ARGS...: a timed sweep in the namespace; sets WALL (ms) and RC.
sweep() {
	_db=$1
	shift
	_t0=$(now_ms)
	RC=0
	ip netns exec "$NS" "$CERTSWEEP" scan -q --db "$_db" "$@" >"$W/out" 2>&1 || RC=$?
	WALL=$(($(now_ms) - _t0))
}

# ---------------------------------------------------------------- a /20 of dead space
BOUND=$((4096 * 500 / 1024)) # ms
sweep "$W/dead.db" --connect-timeout 500ms --concurrency 1024 --retries 0 10.99.0.0/20
assert_eq 0 "$RC" "the /20 sweep exits 0"
if [ "$WALL" -le $((BOUND * 3 / 2)) ]; then
	pass "the /20 took $WALL ms: within 1.5 x N x timeout / concurrency ($BOUND ms)"
else
	fail "the /20 took $WALL ms: over 1.5 x N x timeout / concurrency ($BOUND ms)"
fi
assert_eq "refused|1
timeout|4095" "$(sqlite3 "$W/dead.db" 'SELECT status, count(*) FROM observations GROUP BY 1 ORDER BY 1')" \
	"4095 addresses time out, the one live address is refused"
assert_eq "4095|1|1" "$(sqlite3 "$W/dead.db" "SELECT count(*), min(ms_total) >= 490, max(ms_total) < 1500
	FROM observations WHERE status = 'timeout'")" "each dead address took its connect timeout, no more"
assert_contains "$(sqlite3 "$W/dead.db" "SELECT error FROM observations WHERE status = 'timeout' LIMIT 1")" \
	"TCP connect timed out after 500 ms" "the error names the connect timeout"

sweep "$W/retry.db" --connect-timeout 500ms --concurrency 1024 --retries 1 10.99.0.0/20
if [ "$WALL" -le $((BOUND * 2 * 3 / 2)) ]; then
	pass "--retries 1: $WALL ms, within 1.5 x twice the bound"
else
	fail "--retries 1: $WALL ms, over 1.5 x twice the bound ($((2 * BOUND)) ms)"
fi
assert_eq 2 "$(sqlite3 "$W/retry.db" "SELECT min(attempts) FROM observations WHERE status = 'timeout'")" \
	"--retries 1: two attempts per dead address"

# ---------------------------------------------------------------- memory over a longer sweep
ip netns exec "$NS" "$CERTSWEEP" scan -q --db "$W/mem.db" --connect-timeout 100ms \
	--concurrency 4096 --retries 0 10.99.0.0/16 >/dev/null 2>&1 &
JOB=$!
PID=$JOB
sleep 0.1
# ip netns exec may run the command as its child rather than exec it
[ "$(cat "/proc/$JOB/comm" 2>/dev/null)" = certsweep ] || PID=$(pgrep -P "$JOB" | head -1)
: >"$W/rss"
while kill -0 "$JOB" 2>/dev/null; do
	ps -o rss= -p "${PID:-$JOB}" >>"$W/rss" 2>/dev/null
	sleep 0.2
done
wait "$JOB"
assert_eq 65536 "$(sqlite3 "$W/mem.db" 'SELECT count(*) FROM observations')" "the /16 sweep stored 65536 results"
n=$(grep -c . "$W/rss")
if [ "$n" -lt 8 ]; then
	fail "too few RSS samples ($n) over the /16 sweep"
elif [ "$ASAN" -eq 1 ]; then
	pass "RSS not checked under AddressSanitizer ($n samples)"
else
	growth=$(awk -v n="$n" 'NR == int(n / 4) { base = $1 } NR > n / 4 && $1 > max { max = $1 }
		END { print max - base }' "$W/rss")
	if [ "$growth" -lt 1024 ]; then
		pass "RSS flat over the sweep: +$growth KiB after the first quarter ($(paste -sd' ' "$W/rss") KiB)"
	else
		fail "RSS grew by $growth KiB after the first quarter: $(paste -sd' ' "$W/rss")"
	fi
fi

finish
