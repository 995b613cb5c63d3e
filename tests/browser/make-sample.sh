#!/bin/sh
# make-sample.sh: assembles a dashboard page from report/assets/report.{css,js} and a data block,
# in the layout report/html.h describes, so the front-end can be checked without the C writer.
#
#   sh tests/browser/make-sample.sh [DATA.json [OUT.html [EXTRA.js ...]]]
#
# DATA.json defaults to tests/browser/sample-data.json, OUT.html to tests/browser/sample.html.
# Each EXTRA.js is added as one more inline script after report.js (check-sample.sh adds its
# checks that way). The page carries the report's Content-Security-Policy with the SHA-256 of
# each inline script, exactly as the real report does, so a script that needs more than the
# policy allows (an inline handler, eval, a fetch) fails here too. In the data block '<', '>'
# and '&' are written as \u003c, \u003e, \u0026 (as report/html.c writes them); the summary
# tiles, the chart and the diff section are static placeholders for the stylesheet.
# CS_REPORT_JS names another report.js (default report/assets/report.js).
set -eu
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${1:-$here/sample-data.json}
out=${2:-$here/sample.html}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
css=$root/report/assets/report.css
js=${CS_REPORT_JS:-$root/report/assets/report.js}

for f in "$data" "$css" "$js" "$@"; do
	[ -r "$f" ] || { echo "make-sample.sh: $f: cannot read" >&2; exit 1; }
done
# An inline script or style ends at the first closing tag, whatever the JS or CSS says.
for f in "$js" "$@"; do
	if grep -qi '</script\|<!--' "$f"; then
		echo "make-sample.sh: $f contains a closing script tag or a comment opener" >&2
		exit 1
	fi
done
if grep -qi '</style' "$css"; then
	echo "make-sample.sh: $css contains a closing style tag" >&2
	exit 1
fi

# sha256 FILE: the CSP source for an inline script with exactly the bytes of FILE.
sha256() {
	printf "'sha256-%s'" "$(openssl dgst -sha256 -binary "$1" | openssl base64 -A)"
}
csp_scripts=$(sha256 "$js")
for f in "$@"; do
	csp_scripts="$csp_scripts $(sha256 "$f")"
done

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
{
	cat <<EOF
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src $csp_scripts; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>certsweep report (sample)</title>
EOF
	printf '<style>'
	cat "$css"
	printf '</style>\n'
	cat <<'EOF'
</head>
<body>
<header>
<h1>certsweep report</h1>
<p>Scope: sweep "sample" (hand-made test data)</p>
<p>Generated 2026-11-26T00:00:00Z</p>
</header>
<section id="summary">
<div class="tile" data-key="endpoints"><span class="n">7</span><span class="l">endpoints</span></div>
<div class="tile" data-key="tls"><span class="n">5</span><span class="l">TLS</span></div>
<div class="tile" data-key="certs"><span class="n">4</span><span class="l">certificates</span></div>
<div class="tile bad" data-key="expired"><span class="n">1</span><span class="l">expired</span></div>
<div class="tile bad" data-key="expiring_7"><span class="n">1</span><span class="l">expiring in 7 days</span></div>
<div class="tile warn" data-key="expiring_30"><span class="n">2</span><span class="l">expiring in 30 days</span></div>
<div class="tile warn" data-key="non_preferred"><span class="n">2</span><span class="l">non-preferred</span></div>
<div class="tile" data-key="untrusted"><span class="n">3</span><span class="l">untrusted</span></div>
</section>
<section id="charts">
<figure><svg viewBox="0 0 320 120" role="img" aria-label="grades">
<rect class="bar" x="10" y="40" width="30" height="60"/><text x="25" y="115" text-anchor="middle">A</text>
<rect class="bar" x="60" y="70" width="30" height="30"/><text x="75" y="115" text-anchor="middle">B</text>
<rect class="bad" x="110" y="70" width="30" height="30"/><text x="125" y="115" text-anchor="middle">F</text>
<rect class="warn" x="160" y="70" width="30" height="30"/><text x="175" y="115" text-anchor="middle">T</text>
<line class="axis" x1="0" y1="100" x2="320" y2="100"/>
</svg><figcaption>Grades</figcaption></figure>
<figure><svg viewBox="0 0 320 120" role="img" aria-label="protocols">
<rect x="10" y="20" width="30" height="80"/><text x="25" y="115" text-anchor="middle">TLSv1.2</text>
<rect x="60" y="80" width="30" height="20"/><text x="75" y="115" text-anchor="middle">TLSv1.3</text>
<rect class="bad" x="110" y="80" width="30" height="20"/><text x="125" y="115" text-anchor="middle">TLSv1.0</text>
</svg><figcaption>Protocols</figcaption></figure>
</section>
<section id="diff">
<h2>Changes since the previous sweep</h2>
<h3>New endpoints (1)</h3>
<ul><li class="new">127.0.0.13:25 (mail.example.test)</li></ul>
<h3>Resolved findings (1)</h3>
<ul><li class="resolved">hsts.missing on [::1]:8443</li></ul>
</section>
<div class="view" id="view-endpoints"></div>
<div class="view" id="view-certs"></div>
<div class="view" id="view-findings"></div>
<div class="view" id="view-orders"></div>
<noscript><p>The tables need JavaScript; the summary and charts above do not.</p></noscript>
EOF
	printf '<script id="cs-data" type="application/json">'
	sed -e 's/</\\u003c/g' -e 's/>/\\u003e/g' -e 's/&/\\u0026/g' "$data"
	printf '</script>\n<script>'
	cat "$js"
	printf '</script>\n'
	for f in "$@"; do
		printf '<script>'
		cat "$f"
		printf '</script>\n'
	done
	printf '</body>\n</html>\n'
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
