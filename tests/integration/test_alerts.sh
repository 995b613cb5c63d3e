#!/bin/bash
# test_alerts.sh: `certsweep alerts` (issue 4) end to end on the loopback farm: a sweep of the
# farm's HTTPS endpoints, then
#   - webhook: a receiver on loopback (python3 http.server, every POST body appended to a file,
#     answer 204) gets the expired and expiring certificates with their days left and
#     thresholds, and the new non-preferred one; a second run sends nothing;
#   - sendmail: a capture script gets an RFC 5322 message naming the certificates;
#   - ics: a calendar with one VEVENT per served certificate, CRLF line ends;
#   - a webhook with nothing listening exits 1 with a clear message, and the next run (the
#     receiver now up) sends the alerts it could not;
#   - alerts test touches no state; bad channels and thresholds exit 2.
CERTSWEEP=${1:?usage: test_alerts.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"
farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"
DB=$W/inv.db
RECEIVERS=

# A webhook receiver: appends each POST body (one line) to FILE, answers 204, writes its port.
cat >"$W/receiver.py" <<'PY'
import http.server, sys
out, portfile, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "ab") as f:
            f.write(body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY

# receiver_up OUT PORT: starts a receiver (PORT 0: any), sets RPORT.
receiver_up() {
	rm -f "$W/port"
	python3 "$W/receiver.py" "$1" "$W/port" "$2" &
	RECEIVERS="$RECEIVERS $!"
	for _ in $(seq 50); do
		[ -s "$W/port" ] && break
		sleep 0.1
	done
	RPORT=$(cat "$W/port" 2>/dev/null)
}

cleanup() {
	for p in $RECEIVERS; do
		kill "$p" 2>/dev/null
	done
	farm_down
}
trap 'cleanup; [ "$_LIB_FINISHED" = 1 ] || finish' EXIT

# ---------------------------------------------------------------- sweep the HTTPS endpoints
: >"$W/targets.csv"
for name in $(farm_names https); do
	sni=$(farm_sni "$name")
	[ "$sni" = "-" ] && sni=
	echo "$(farm_addr "$name"),$(farm_port "$name"),$sni," >>"$W/targets.csv"
done
rc=0
"$CERTSWEEP" scan -q --db "$DB" --targets "$W/targets.csv" --ca-file "$FARM_ROOTS" \
	--preferred-ca "$FARM_PREFERRED" --timeout 3s >"$W/scan.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "the sweep of the farm exits 0"

# days left of the leaf served by endpoint NAME, from the inventory
days_of() {
	sqlite3 "$DB" "SELECT CAST((c.not_after_unix - strftime('%s','now')) / 86400.0 + 100000 AS INTEGER) - 100000
		FROM observations o JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0
		JOIN certificates c ON c.id = oc.certificate_id JOIN endpoints e ON e.id = o.endpoint_id
		WHERE e.port = $(farm_port "$1") AND o.status = 'ok'"
}

# ---------------------------------------------------------------- webhook
receiver_up "$W/hook1.txt" 0
HOOK1=$RPORT
rc=0
out=$("$CERTSWEEP" alerts run --db "$DB" --channel "webhook:http://127.0.0.1:$RPORT/hook" 2>&1) || rc=$?
assert_eq 0 "$rc" "alerts run to the webhook exits 0"
assert_eq 1 "$(wc -l <"$W/hook1.txt")" "one POST"
P=$(head -n 1 "$W/hook1.txt")
for spec in "expired 0" "expiring 7" "expiring20 30"; do
	set -- $spec
	got=$(jq -c --arg n "$1.test" '[.alerts[] | select(.kind == "expiry" and .subject_cn == $n) | [.days_left, .threshold, (.endpoints | length)]]' <<<"$P")
	assert_eq "[[$(days_of "$1"),$2,1]]" "$got" "$1: in the payload with its days left and threshold $2"
done
assert_eq 3 "$(jq '[.alerts[] | select(.kind == "expiry")] | length' <<<"$P")" \
	"only the expired and expiring certificates (none with more than 30 days)"
assert_eq true "$(jq --arg p "127.0.0.1:$(farm_port expired)" '[.alerts[] | select(.subject_cn == "expired.test")][0].endpoints | length == 1 and (.[0] | startswith($p))' <<<"$P")" \
	"the expired certificate names its endpoint"
assert_eq true "$(jq '[.alerts[] | select(.kind == "non_preferred") | .subject_cn] | index("nonpref.test") != null' <<<"$P")" \
	"the non-preferred certificate is a new non_preferred alert"

rc=0
"$CERTSWEEP" alerts run --db "$DB" --channel "webhook:http://127.0.0.1:$RPORT/hook" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "a second run exits 0"
assert_eq 1 "$(wc -l <"$W/hook1.txt")" "a second run sends nothing"

# A lower threshold list crosses a new threshold for expiring20 only when it is smaller.
rc=0
"$CERTSWEEP" alerts run --db "$DB" --thresholds 30,21 --channel "webhook:http://127.0.0.1:$RPORT/hook" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$(wc -l <"$W/hook1.txt")" "a newly crossed smaller threshold (21) sends again"
assert_eq '["expiring20.test"]' "$(tail -n 1 "$W/hook1.txt" | jq -c '[.alerts[].subject_cn]')" \
	"... for expiring20 only"

# ---------------------------------------------------------------- sendmail
printf '#!/bin/sh\ncat >"$1"\n' >"$W/capture.sh"
chmod +x "$W/capture.sh"
rc=0
"$CERTSWEEP" alerts run --db "$DB" --channel "sendmail:$W/capture.sh $W/mail.txt" \
	--mail-from certsweep@example.test --mail-to ops@example.test >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "alerts run to sendmail exits 0"
mail=$(tr -d '\r' <"$W/mail.txt")
assert_contains "$mail" "From: certsweep@example.test" "the message has From"
assert_contains "$mail" "To: ops@example.test" "... To"
assert_contains "$mail" "Subject: certsweep: " "... Subject"
assert_eq 1 "$(grep -cE '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' <<<"$mail")" "... an RFC 5322 Date"
assert_eq 1 "$(grep -c $'\r$' "$W/mail.txt" | awk '{print ($1 == '"$(wc -l <"$W/mail.txt")"')}')" "... CRLF line ends"
body=$(sed '1,/^$/d' <<<"$mail")
for n in expired expiring expiring20 nonpref; do
	assert_contains "$body" "$n.test" "the message names $n.test"
done
assert_contains "$body" "EXPIRED" "... and says the expired one is expired"

rc=0
err=$("$CERTSWEEP" alerts run --db "$DB" --channel "sendmail:/bin/false" --mail-from a@b.test --mail-to c@d.test 2>&1) || rc=$?
assert_eq 1 "$rc" "a failing sendmail command exits 1"
assert_contains "$err" "failed (exit status 1)" "... and says so"

# ---------------------------------------------------------------- ics
rc=0
"$CERTSWEEP" alerts run --db "$DB" --channel "ics:$W/expiry.ics" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "alerts run to ics exits 0"
n_served=$(sqlite3 "$DB" "SELECT count(DISTINCT oc.certificate_id) FROM observations o JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0 WHERE o.status = 'ok'")
assert_eq "BEGIN:VCALENDAR" "$(head -n 1 "$W/expiry.ics" | tr -d '\r')" "the calendar begins with BEGIN:VCALENDAR"
assert_eq "END:VCALENDAR" "$(tail -n 1 "$W/expiry.ics" | tr -d '\r')" "... and ends with END:VCALENDAR"
assert_eq "$n_served" "$(grep -c '^BEGIN:VEVENT' "$W/expiry.ics")" "one VEVENT per served certificate ($n_served)"
assert_eq "$(wc -l <"$W/expiry.ics")" "$(grep -c $'\r$' "$W/expiry.ics")" "every line ends with CRLF"
assert_eq 0 "$(tr -d '\r' <"$W/expiry.ics" | awk 'length($0) > 75' | wc -l)" "no line longer than 75 octets"
exp_day=$(sqlite3 "$DB" "SELECT strftime('%Y%m%d', not_after_unix, 'unixepoch') FROM certificates WHERE subject_cn = 'expired.test'")
assert_eq 1 "$(grep -c "^DTSTART;VALUE=DATE:$exp_day" "$W/expiry.ics")" "the expired certificate's event is on its expiry date"
if python3 -c 'import icalendar' 2>/dev/null; then
	assert_status 0 "python icalendar parses it" python3 -c "import icalendar,sys; icalendar.Calendar.from_ical(open(sys.argv[1],'rb').read())" "$W/expiry.ics"
fi

# ---------------------------------------------------------------- a failing webhook, then a retry
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
err=$("$CERTSWEEP" alerts run --db "$DB" --timeout 2s --channel "webhook:http://127.0.0.1:$DEAD/hook" 2>&1) || rc=$?
assert_eq 1 "$rc" "a webhook with nothing listening exits 1"
assert_contains "$err" "channel webhook: " "... with a message naming the channel"
assert_contains "$err" "will be retried next run" "... and saying it will retry"
receiver_up "$W/hook2.txt" "$DEAD"
rc=0
"$CERTSWEEP" alerts run --db "$DB" --channel "webhook:http://127.0.0.1:$DEAD/hook" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "the next run, receiver up, exits 0"
assert_eq '["expired.test","expiring.test","expiring20.test"]' \
	"$(head -n 1 "$W/hook2.txt" | jq -c '[.alerts[] | select(.kind == "expiry") | .subject_cn] | sort')" \
	"... and sends what the failed run could not"

# ---------------------------------------------------------------- test, stdout, bad input
before=$(sqlite3 "$DB" 'SELECT count(*) FROM alerts_sent')
rc=0
out=$("$CERTSWEEP" alerts test --channel stdout --channel "webhook:http://127.0.0.1:$HOOK1/hook" 2>&1) || rc=$?
assert_eq 0 "$rc" "alerts test exits 0"
assert_contains "$out" "certsweep alerts test" "alerts test prints its synthetic alert"
assert_eq 3 "$(wc -l <"$W/hook1.txt")" "alerts test posts one payload"
assert_eq "$before" "$(sqlite3 "$DB" 'SELECT count(*) FROM alerts_sent')" "alerts test records nothing"

out=$("$CERTSWEEP" alerts run --db "$DB" 2>&1) || true
assert_eq 1 "$(grep -c '^alert: expiry: expired.test EXPIRED' <<<"$out")" "stdout: one line for the expired certificate"
assert_status 2 "an unknown channel exits 2" "$CERTSWEEP" alerts run --db "$DB" --channel pager:x
assert_status 2 "webhook without a URL exits 2" "$CERTSWEEP" alerts run --db "$DB" --channel webhook
assert_status 2 "sendmail without --mail-to exits 2" "$CERTSWEEP" alerts run --db "$DB" --channel sendmail:/bin/true
assert_status 2 "a bad threshold exits 2" "$CERTSWEEP" alerts run --db "$DB" --thresholds 30,x
assert_status 2 "an unknown subcommand exits 2" "$CERTSWEEP" alerts fire
finish
