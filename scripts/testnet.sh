#!/usr/bin/env bash
# A small private test network for demos and manual tests:
#
#   scripts/testnet.sh up PREFIX       two network namespaces PREFIX-a and
#                                      PREFIX-b joined by a veth pair
#                                      (veth-a in PREFIX-a, veth-b in PREFIX-b)
#                                      10.252.0.1/24 fd00:bfd::1/64 on veth-a
#                                      10.252.0.2/24 fd00:bfd::2/64 on veth-b
#   scripts/testnet.sh traffic PREFIX  a mix from b to a: UDP, TCP SYNs, IPv6
#                                      UDP, and ICMP echo when ping exists
#   scripts/testnet.sh down PREFIX     removes both namespaces (and the veths)
#
# Capture inside a namespace with: ip netns exec PREFIX-a build/bpfcap -i veth-a
# Nothing outside the two namespaces is touched. Needs root.
set -euo pipefail

usage() { echo "usage: $0 up|traffic|down PREFIX" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1 prefix=$2
[[ $prefix =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || { echo "$0: bad prefix '$prefix'" >&2; exit 2; }
a=$prefix-a b=$prefix-b

down() {
  local ns
  for ns in "$a" "$b"; do
    if ip netns list | grep -qx "$ns\( (id: [0-9]*)\)\?"; then ip netns del "$ns"; fi
  done
}

up() {
  down
  ip netns add "$a"
  ip netns add "$b"
  local ns
  for ns in "$a" "$b"; do
    # No IPv6 duplicate address detection, autoconfiguration or router
    # solicitations: the demo shows only the traffic it sends.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.autoconf=0 net.ipv6.conf.default.accept_ra=0 \
      net.ipv6.conf.default.router_solicitations=0 >/dev/null
  done
  ip link add veth-a netns "$a" address 02:bf:d0:00:00:0a type veth \
    peer name veth-b netns "$b" address 02:bf:d0:00:00:0b
  ip -n "$a" addr add 10.252.0.1/24 dev veth-a
  ip -n "$b" addr add 10.252.0.2/24 dev veth-b
  ip -n "$a" addr add fd00:bfd::1/64 dev veth-a nodad
  ip -n "$b" addr add fd00:bfd::2/64 dev veth-b nodad
  for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
  ip -n "$a" link set veth-a up
  ip -n "$b" link set veth-b up
  echo "testnet $prefix: $a/veth-a 10.252.0.1 fd00:bfd::1 <-> $b/veth-b 10.252.0.2 fd00:bfd::2"
}

traffic() {
  ip netns exec "$b" bash -c '
    for port in 80 7777; do echo "hello $port" > /dev/udp/10.252.0.1/$port; done
    echo "hello six" > /dev/udp/fd00:bfd::1/7777
    # Nothing listens: a SYN and a reset for each.
    for port in 22 443; do (exec 3<>/dev/tcp/10.252.0.1/$port) 2>/dev/null || true; done
    if command -v ping >/dev/null; then ping -c 2 -i 0.2 -q 10.252.0.1 >/dev/null || true; fi
  '
}

case $cmd in
  up) up ;;
  down) down ;;
  traffic) traffic ;;
  *) usage ;;
esac
