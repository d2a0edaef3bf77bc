#!/usr/bin/env bash
# Installs the Debian packages that building bpfcap and running its tests
# need. Run as root (or as a user with sudo).
#
#   scripts/install-deps.sh              apt-get update + install, always
#   scripts/install-deps.sh --if-missing do nothing when every needed command
#                                        and header is already there (what
#                                        `make check` runs)
#
# It installs packages only; it does not configure the network or the kernel.
set -euo pipefail

# package      what for
PACKAGES=(
  g++            # the compiler (C++20)
  make           # the build
  re2c           # generates the lexer from compiler/lexer.re
  lemon          # generates the parser from compiler/grammar.y
  libgtest-dev   # unit tests (GoogleTest, with prebuilt libgtest/libgtest_main)
  libpcap-dev    # differential tests against libpcap; never linked into bpfcap
  libbpf-dev     # eBPF back end: loading programs, BPF_PROG_TEST_RUN
  tcpdump        # reference output for golden tests; reads our savefiles in tests
  tshark         # reads our pcap/pcapng savefiles in tests (skipped when missing)
  pkg-config     # locating libraries in tests
  netbase        # /etc/services and /etc/protocols, read by name lookup
  diffutils      # diff, used by the CLI test runner
  iproute2       # ip: network namespaces and veth pairs for capture tests and make demo
  bpftool        # tests: --emit-object's XDP objects must load with bpftool prog load
)

have_cmd() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# Prints what is missing, one item a line; nothing when all is there.
missing() {
  local c f
  for c in g++ make re2c lemon tcpdump tshark pkg-config diff ip bpftool; do
    have_cmd "$c" || echo "command $c"
  done
  for f in /usr/include/gtest/gtest.h /usr/include/pcap/pcap.h /usr/include/bpf/libbpf.h \
           /etc/services /etc/protocols; do
    [ -e "$f" ] || echo "file $f"
  done
}

if [ "${1:-}" = "--if-missing" ]; then
  need="$(missing)"
  [ -z "$need" ] && exit 0
  echo "install-deps: missing: $(echo "$need" | tr '\n' ' ')" >&2
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--if-missing]" >&2
  exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: need root to install packages (not root, no sudo): ${PACKAGES[*]}" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: apt-get not found; install by hand: ${PACKAGES[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: apt-get install ${PACKAGES[*]}" >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

need="$(missing)"
if [ -n "$need" ]; then
  echo "install-deps: still missing after install: $(echo "$need" | tr '\n' ' ')" >&2
  exit 1
fi
