#!/usr/bin/env bash
# CLI tests for bpfcap, in the style of chibicc's driver.sh: one check per
# behaviour of the command line, then the golden files.
#
#   tests/cli/run.sh build/bpfcap          run everything, stop at the first failure
#   KEEP_GOING=1 tests/cli/run.sh ...      report every failure
#   UPDATE_GOLDEN=1 tests/cli/run.sh ...   rewrite tests/golden/ with today's output
#
# Golden file formats: tests/golden/README.md. Prints "cli: N passed, M failed"
# last; exits non-zero if anything failed. Does not need root.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 path/to/bpfcap" >&2
  exit 2
fi
BPFCAP=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOLDEN_DIR=${GOLDEN_DIR:-$ROOT/tests/golden}
DATA=$ROOT/tests/cli/data
TMP=$(mktemp -d)
NET_PREFIX=
cleanup() {
  [ -n "$NET_PREFIX" ] && "$ROOT/scripts/testnet.sh" down "$NET_PREFIX" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

passed=0
failed=0

finish() {
  echo "cli: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

pass() { passed=$((passed + 1)); }

# fail WHAT [DETAIL...]: reports a failure; stops unless KEEP_GOING is set.
fail() {
  echo "cli: FAIL: $1" >&2
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" >&2
  failed=$((failed + 1))
  [ -n "${KEEP_GOING:-}" ] || finish
}

# run ARGS...: runs bpfcap; $status, $TMP/out (stdout) and $TMP/err (stderr).
run() {
  "$BPFCAP" "$@" >"$TMP/out" 2>"$TMP/err"
  status=$?
}

show() { printf '  $ bpfcap'; printf ' %q' "$@"; echo; }
lines() { grep -c '' "$1"; }  # counts a last line without '\n' too

# ok_run NAME ARGS...: exit 0 and nothing on stderr. Returns non-zero if not.
ok_run() {
  local name=$1
  shift
  run "$@"
  if [ "$status" -ne 0 ] || [ -s "$TMP/err" ]; then
    fail "$name" "$(show "$@")" "  exit $status, stderr:" "$(cat "$TMP/err")"
    return 1
  fi
}

# check_error NAME STATUS ARGS...: exit STATUS, empty stdout, exactly one
# stderr line starting "bpfcap: ".
check_error() {
  local name=$1 want=$2
  shift 2
  run "$@"
  if [ "$status" -ne "$want" ] || [ -s "$TMP/out" ] || [ "$(lines "$TMP/err")" -ne 1 ] ||
     [ "$(wc -l <"$TMP/err")" -ne 1 ] || ! grep -q '^bpfcap: ' "$TMP/err"; then
    fail "$name" "$(show "$@")" "  exit $status (want $want), stdout:" "$(cat "$TMP/out")" \
      "  stderr:" "$(cat "$TMP/err")"
  else
    pass
  fi
}

# check_stderr_is NAME TEXT: the last run's stderr is exactly TEXT and a newline.
check_stderr_is() {
  printf '%s\n' "$2" >"$TMP/want"
  if cmp -s "$TMP/want" "$TMP/err"; then pass; else
    fail "$1" "$(diff -u "$TMP/want" "$TMP/err")"
  fi
}

# check_same NAME ARGS1... -- ARGS2...: both succeed with identical stdout.
# check_golden_text NAME FILE ARGS...: exit 0, stdout equal to
# $GOLDEN_DIR/FILE (UPDATE_GOLDEN rewrites it).
check_golden_text() {
  local name=$1 file=$GOLDEN_DIR/$2
  shift 2
  ok_run "$name" "$@" || return
  if [ -n "${UPDATE_GOLDEN:-}" ] && ! cmp -s "$TMP/out" "$file"; then
    cp "$TMP/out" "$file"
    echo "cli: updated ${file#"$GOLDEN_DIR"/}" >&2
  fi
  if cmp -s "$file" "$TMP/out"; then pass; else
    fail "$name" "$(diff -u "$file" "$TMP/out")"
  fi
}

check_same() {
  local name=$1 a=() b=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--vs" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  ok_run "$name" "${a[@]}" || return
  mv "$TMP/out" "$TMP/out.a"
  ok_run "$name" "${b[@]}" || return
  if cmp -s "$TMP/out.a" "$TMP/out"; then pass; else
    fail "$name" "$(show "${a[@]}")" "$(show "${b[@]}")" "$(diff -u "$TMP/out.a" "$TMP/out")"
  fi
}

# check_shape NAME REGEX ARGS...: succeeds, prints something, and every
# line matches REGEX.
check_shape() {
  local name=$1 re=$2
  shift 2
  ok_run "$name" "$@" || return
  if [ ! -s "$TMP/out" ] || grep -Evq "$re" "$TMP/out"; then
    fail "$name" "$(show "$@")" "  lines not matching /$re/:" "$(grep -Ev "$re" "$TMP/out")"
  else
    pass
  fi
}

# check_prints NAME REGEX ARGS...: succeeds and some stdout line matches REGEX.
check_prints() {
  local name=$1 re=$2
  shift 2
  ok_run "$name" "$@" || return
  if grep -Eq "$re" "$TMP/out"; then pass; else
    fail "$name" "$(show "$@")" "  no line matches /$re/ in:" "$(cat "$TMP/out")"
  fi
}

# check_like_tcpdump NAME ARGS...: same stdout as tcpdump with the same
# arguments (for programs whose optimal form is not in doubt).
check_like_tcpdump() {
  local name=$1
  shift
  if ! command -v tcpdump >/dev/null 2>&1; then
    echo "cli: skipped (tcpdump not installed): $name" >&2
    return
  fi
  tcpdump "$@" >"$TMP/tcpdump.out" 2>/dev/null
  ok_run "$name" "$@" || return
  if cmp -s "$TMP/tcpdump.out" "$TMP/out"; then pass; else
    fail "$name" "$(show "$@")" "  tcpdump (-) vs bpfcap (+):" "$(diff -u --label tcpdump --label bpfcap "$TMP/tcpdump.out" "$TMP/out")"
  fi
}

# --- command-line behaviour ---------------------------------------------------

cli_checks() {
  local asm='^\([0-9]{3}\) [a-z]+'
  local c_array='^\{ 0x[0-9a-f]+, [0-9]+, [0-9]+, 0x[0-9a-f]{8} \},$'
  local decimal='^[0-9]+( [0-9]+ [0-9]+ [0-9]+)?$'

  check_prints "--help" '^Usage: bpfcap ' --help
  check_prints "-h is --help" '^Usage: bpfcap ' -h
  check_prints "--version" '^bpfcap [0-9]' --version

  check_shape "-d prints assembly" "$asm" -d ip
  check_shape "-dd prints a C array" "$c_array" -dd ip
  check_shape "-ddd prints decimal" "$decimal" -ddd ip
  ok_run "-ddd starts with the count" -ddd 'tcp port 80' && {
    local count
    count=$(head -n1 "$TMP/out")
    if [ "$count" -eq "$(($(lines "$TMP/out") - 1))" ]; then pass; else
      fail "-ddd count line" "$(cat "$TMP/out")"
    fi
  }
  check_same "-d -d is -dd" -d -d ip --vs -dd ip
  check_same "-dddd is -ddd" -dddd ip --vs -ddd ip
  check_shape "-O prints assembly" "$asm" -d -O 'tcp port 80'
  check_like_tcpdump "-d ip as tcpdump" -d ip
  check_like_tcpdump "-dd ip as tcpdump" -dd ip
  check_like_tcpdump "-ddd ip as tcpdump" -ddd ip
  check_like_tcpdump "-s 100 as tcpdump" -d -s 100 ip
  check_like_tcpdump "empty expression accepts all" -d

  check_same "words are joined with spaces" -d tcp port 80 --vs -d 'tcp port 80'
  check_same "options may follow the expression" tcp port 80 -d --vs -d 'tcp port 80'
  check_same "-- ends the options" -d -- tcp port 80 --vs -d 'tcp port 80'

  printf 'tcp port 80  # web\n# whole-line comment\n' >"$TMP/filter"
  check_same "-F reads the file, # comments" -d -F "$TMP/filter" --vs -d 'tcp port 80'
  check_error "-F missing file" 1 -d -F "$TMP/no-such-file"
  check_stderr_is "-F missing file message" \
    "bpfcap: can't read '$TMP/no-such-file': No such file or directory"
  check_error "-F with expression words" 2 -d -F "$TMP/filter" udp

  check_same "-y is case-insensitive" -d -y en10mb ip --vs -d ip
  check_same "-y takes DLT_" -d -y DLT_EN10MB ip --vs -d ip
  check_same "-y takes numbers" -d -y 1 ip --vs -d ip
  check_error "bad -y" 2 -d -y NO_SUCH_LINK ip
  check_stderr_is "bad -y message" \
    "bpfcap: unknown link type 'NO_SUCH_LINK' ('-y help' lists them); see 'bpfcap --help'"
  check_golden_text "-y help lists every link type" linktypes/list.txt -y help
  check_same "-L -y help is -y help" -L -y help --vs -y help
  # Every link type listed (by name, or by number where libpcap has no
  # name) compiles the link-agnostic primitives.
  local lt bad=""
  for lt in $("$BPFCAP" -y help | sed -n 's/^  \([A-Z0-9_]*\) (.*/\1/p'); do
    run -d -y "$lt" 'len > 100 or link[0] = 1 or inbound'
    [ "$status" -eq 0 ] || bad="$bad $lt"
  done
  if [ -z "$bad" ]; then pass; else fail "-d -y NAME for every listed link type" "  failed:$bad"; fi
  check_same "-s 0 is 262144" -d -s 0 ip --vs -d ip
  check_error "bad -s" 2 -d -s 300000 ip
  check_error "non-numeric -s" 2 -d -s big ip

  check_error "syntax error" 1 -d 'tcp port'
  check_error "unknown option" 2 -d --no-such-option ip
  check_stderr_is "unknown option message" \
    "bpfcap: unknown option '--no-such-option'; see 'bpfcap --help'"
  check_error "missing option argument" 2 -d ip -y
  check_error "bad --dump stage" 2 --dump=nothing ip
  ok_run "--dump=ast" --dump=ast 'tcp port 80' && pass
  check_same "--dump wins over -d" -d --dump=ast 'tcp port 80' --vs --dump=ast 'tcp port 80'
  check_prints "--target=ebpf -d lists a socket filter" '^[0-9]+: \([0-9a-f]{2}\) ' -d --target=ebpf 'tcp port 80'
  check_prints "--target=xdp -d reads ctx->data" '^0: \(61\) r6 = \*\(u32 \*\)\(r1 \+0\)$' -d --target=xdp udp
  check_error "--target=xdp refuses raw IP" 1 -d --target=xdp -y RAW ip
  check_error "bad --target" 2 -d --target=gpu ip
  check_error "bad --engine" 2 --engine=gpu ip
  check_error "bad --xdp-mode" 2 --engine=xdp --xdp-mode=fast ip
  check_error "--xdp-mode without --engine=xdp" 2 --xdp-mode=native -i eth0 ip
  check_error "--engine=xdp -Q out" 2 --engine=xdp -Q out -i eth0 ip
  check_error "--engine=xdp --target=ebpf" 2 --engine=xdp --target=ebpf -i eth0 ip
  check_error "--engine=xdp --threads" 2 --engine=xdp --threads 2 -i eth0 ip
  check_error "--target=xdp capture without --engine=xdp" 2 --target=xdp -i eth0 ip
  # --engine=afxdp: usage errors (captures in tests/capture/afxdp_test.cc).
  check_error "--engine=afxdp with -r" 2 --engine=afxdp -r "$DATA/three.pcap" udp
  check_stderr_is "--engine=afxdp with -r message" \
    "bpfcap: --engine=afxdp captures live; -r reads a file; see 'bpfcap --help'"
  check_error "--engine=afxdp with -Q out" 2 --engine=afxdp -i lo -Q out udp
  check_error "--engine=afxdp with --threads" 2 --engine=afxdp -i lo --threads 2 udp
  check_error "--engine=afxdp with -y" 2 --engine=afxdp -i lo -y LINUX_SLL udp
  check_error "unknown engine" 2 --engine=dpdk -i lo udp
  check_stderr_is "unknown engine message" \
    "bpfcap: unknown engine 'dpdk' (packet, xdp or afxdp); see 'bpfcap --help'"
  # --emit-object: an ELF object for ip link / bpftool (loaded and attached
  # in tests/compiler/ebpf/object_test.cc).
  if ok_run "--emit-object writes an object" --target=xdp --emit-object="$TMP/fw.o" icmp; then
    if [ "$(od -An -tx1 -N20 "$TMP/fw.o" | tr -d ' \n')" = 7f454c460201010000000000000000000100f700 ]; then
      pass
    else
      fail "--emit-object: ELF64 LSB relocatable for EM_BPF" "$(od -An -tx1 -N20 "$TMP/fw.o")"
    fi
  fi
  ok_run "--emit-object --drop-matching" --target=xdp --emit-object="$TMP/fw2.o" --drop-matching icmp &&
    if cmp -s "$TMP/fw.o" "$TMP/fw2.o"; then fail "--drop-matching changes the program"; else pass; fi
  check_error "--emit-object needs --target=xdp" 2 --emit-object="$TMP/x.o" icmp
  check_stderr_is "--emit-object needs --target=xdp message" \
    "bpfcap: --emit-object writes an XDP program: it needs --target=xdp; see 'bpfcap --help'"
  check_error "--drop-matching needs --emit-object" 2 --target=xdp --drop-matching icmp
  check_error "--emit-object with -d" 2 -d --target=xdp --emit-object="$TMP/x.o" icmp
  check_error "--emit-object to an unwritable path" 1 --target=xdp --emit-object=/nonexistent-dir/f.o icmp
  check_stderr_is "--emit-object unwritable path message" \
    "bpfcap: can't write '/nonexistent-dir/f.o': No such file or directory"
  ok_run "--emit-object takes inbound (always true at XDP)" --target=xdp --emit-object="$TMP/x.o" 'tcp and inbound' && pass
  rm -f "$TMP/x.o"
  check_error "--emit-object refuses outbound" 1 --target=xdp --emit-object="$TMP/x.o" 'tcp or outbound'
  check_stderr_is "--emit-object outbound message" \
    "bpfcap: 'outbound' never matches at XDP, which sees received packets only (column 8, near 'outbound')"
  check_error "--emit-object refuses raw IP" 1 --target=xdp --emit-object="$TMP/x.o" -y RAW ip
  [ -e "$TMP/x.o" ] && fail "a refused --emit-object leaves no file" || pass
  check_error "bad -Q" 2 -Q sideways ip
  check_error "-W without -C or -G" 2 -W 3 -r "$DATA/three.pcap"
  check_error "-r and -i together" 2 -r "$DATA/three.pcap" -i lo
}

# --- reading savefiles (-r) -------------------------------------------------------
# Packets printed as tcpdump prints them, filtered in user space with the
# same program; files written with -w read back by tcpdump.
# check_read_like_tcpdump NAME ARGS...: same stdout as tcpdump with the same
# arguments, and tcpdump's "reading from file" line on stderr.
check_read_like_tcpdump() {
  local name=$1
  shift
  if ! command -v tcpdump >/dev/null 2>&1; then
    echo "cli: skipped (tcpdump not installed): $name" >&2
    return
  fi
  TZ=UTC tcpdump "$@" >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err"
  TZ=UTC run "$@"
  if [ "$status" -ne 0 ] || ! cmp -s "$TMP/tcpdump.out" "$TMP/out" ||
     ! grep -q '^reading from file ' "$TMP/err"; then
    fail "$name" "$(show "$@")" "  exit $status; tcpdump (-) vs bpfcap (+):" \
      "$(diff -u --label tcpdump --label bpfcap "$TMP/tcpdump.out" "$TMP/out")" "$(cat "$TMP/err")"
  else
    pass
  fi
}

read_checks() {
  local f=$DATA/three.pcap
  check_read_like_tcpdump "-r prints every packet" -nn -r "$f"
  check_read_like_tcpdump "-r with a filter" -nn -r "$f" 'tcp or icmp'
  check_read_like_tcpdump "-r with -e -x" -nn -e -x -r "$f" icmp
  check_read_like_tcpdump "-r -tt" -tt -nn -r "$f"
  check_read_like_tcpdump "-r -c 1" -nn -c 1 -r "$f"
  # -w then tcpdump -r: the same packets, in pcap and pcapng.
  run -r "$f" -w "$TMP/w.pcap" 'ip[9] != 1'
  if [ "$status" -ne 0 ] || [ "$(tcpdump -nn -r "$TMP/w.pcap" 2>/dev/null | wc -l)" -ne 2 ]; then
    fail "-w pcap readable by tcpdump" "$(cat "$TMP/err")"
  else
    pass
  fi
  run -r "$f" --pcapng -w "$TMP/w.pcapng" icmp
  if [ "$status" -ne 0 ] || [ "$(tcpdump -nn -r "$TMP/w.pcapng" 2>/dev/null | wc -l)" -ne 1 ]; then
    fail "--pcapng -w readable by tcpdump" "$(cat "$TMP/err")"
  else
    pass
  fi
  run -r "$f" -w - udp
  if [ "$status" -ne 0 ] || [ "$(tcpdump -nn -r - <"$TMP/out" 2>/dev/null | wc -l)" -ne 1 ]; then
    fail "-w - writes a savefile to stdout" "$(cat "$TMP/err")"
  else
    pass
  fi
  # Bad input: one clear line, exit 1; a truncated file after its good packets.
  run -nn -r "$DATA/truncated.pcap"
  if [ "$status" -ne 1 ] || [ "$(lines "$TMP/out")" -ne 1 ] ||
     ! grep -q '^bpfcap: .*truncated.pcap: truncated packet record header at byte 98' "$TMP/err"; then
    fail "-r truncated file: good packets, then one error" "exit $status" "$(cat "$TMP/out" "$TMP/err")"
  else
    pass
  fi
  check_error "-r missing file" 1 -r "$TMP/no-such.pcap"
  check_error "-r not a savefile" 1 -r "$DATA/../run.sh"
  check_error "-r with a bad expression" 1 -r "$f" 'tcp prot 80'
  check_error "live capture on a missing interface" 1 -i nosuchif0 ip
}

# --- live captures (root) ----------------------------------------------------------
# A private two-namespace network (scripts/testnet.sh) with a prefix unique
# to this run, removed on exit; traffic goes only between its two ends.
live_checks() {
  if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
    echo "cli: skipped live capture checks (need root and iproute2)" >&2
    return
  fi
  local net=bpfccli$$ ns
  NET_PREFIX=$net
  "$ROOT/scripts/testnet.sh" up "$net" >/dev/null || { fail "testnet up"; return; }
  ns=(ip netns exec "$net-a")
  local traffic=("$ROOT/scripts/testnet.sh" traffic "$net")

  # Printed capture: exactly the matching packets (UDP to 7777: v4 and v6).
  "${ns[@]}" timeout 10 "$BPFCAP" -i veth-a -nn -c 2 'udp dst port 7777' >"$TMP/live.out" 2>"$TMP/live.err" &
  local pid=$!
  sleep 0.5
  "${traffic[@]}"
  wait "$pid"
  local st=$?
  if [ "$st" -ne 0 ] || [ "$(lines "$TMP/live.out")" -ne 2 ] ||
     grep -vq '> 10.252.0.1.7777: UDP\|> fd00:bfd::1.7777: UDP' "$TMP/live.out" ||
     ! grep -q '^2 packets captured$' "$TMP/live.err" ||
     ! grep -q 'packets received by filter$' "$TMP/live.err"; then
    fail "live capture prints exactly the matching packets" "exit $st" "$(cat "$TMP/live.out" "$TMP/live.err")"
  else
    pass
  fi

  # Ctrl-C while writing leaves a valid file with what was captured.
  "${ns[@]}" "$BPFCAP" -i veth-a -w "$TMP/live.pcap" 'tcp[tcpflags] & tcp-syn != 0' 2>"$TMP/live.err" &
  pid=$!
  sleep 0.5
  "${traffic[@]}"
  sleep 0.3
  kill -INT "$pid"
  wait "$pid"
  st=$?
  if [ "$st" -ne 0 ] || [ "$(tcpdump -nn -r "$TMP/live.pcap" 2>/dev/null | grep -c 'Flags \[S\]')" -ne 2 ]; then
    fail "SIGINT leaves a valid file" "exit $st" "$(cat "$TMP/live.err")" \
      "$(tcpdump -nn -r "$TMP/live.pcap" 2>&1)"
  else
    pass
  fi

  # -Q: a answers b's SYNs with resets; "out" sees only those, "in" only b's.
  for dir in in out; do
    "${ns[@]}" timeout 10 "$BPFCAP" -i veth-a -Q "$dir" -nn -c 2 tcp >"$TMP/live.$dir" 2>/dev/null &
  done
  sleep 0.5
  "${traffic[@]}"
  wait
  if [ "$(grep -c '10.252.0.2.[0-9]* > 10.252.0.1' "$TMP/live.in")" -ne 2 ] ||
     [ "$(grep -c '10.252.0.1.[0-9]* > 10.252.0.2' "$TMP/live.out")" -ne 2 ]; then
    fail "-Q in / -Q out split by direction" "$(cat "$TMP/live.in")" "--" "$(cat "$TMP/live.out")"
  else
    pass
  fi

  # -C rotation while capturing: 1.2 MB of fragmented UDP, files of 1 MB.
  "${ns[@]}" "$BPFCAP" -i veth-a -C 1 -w "$TMP/rot.pcap" 'udp or (ip[6:2] & 0x1fff != 0)' 2>"$TMP/live.err" &
  pid=$!
  sleep 0.5
  ip netns exec "$net-b" bash -c 'for i in $(seq 20); do head -c 60000 /dev/zero > /dev/udp/10.252.0.1/9; done' 2>/dev/null
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid"
  st=$?
  if [ "$st" -ne 0 ] || [ ! -s "$TMP/rot.pcap" ] || [ ! -s "$TMP/rot.pcap1" ] ||
     [ "$(stat -c %s "$TMP/rot.pcap")" -lt 1000000 ] ||
     ! tcpdump -r "$TMP/rot.pcap1" -nn >/dev/null 2>&1; then
    fail "-C rotates the -w file" "exit $st" "$(ls -l "$TMP"/rot.pcap* 2>&1)" "$(cat "$TMP/live.err")"
  else
    pass
  fi

  # tshark reads what bpfcap writes, pcap and pcapng, as tcpdump does.
  if command -v tshark >/dev/null 2>&1; then
    "${ns[@]}" timeout 10 "$BPFCAP" -i veth-a --pcapng -c 3 -w "$TMP/t.pcapng" udp 2>/dev/null &
    pid=$!
    sleep 0.5
    "${traffic[@]}"
    wait "$pid"
    if [ "$(tshark -r "$TMP/t.pcapng" 2>/dev/null | wc -l)" -ne 3 ] ||
       [ "$(tcpdump -r "$TMP/t.pcapng" 2>/dev/null | wc -l)" -ne 3 ]; then
      fail "tshark and tcpdump read a live pcapng capture" "$(tshark -r "$TMP/t.pcapng" 2>&1)"
    else
      pass
    fi
  fi

  # -L lists both cooked link types of "any"; -y picks one, or is refused.
  "${ns[@]}" "$BPFCAP" -i any -L >"$TMP/out" 2>"$TMP/err"
  st=$?
  if [ "$st" -ne 0 ] || [ "$(cat "$TMP/out")" != "Data link types for any (use option -y to set):
  LINUX_SLL (Linux cooked v1)
  LINUX_SLL2 (Linux cooked v2)" ]; then
    fail "-L lists LINUX_SLL and LINUX_SLL2 for any" "exit $st" "$(cat "$TMP/out" "$TMP/err")"
  else
    pass
  fi
  "${ns[@]}" "$BPFCAP" -i veth-a -y LINUX_SLL -c 1 udp >"$TMP/out" 2>"$TMP/err"
  st=$?
  if [ "$st" -ne 1 ] || [ -s "$TMP/out" ] ||
     [ "$(cat "$TMP/err")" != "bpfcap: LINUX_SLL is not one of the DLTs supported by this device" ]; then
    fail "-y with a link type the device lacks: one line, exit 1" "exit $st" "$(cat "$TMP/err")"
  else
    pass
  fi
  "${ns[@]}" timeout 10 "$BPFCAP" -i any -y LINUX_SLL -c 2 -w "$TMP/sll.pcap" 'udp dst port 7777' 2>/dev/null &
  pid=$!
  sleep 0.5
  "${traffic[@]}"
  wait "$pid"
  if [ "$(tcpdump -r "$TMP/sll.pcap" 2>&1 | grep -c 'link-type LINUX_SLL (Linux cooked v1)')" -ne 1 ] ||
     [ "$(tcpdump -nn -r "$TMP/sll.pcap" 2>/dev/null | grep -c '\.7777: UDP')" -ne 2 ]; then
    fail "-i any -y LINUX_SLL writes cooked v1 that tcpdump reads" "$(tcpdump -nn -r "$TMP/sll.pcap" 2>&1)"
  else
    pass
  fi

  # The XDP engine and the eBPF socket filter: the same packets as above.
  local engine
  for engine in "--engine=xdp" "--engine=xdp --xdp-mode=generic" "--engine=packet --target=ebpf"; do
    # shellcheck disable=SC2086 # $engine is two words on purpose
    "${ns[@]}" timeout 10 "$BPFCAP" -i veth-a $engine -nn -c 2 'udp dst port 7777' \
      >"$TMP/live.out" 2>"$TMP/live.err" &
    pid=$!
    sleep 0.5
    "${traffic[@]}"
    wait "$pid"
    st=$?
    if [ "$st" -ne 0 ] || [ "$(lines "$TMP/live.out")" -ne 2 ] ||
       grep -vq '> 10.252.0.1.7777: UDP\|> fd00:bfd::1.7777: UDP' "$TMP/live.out" ||
       ! grep -q '^2 packets captured$' "$TMP/live.err"; then
      fail "$engine captures exactly the matching packets" "exit $st" "$(cat "$TMP/live.out" "$TMP/live.err")"
    else
      pass
    fi
  done
  if "${ns[@]}" ip link show veth-a | grep -q 'xdp'; then
    fail "no XDP program left on veth-a" "$("${ns[@]}" ip link show veth-a)"
  else
    pass
  fi
  "${ns[@]}" "$BPFCAP" -i veth-a --engine=xdp 'udp or outbound' >"$TMP/out" 2>"$TMP/err"
  st=$?
  if [ "$st" -ne 1 ] || [ "$(lines "$TMP/err")" -ne 1 ] || ! grep -q "^bpfcap: 'outbound' never matches at XDP" "$TMP/err"; then
    fail "--engine=xdp refuses outbound" "exit $st" "$(cat "$TMP/err")"
  else
    pass
  fi
  "${ns[@]}" "$BPFCAP" -i lo --engine=xdp udp >"$TMP/out" 2>"$TMP/err"
  st=$?
  if [ "$st" -ne 1 ] || [ "$(lines "$TMP/err")" -ne 1 ] || ! grep -q "^bpfcap: lo: the XDP engine needs an Ethernet device" "$TMP/err"; then
    fail "--engine=xdp refuses loopback" "exit $st" "$(cat "$TMP/err")"
  else
    pass
  fi

  # Without privileges: one clear line, exit 1.
  if command -v setpriv >/dev/null 2>&1; then
    "${ns[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
      "$BPFCAP" -i veth-a -c 1 udp >"$TMP/out" 2>"$TMP/err"
    st=$?
    if [ "$st" -ne 1 ] || [ -s "$TMP/out" ] || [ "$(lines "$TMP/err")" -ne 1 ] ||
       ! grep -q "^bpfcap: you don't have permission to capture on that device" "$TMP/err"; then
      fail "capture without privileges: one line, exit 1" "exit $st" "$(cat "$TMP/err")"
    else
      pass
    fi
  fi

  # --threads: one capture over a fanout group of sockets, nothing lost.
  "${ns[@]}" timeout 10 "$BPFCAP" -i veth-a --threads 3 -nn -c 6 'udp or tcp[tcpflags] & tcp-syn != 0' \
    >"$TMP/live.out" 2>"$TMP/live.err" &
  pid=$!
  sleep 0.5
  "${traffic[@]}"
  "${traffic[@]}"
  wait "$pid"
  st=$?
  if [ "$st" -ne 0 ] || [ "$(lines "$TMP/live.out")" -ne 6 ]; then
    fail "--threads 3 captures through a fanout group" "exit $st" "$(cat "$TMP/live.out" "$TMP/live.err")"
  else
    pass
  fi

  "$ROOT/scripts/testnet.sh" down "$net" >/dev/null
  NET_PREFIX=
}

# --- golden files ---------------------------------------------------------------

# golden_args SPEC DLT SNAPLEN: bpfcap flags for a block spec such as "d unopt".
golden_args() {
  local spec=$1
  args=("-${spec%% *}")
  [[ $spec == *" unopt" ]] && args+=(-O)
  args+=(-y "$2" -s "$3")
}

# parse_golden FILE: header fields into g_*, block i's text into $TMP/block.i,
# the header verbatim into $TMP/header. Returns 1 (with g_error) if malformed.
parse_golden() {
  local file=$1 line key val n=-1 lineno=0
  g_dlt=EN10MB g_snaplen=262144 g_expr= g_has_expr= g_error=
  g_aliases=() g_specs=()
  : >"$TMP/header"
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    if [[ $line == "--- "* ]]; then
      n=$((n + 1))
      g_specs[n]=${line#--- }
      if ! [[ ${g_specs[n]} =~ ^(d|dd|ddd)( unopt)?$ ]]; then
        g_error="$file:$lineno: bad block line: $line"
        return 1
      fi
      : >"$TMP/block.$n"
    elif [ "$n" -ge 0 ]; then
      printf '%s\n' "$line" >>"$TMP/block.$n"
    else
      printf '%s\n' "$line" >>"$TMP/header"
      [[ -z $line || $line == "#"* ]] && continue
      key=${line%%:*} val=${line#*:} val=${val# }
      case $key in
        dlt) g_dlt=$val ;;
        snaplen) g_snaplen=$val ;;
        expr) g_expr=$val g_has_expr=1 ;;
        aliases) g_aliases+=("$val") ;;
        *) g_error="$file:$lineno: unknown header line: $line"; return 1 ;;
      esac
    fi
  done <"$file"
  if [ -z "$g_has_expr" ]; then
    g_error="$file: no expr: line"
    return 1
  fi
}

# run_golden FILE: every block, then every alias against the optimized blocks.
run_golden() {
  local file=$1 name=${1#"$GOLDEN_DIR"/} i alias
  if ! parse_golden "$file"; then
    fail "golden $name" "$g_error"
    return
  fi
  if [ ${#g_specs[@]} -eq 0 ]; then
    if [ -z "${UPDATE_GOLDEN:-}" ]; then
      fail "golden $name" "  no '--- ' blocks; run with UPDATE_GOLDEN=1 to fill them in"
      return
    fi
    g_specs=(d dd ddd "d unopt")
  fi
  cp "$TMP/header" "$TMP/new"
  for i in "${!g_specs[@]}"; do
    golden_args "${g_specs[i]}" "$g_dlt" "$g_snaplen"
    ok_run "golden $name [${g_specs[i]}]" "${args[@]}" -- "$g_expr" || return
    if [ -n "${UPDATE_GOLDEN:-}" ]; then
      printf -- '--- %s\n' "${g_specs[i]}" >>"$TMP/new"
      cat "$TMP/out" >>"$TMP/new"
      cp "$TMP/out" "$TMP/block.$i"
      pass
    elif cmp -s "$TMP/block.$i" "$TMP/out"; then
      pass
    else
      fail "golden $name [${g_specs[i]}]" "$(show "${args[@]}" -- "$g_expr")" \
        "$(diff -u --label expected --label actual "$TMP/block.$i" "$TMP/out")"
    fi
  done
  if [ -n "${UPDATE_GOLDEN:-}" ] && ! cmp -s "$TMP/new" "$file"; then
    cp "$TMP/new" "$file"
    echo "cli: updated $name" >&2
  fi
  for alias in "${g_aliases[@]}"; do
    for i in "${!g_specs[@]}"; do
      [[ ${g_specs[i]} == *" unopt" ]] && continue
      golden_args "${g_specs[i]}" "$g_dlt" "$g_snaplen"
      ok_run "golden $name alias '$alias'" "${args[@]}" -- "$alias" || continue
      if cmp -s "$TMP/block.$i" "$TMP/out"; then pass; else
        fail "golden $name alias '$alias' [${g_specs[i]}]" \
          "$(show "${args[@]}" -- "$alias")" \
          "$(diff -u --label "$g_expr" --label "$alias" "$TMP/block.$i" "$TMP/out")"
      fi
    done
  done
}

# run_reject_case FILE LINENO DLT SNAPLEN EXPR WANT: one reject case; the
# actual stderr line goes to $TMP/got.
run_reject_case() {
  local where="reject $1:$2 '$5'"
  run -d -y "$3" -s "$4" -- "$5"
  head -n1 "$TMP/err" >"$TMP/got"
  if [ -n "${UPDATE_GOLDEN:-}" ]; then
    if [ "$status" -eq 0 ]; then fail "$where" "  compiled successfully; not a reject case"; else pass; fi
  elif [ "$status" -ne 1 ] || [ -s "$TMP/out" ] || [ "$(lines "$TMP/err")" -ne 1 ]; then
    fail "$where" "  exit $status (want 1), stdout:" "$(cat "$TMP/out")" "  stderr:" "$(cat "$TMP/err")"
  elif [ "$(cat "$TMP/got")" != "$6" ]; then
    printf '%s\n' "$6" >"$TMP/want"
    fail "$where" "$(diff -u --label expected --label actual "$TMP/want" "$TMP/got")"
  else
    pass
  fi
}

# run_rejects FILE: "expr:" / "error:" pairs; "dlt:" and "snaplen:" apply to
# the cases after them. UPDATE_GOLDEN rewrites the error: lines.
run_rejects() {
  local file=$1 name=${1#"$GOLDEN_DIR"/} line key val lineno=0
  local dlt=EN10MB snaplen=262144 expr= pending=
  : >"$TMP/new"
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    if [[ -z $line || $line == "#"* ]]; then
      printf '%s\n' "$line" >>"$TMP/new"
      continue
    fi
    key=${line%%:*} val=${line#*:} val=${val# }
    case $key in
      dlt) dlt=$val ;;
      snaplen) snaplen=$val ;;
      expr)
        if [ -n "$pending" ]; then fail "reject $name:$pending" "  expr: without an error: line"; fi
        expr=$val pending=$lineno ;;
      error)
        if [ -z "$pending" ]; then fail "reject $name:$lineno" "  error: without an expr: line"; continue; fi
        run_reject_case "$name" "$pending" "$dlt" "$snaplen" "$expr" "$val"
        pending=
        if [ -n "${UPDATE_GOLDEN:-}" ]; then line="error: $(cat "$TMP/got")"; fi ;;
      *) fail "reject $name:$lineno" "  unknown line: $line" ;;
    esac
    printf '%s\n' "$line" >>"$TMP/new"
  done <"$file"
  if [ -n "$pending" ]; then fail "reject $name:$pending" "  expr: without an error: line"; fi
  if [ -n "${UPDATE_GOLDEN:-}" ] && ! cmp -s "$TMP/new" "$file"; then
    cp "$TMP/new" "$file"
    echo "cli: updated $name" >&2
  fi
}

# --- main ------------------------------------------------------------------------

if [ ! -x "$BPFCAP" ]; then
  fail "no executable at $1"
  finish
fi

cli_checks
read_checks
live_checks
while IFS= read -r f; do
  run_golden "$f"
done < <(find "$GOLDEN_DIR" -name '*.test' -not -path "$GOLDEN_DIR/errors/*" | LC_ALL=C sort)
while IFS= read -r f; do
  run_rejects "$f"
done < <(find "$GOLDEN_DIR/errors" -name '*.test' 2>/dev/null | LC_ALL=C sort)
finish
