#!/bin/sh
# record.sh: regenerates the recorded handshakes of this folder (see README). Needs openssl,
# python3, tcpdump and tshark; run as root (tcpdump on lo) from this folder. Loopback only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SPORT=${SPORT:-24431}   # openssl s_server
PPORT=${PPORT:-24432}   # the recording proxy (s_client connects here)

cd "$tmp"
# A small PKI: root -> intermediate -> server leaf (www.example.test) and client leaf.
cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server]
basicConstraints = CA:FALSE
subjectAltName = DNS:www.example.test
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
	-subj "/O=tlsp test/CN=tlsp Test Root" -days 3650 -out root.pem \
	-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
for name in int server client; do
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $name.key \
		-subj "/O=tlsp test/CN=tlsp $name" -out $name.csr 2>/dev/null
done
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 \
	-extfile ext.cnf -extensions ca -out int.pem 2>/dev/null
openssl x509 -req -in server.csr -CA int.pem -CAkey int.key -CAcreateserial -days 3650 \
	-extfile ext.cnf -extensions server -out server.pem 2>/dev/null
openssl x509 -req -in client.csr -CA int.pem -CAkey int.key -CAcreateserial -days 3650 \
	-extfile ext.cnf -extensions client -out client.pem 2>/dev/null
for name in int server client; do
	openssl x509 -in $name.pem -outform der -out "$here/$name.der"
done

# record NAME "s_server options" "s_client options"
record() {
	tcpdump -i lo -U -w "$1.pcap" "tcp port $PPORT" 2>/dev/null &
	dump=$!
	sleep 1
	python3 "$here/proxy.py" $PPORT $SPORT "$here/$1" > proxy.out &
	proxy=$!
	openssl s_server -accept 127.0.0.1:$SPORT -naccept 1 -www -cert server.pem -key server.key \
		-cert_chain int.pem $2 > server.out 2>&1 &
	server=$!
	while ! grep -q ready proxy.out; do sleep 0.1; done
	sleep 0.5
	openssl s_client -connect 127.0.0.1:$PPORT -servername www.example.test $3 \
		< /dev/null > "$1.client.out" 2>&1 || true
	wait $proxy
	kill $server 2>/dev/null || true
	sleep 1
	kill -INT $dump
	wait $dump || true
	tshark -r "$1.pcap" -d tcp.port==$PPORT,tls -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' \
		-T fields -e tls.handshake.type -e tls.handshake.ja3_full -e tls.handshake.ja3 \
		-e tls.handshake.ja3s_full -e tls.handshake.ja3s 2>/dev/null > "$here/$1.tshark"
	grep -E '^ *(Protocol|Cipher) *:' "$1.client.out" | sed 's/^ *//' >> "$here/$1.tshark" || true
}

record tls12 "" "-tls1_2"
record tls13 "" "-tls1_3 -bugs -alpn h2,http/1.1"
record tls12-client-cert "-Verify 1 -CAfile root.pem" \
	"-tls1_2 -cert client.pem -key client.key -cert_chain int.pem"
record tls13-hrr "-groups P-384" "-tls1_3"

# The TLS 1.3 ClientHello with GREASE values added (grease.py); tshark reads it from a pcap
# that text2pcap wraps around the bytes (one TCP segment to port PPORT).
python3 "$here/grease.py" "$here/tls13.c2s" "$here/grease.c2s"
od -An -tx1 -v -w16 "$here/grease.c2s" | awk '{ printf "%06x%s\n", (NR - 1) * 16, $0 }' > grease.txt
text2pcap -q -T 40000,$PPORT grease.txt grease.pcap > /dev/null 2>&1
tshark -r grease.pcap -d tcp.port==$PPORT,tls -T fields -e tls.handshake.type \
	-e tls.handshake.ja3_full -e tls.handshake.ja3 2>/dev/null > "$here/grease.tshark"
