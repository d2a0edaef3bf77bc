#!/usr/bin/env bash
# `make demo`: a capture on a private test network, start to finish.
#
#   1. scripts/testnet.sh makes two network namespaces joined by a veth pair
#      (nothing outside them is touched);
#   2. bpfcap captures on one end with a filter compiled into the kernel,
#      printing packets as tcpdump would, and writes a second capture to a
#      pcapng file;
#   3. the other end sends UDP, TCP and IPv6 traffic, some of which matches;
#   4. tcpdump reads the file back; the namespaces are removed, also on
#      failure or Ctrl-C.
# Needs root (namespaces, AF_PACKET). Usage: scripts/demo.sh path/to/bpfcap
set -euo pipefail

BPFCAP=$(realpath "${1:-build/bpfcap}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=bpfcdemo$$
OUT=$(mktemp -d)
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces and AF_PACKET sockets)" >&2
  exit 1
fi
cleanup() {
  "$ROOT/scripts/testnet.sh" down "$PREFIX" || true
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

"$ROOT/scripts/testnet.sh" up "$PREFIX"
NS="ip netns exec $PREFIX-a"
FILTER='udp or (tcp[tcpflags] & tcp-syn != 0)'

echo
echo "== the program the kernel runs for: $FILTER"
"$BPFCAP" -d "$FILTER"

echo
echo "== capturing on veth-a: $FILTER"
$NS timeout 10 "$BPFCAP" -i veth-a -nn -c 5 "$FILTER" &
printer=$!
$NS timeout 10 "$BPFCAP" -i veth-a --pcapng -w "$OUT/demo.pcapng" -c 5 "$FILTER" 2>"$OUT/writer.err" &
writer=$!
sleep 1
"$ROOT/scripts/testnet.sh" traffic "$PREFIX"
sleep 0.5
"$ROOT/scripts/testnet.sh" traffic "$PREFIX"
wait "$printer" || true
wait "$writer" || true

echo
echo "== tcpdump reads the file bpfcap wrote"
tcpdump -nn -r "$OUT/demo.pcapng"
echo
echo "demo: done; the test network is removed"
