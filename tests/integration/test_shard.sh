#!/bin/sh
# test_shard.sh: scan --shard I/N and certsweep merge (POSIX sh), against the loopback test farm.
#
# The same targets (HTTPS endpoints under several SNIs, STARTTLS mail, the closed port, names of
# a hosts file with two addresses) are swept once whole and once as 4 shards into 4 databases:
# the shards share a seed derived from the targets, their union is exactly the whole sweep's
# endpoint set and no endpoint is in two shards. Merging the 4 databases gives one scan that
# equals the whole sweep (endpoints, certificates, findings, the CSV report); merging them again
# changes nothing (the dump is byte-identical); a partial merge is interrupted until the last
# shard arrives; the next night's shards become the next scan of the sweep.
CERTSWEEP=${1:?usage: test_shard.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"

: >"$W/targets.csv"
for n in $(farm_names https); do
	for v in 0 1 2 3 4 5; do
		echo "$(farm_addr "$n"),$(farm_port "$n"),s$v.$(farm_sni "$n")," >>"$W/targets.csv"
	done
done
for k in smtp imap pop3; do
	echo "127.0.0.1,$(farm_port "$k"),mail.test,$k" >>"$W/targets.csv"
done
: >"$W/hosts"
for i in 0 1 2 3 4 5; do
	printf '127.0.0.1 name%d.test\n127.0.0.3 name%d.test\n' "$i" "$i" >>"$W/hosts"
	echo "name$i.test,$(farm_port good),," >>"$W/targets.csv"
	echo "127.0.0.1,$(farm_port closed),closed$i.test," >>"$W/targets.csv"
done
P=$(wc -l <"$W/targets.csv" | tr -d ' ')
N=$((P + 6)) # each name has two addresses

sweep() { # DB [ARGS...]
	_db=$1
	shift
	"$CERTSWEEP" scan -q --db "$_db" --name sw --targets "$W/targets.csv" --hosts-file "$W/hosts" \
		--ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED" --timeout 2s --retries 0 "$@"
}
# keys DB [SCAN]: the endpoints observed (in SCAN, default every scan), one per line, sorted
keys() {
	sqlite3 "$1" "SELECT e.ip || '|' || e.port || '|' || e.sni || '|' || e.starttls
		FROM observations o JOIN endpoints e ON e.id = o.endpoint_id
		WHERE ${2:-1} = ${2:-1} AND (${2:-0} = 0 OR o.scan_id = ${2:-0})" | sort
}
# findings DB SCAN: endpoint key, check and certificate of every finding the scan emitted
findings() {
	sqlite3 "$1" "SELECT e.ip || '|' || e.port || '|' || e.sni || '|' || e.starttls || '|' ||
		f.check_id || '|' || f.cert_sha256 || '|' || f.status FROM observation_findings x
		JOIN observations o ON o.id = x.observation_id JOIN findings f ON f.id = x.finding_id
		JOIN endpoints e ON e.id = f.endpoint_id WHERE o.scan_id = $2" | sort
}
# counts DB: rows of every merged table
counts() {
	for t in scans endpoints certificates observations observation_certs findings \
		observation_findings analyses merged_sources; do
		printf '%s=%s ' "$t" "$(sqlite3 "$1" "SELECT count(*) FROM $t")"
	done
}

# ---------------------------------------------------------------- whole and 4 shards
rc=0
sweep "$W/full.db" || rc=$?
assert_eq 0 "$rc" "the whole sweep exits 0"
keys "$W/full.db" >"$W/full.keys"
assert_eq "$N" "$(wc -l <"$W/full.keys" | tr -d ' ')" "the whole sweep covers $N endpoints"

: >"$W/shards.keys"
for i in 0 1 2 3; do
	rc=0
	sweep "$W/shard$i.db" --shard "$i/4" || rc=$?
	assert_eq 0 "$rc" "shard $i/4 exits 0"
	assert_eq "$i|4" "$(sqlite3 "$W/shard$i.db" 'SELECT shard || "|" || nshards FROM scans')" \
		"shard $i/4 is recorded with its scan"
	keys "$W/shard$i.db" >>"$W/shards.keys"
done
seeds=$(for i in 0 1 2 3; do sqlite3 "$W/shard$i.db" 'SELECT seed || space_hash FROM scans'; done | sort -u | wc -l)
assert_eq 1 "$(echo "$seeds" | tr -d ' ')" "the 4 shards derived the same seed and space"
assert_eq "$N" "$(wc -l <"$W/shards.keys" | tr -d ' ')" "the shards scanned $N endpoints in all"
assert_eq "" "$(sort "$W/shards.keys" | uniq -d | head -3)" "no endpoint is in two shards"
assert_eq "" "$(sort "$W/shards.keys" | diff - "$W/full.keys")" "the union of the shards is the whole sweep"
assert_eq "$P" "$(for i in 0 1 2 3; do sqlite3 "$W/shard$i.db" 'SELECT count(DISTINCT pos) FROM observations'; done |
	awk '{ s += $1 } END { print s }')" "the shards' positions add up to the $P of the permutation"
sizes=$(for i in 0 1 2 3; do sqlite3 "$W/shard$i.db" 'SELECT count(DISTINCT pos) FROM observations'; done |
	sort -n | sed -n '1p;$p' | paste -sd' ')
assert_eq 1 "$(echo "$sizes" | awk '{ print ($2 - $1 <= 1) }')" "the shards are even ($sizes positions)"

# An explicit seed is kept; shards are 0-based and checked.
sweep "$W/seeded.db" --shard 2/4 --seed 12345 >/dev/null 2>&1
assert_eq 12345 "$(sqlite3 "$W/seeded.db" 'SELECT seed FROM scans')" "--seed is used by a shard"
for bad in 4/4 0/0 1 x/4 1/2/3 -1/4 1/; do
	assert_status 2 "--shard $bad is refused" "$CERTSWEEP" scan --db "$W/bad.db" --shard "$bad" 127.0.0.1
done

# ---------------------------------------------------------------- merge
M=$W/merged.db
rc=0
out=$("$CERTSWEEP" merge "$M" "$W/shard2.db" "$W/shard0.db" "$W/shard3.db" "$W/shard1.db" 2>&1) || rc=$?
assert_eq 0 "$rc" "merge exits 0"
assert_contains "$out" "shard0.db: 1 scan merged" "merge says what it merged"
assert_eq "1|sw|done|1|4" "$(sqlite3 "$M" 'SELECT count(*), name, status, merged, nshards FROM scans')" \
	"the 4 shards are one done scan of the sweep"
assert_eq "" "$(keys "$M" | diff - "$W/full.keys")" "the merged scan's endpoints are the whole sweep's"
assert_eq "$(sqlite3 "$W/full.db" 'SELECT count(*) FROM certificates')" \
	"$(sqlite3 "$M" 'SELECT count(*) FROM certificates')" "certificates deduplicated by SHA-256"
findings "$W/full.db" 1 >"$W/full.findings"
assert_eq "" "$(findings "$M" 1 | diff - "$W/full.findings")" "the merged scan has the whole sweep's findings"
assert_eq "$(sqlite3 "$W/full.db" 'SELECT total_endpoints || "|" || total_tls || "|" || total_unique_certs FROM scans')" \
	"$(sqlite3 "$M" 'SELECT total_endpoints || "|" || total_tls || "|" || total_unique_certs FROM scans')" \
	"the merged scan's totals are the whole sweep's"
# The endpoints view, less the time each endpoint was observed (the runs differ by seconds).
report_rows() {
	"$CERTSWEEP" report --db "$1" --sweep sw --format json --view endpoints |
		jq -c '.endpoints[] | del(.observed_at)' | sort
}
report_rows "$W/full.db" >"$W/full.rows"
assert_eq "$N" "$(wc -l <"$W/full.rows" | tr -d ' ')" "the whole sweep's report has $N endpoints"
assert_eq "" "$(report_rows "$M" | diff - "$W/full.rows" | head -5)" \
	"report --sweep on the merged database equals the whole sweep's report"
assert_eq ok "$(sqlite3 "$M" 'PRAGMA integrity_check')" "the merged database passes integrity_check"

before=$(counts "$M")
sqlite3 "$M" .dump >"$W/dump1"
rc=0
out=$("$CERTSWEEP" merge "$M" "$W/shard0.db" "$W/shard1.db" "$W/shard2.db" "$W/shard3.db" 2>&1) || rc=$?
assert_eq 0 "$rc" "merging again exits 0"
assert_contains "$out" "1 already merged" "merging again finds every scan already merged"
assert_eq "$before" "$(counts "$M")" "merging again changes no row count"
sqlite3 "$M" .dump >"$W/dump2"
assert_eq "" "$(diff "$W/dump1" "$W/dump2" | head -5)" "merging again changes nothing at all"

# A partial merge is interrupted until the last shard is in.
"$CERTSWEEP" merge -q "$W/part.db" "$W/shard0.db" "$W/shard1.db" "$W/shard3.db"
assert_eq interrupted "$(sqlite3 "$W/part.db" 'SELECT status FROM scans')" "3 of 4 shards: interrupted"
"$CERTSWEEP" merge -q "$W/part.db" "$W/shard2.db"
assert_eq "1|done" "$(sqlite3 "$W/part.db" 'SELECT count(*), status FROM scans')" "the 4th shard completes it"
assert_eq "" "$(keys "$W/part.db" | diff - "$W/full.keys")" "... with the whole sweep's endpoints"

# The next night: the same shard databases get a second run, which merges into a second scan.
for i in 0 1 2 3; do sweep "$W/shard$i.db" --shard "$i/4" >/dev/null 2>&1; done
out=$("$CERTSWEEP" merge "$M" "$W/shard0.db" "$W/shard1.db" "$W/shard2.db" "$W/shard3.db" 2>&1)
assert_contains "$out" "1 scan merged" "the second night's shards are merged"
assert_eq "2|2|done" "$(sqlite3 "$M" 'SELECT count(*), max(id), min(status) FROM scans WHERE merged = 1')" \
	"the second night is a second merged scan, done"
assert_eq "$N" "$(sqlite3 "$M" 'SELECT count(*) FROM observations WHERE scan_id = 2')" "... of $N endpoints"
rc=0
"$CERTSWEEP" diff --db "$M" --sweep sw >"$W/diff.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "diff compares the two merged nights"
assert_contains "$(cat "$W/diff.out")" "scan 2" "diff picks the latest merged scan"

# Refusals: the output itself, not a database; the good input is still merged.
echo "not a database" >"$W/junk.db"
rc=0
out=$("$CERTSWEEP" merge "$W/new.db" "$W/junk.db" "$W/shard0.db" "$W/new.db" 2>&1) || rc=$?
assert_eq 3 "$rc" "a bad input makes merge exit 3"
assert_contains "$out" "junk.db: not merged" "the bad input is named"
assert_contains "$out" "is the output database itself" "merging a database into itself is refused"
assert_eq 2 "$(sqlite3 "$W/new.db" 'SELECT count(*) FROM scans')" "the good input was merged all the same"
assert_status 2 "merge without inputs is a usage error" "$CERTSWEEP" merge "$W/new.db"

finish
