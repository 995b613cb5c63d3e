#!/usr/bin/python3
"""gen-data.py: writes a large, deterministic "certsweep.html/1" data block to stdout, for the
paging and speed checks of report.js (check-sample.sh --big N). Not real scan data: N endpoints
on 127.x.y.z and ::1, a quarter as many leaf certificates (some expired, some expiring, some
non-preferred, some with hostile names), three intermediates, findings and orders that refer to
them. Layout as in report/html.h.

usage: gen-data.py N
"""
import json
import random
import sys
import time

CHECKS = [("cert.expired", "critical"), ("cert.expiring", "high"),
          ("issuer.non_preferred", "medium"), ("ocsp.no_stapling", "low"),
          ("hsts.missing", "info")]
NOW = 1795651200                      # 2026-11-26T00:00:00Z


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def host_name(i):
    """The host of endpoint i: mostly "www<i>.example.test" (numbers of every width: the
    collator's numeric order is not code unit order), none for every third; every 13th in
    capitals and for another endpoint (the collator calls it equal to that one's host: ties);
    every 17th with an accent (collated as the plain letter, sorted far off by code unit)."""
    if i % 3 == 0:
        return ""
    if i % 13 == 0:
        return "WWW%d.Example.test" % (i // 13)
    if i % 17 == 0:
        return "w\u00e9b%d.example.test" % i
    return "www%d.example.test" % i


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write("usage: gen-data.py N\n")
        return 2
    n = int(sys.argv[1])
    rnd = random.Random(1)
    n_leaf = max(1, n // 4)
    inter = [
        ("Preferred Test Intermediate", "certsweep Preferred Test Org", 1),
        ("Other CA Intermediate", "Other CA Ltd", 0),
        ("Evil <b>CA</b>", "<script>window.__xss=9</script>", 0),
    ]
    certs, eps, findings, orders = [], [], [], []
    for k in range(n_leaf):
        which = 0 if k % 5 else (1 if k % 10 else 2)
        days = rnd.randint(-60, 400)
        cn = "host%d.example.test" % k if k % 97 else "<img src=x onerror=window.__xss=%d>" % k
        certs.append(["%064x" % (k + 1), cn, "CN=" + cn, "CN=" + inter[which][0],
                      inter[which][0], inter[which][1], "DNS:" + cn,
                      iso(NOW - 86400 * 300), iso(NOW + 86400 * days), days,
                      rnd.choice(["RSA 2048", "EC P-256", "RSA 4096"]),
                      "sha256WithRSAEncryption", inter[which][2], 1 if which == 0 else 0,
                      1, 0, [n_leaf + which], [], [], -1])
    for j, (name, org, _) in enumerate(inter):
        certs.append(["%064x" % (10**9 + j), name, "CN=" + name, "CN=" + org + " Root",
                      org + " Root", org, "", iso(NOW - 86400 * 1000), iso(NOW + 86400 * 3000),
                      3000, "RSA 4096", "sha256WithRSAEncryption", -1, -1, 0, 0, [], [], [], -1])
    for i in range(n):
        status = "ok" if i % 10 else rnd.choice(["refused", "timeout", "not_tls"])
        c = rnd.randrange(n_leaf) if status == "ok" else -1
        ip = "::1" if i % 1000 == 999 else "127.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256,
                                                             i % 256)
        f_list = []
        if c >= 0:
            days = certs[c][9]
            picks = []
            if days < 0:
                picks.append(0)
            elif days <= 30:
                picks.append(1)
            if certs[c][12] == 0:
                picks.append(2)
            if rnd.random() < 0.3:
                picks.append(3)
            for p in picks:
                check, sev = CHECKS[p]
                fi = len(findings)
                findings.append([check, sev, "cert" if p < 3 else "config", "open",
                                 "%s on %s" % (check, certs[c][1]), i, c if p < 3 else -1,
                                 iso(NOW - 86400 * rnd.randint(1, 90)), iso(NOW - 3600)])
                f_list.append(fi)
                if p < 3:
                    certs[c][18].append(fi)
            certs[c][17].append(i)
        eps.append([host_name(i), ip, 443 + i % 7,
                    "www%d.example.test" % i if i % 2 else "", "", status,
                    "" if status == "ok" else "failed: " + status,
                    "TLSv1.3" if i % 4 else "TLSv1.2" if status == "ok" else "",
                    "TLS_AES_128_GCM_SHA256" if status == "ok" else "", "X25519",
                    rnd.choice(["A+", "A", "B", "F", "T", ""]) if status == "ok" else "",
                    rnd.randint(0, 100), "", "", "",
                    1 if c >= 0 and certs[c][13] else (0 if c >= 0 else -1), 1 if c >= 0 else -1,
                    certs[c][12] if c >= 0 else -1, c, f_list, -1, iso(NOW - 600)])
    for c in range(0, n_leaf, 50):
        o = len(orders)
        orders.append([o + 1,
                       rnd.choice(["Waiting for CSR", "Processing", "Issued", "Installed"]),
                       rnd.choice(["", "Accepted by CA"]), certs[c][1], certs[c][1],
                       "cert.expiring",
                       iso(NOW - 86400 * 5), iso(NOW - 3600), c, certs[c][17][:5],
                       ", ".join("%s:%d" % (eps[e][1], eps[e][2]) for e in certs[c][17][:5])])
        certs[c][19] = o
        for e in certs[c][17]:
            eps[e][20] = o
    data = {
        "v": 1, "generated": iso(NOW), "now": NOW, "scope": "generated: %d endpoints" % n,
        "ep_cols": ["host", "ip", "port", "sni", "starttls", "status", "error", "version",
                    "cipher", "group", "grade", "score", "country", "asn", "org", "verified",
                    "hostname_ok", "preferred", "cert", "findings", "order", "observed"],
        "eps": eps,
        "cert_cols": ["sha256", "cn", "subject", "issuer", "issuer_cn", "issuer_org", "sans",
                      "not_before", "not_after", "days", "key", "sig", "preferred", "trusted",
                      "leaf", "self_signed", "chain", "eps", "findings", "order"],
        "certs": certs,
        "f_cols": ["check", "severity", "kind", "status", "message", "ep", "cert", "first_seen",
                   "last_seen"],
        "findings": findings,
        "fixes": {c: "fix for " + c for c, _ in CHECKS},
        "o_cols": ["id", "status", "ca_state", "cn", "sans", "reason", "created", "updated",
                   "cert", "eps", "endpoints"],
        "orders": orders,
    }
    json.dump(data, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
