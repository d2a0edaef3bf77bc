#!/usr/bin/env bash
# Lists the keywords of the primitives that pcap-filter(7) (the installed
# libpcap's man page) documents, and checks them against the audited list
# tests/diff/pcap-filter-keywords.txt: every keyword must have a line there,
# and every line that says "corpus" must name a keyword that the differential
# corpus (tests/diff/exprs.txt) uses.
#
#   scripts/pcap-filter-keywords.sh           print the keywords, one a line
#   scripts/pcap-filter-keywords.sh --check   check the list; exit 1 on a gap
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIST=$ROOT/tests/diff/pcap-filter-keywords.txt
CORPUS=$ROOT/tests/diff/exprs.txt

if ! MANWIDTH=200 man 7 pcap-filter >/dev/null 2>&1; then
  echo "pcap-filter-keywords: man 7 pcap-filter is not installed (libpcap0.8-dev)" >&2
  exit 2
fi

# The words the man page puts in italics stand for values; they are dropped.
placeholders=$(tr '\n' ' ' <<<" hostnameaddr ethernameaddr netnameaddr netaddr netmask len portnamenum
  portnamenum1-portnamenum2 length protocol decnetaddr interface num code name act
  ehost wlan_type wlan_subtype direction vlan_id label_num session_id vni n
  expr1 relop expr2 host ")

# The headings of the primitives (from "dst host" to "expr relop expr"),
# and the protocols "proto [ expr : size ]" names.
keywords() {
  MANWIDTH=200 man 7 pcap-filter 2>/dev/null | col -b |
    awk '/^       dst host / {on = 1} /^       expr1 relop expr2/ {on = 0}
         on && /^       [a-z]/ {
           tag = substr($0, 8); sub(/(  |\t| True ).*$/, "", tag); print tag }
         /Proto is one of/ { t = $0; sub(/^.*Proto is one of /, "", t); sub(/ or wlan.*$/, " wlan", t); print t }' |
    tr ',[]' '   ' | tr ' ' '\n' | grep -E '^[a-z][a-z0-9-]*$' |
    while read -r w; do
      case "$placeholders" in *" $w "*) ;; *) echo "$w" ;; esac
    done | sort -u
}

if [ "${1:-}" != "--check" ]; then
  keywords
  exit 0
fi

status=0
while read -r w; do
  if ! grep -q "^$w[[:space:]]" "$LIST"; then
    echo "pcap-filter-keywords: '$w' (pcap-filter(7)) has no line in $LIST" >&2
    status=1
  fi
done < <(keywords)
while read -r w what; do
  case "$w" in ''|'#'*) continue ;; esac
  if [ "$what" = corpus ] && ! grep -Eq "(^|[^a-z0-9-])$w([^a-z0-9-]|$)" "$CORPUS"; then
    echo "pcap-filter-keywords: '$w' is marked corpus but exprs.txt never uses it" >&2
    status=1
  fi
done < "$LIST"
[ $status -eq 0 ] && echo "pcap-filter-keywords: $(keywords | wc -l) keywords, all audited"
exit $status
