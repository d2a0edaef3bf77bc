// The named packets the printer tests run through PacketPrinter and
// tcpdump. Each protocol printer gets its common cases and a few odd ones;
// names say what a packet is, so a failure reads on its own.
#include <utility>

#include "tests/capture/print_packets.h"

// Packets are written with designated initializers naming only the fields
// that differ from the defaults; -Wextra would flag every omitted one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace bpfcap::capture::test {
namespace {

const Buf kSynOptions = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};

Buf DnsAnswerA(const char* addr) {
  return Buf{0xc0, 0x0c} + U16(1) + U16(1) + U32(300) + U16(4) + Ip4(addr);
}

// Network-layer packets (starting at the IP header), shared by every link
// type. Second: the EtherType.
std::vector<std::pair<std::string, Buf>> IpPackets() {
  std::vector<std::pair<std::string, Buf>> v;
  auto add4 = [&](std::string name, Buf b) { v.emplace_back("ip4_" + name, std::move(b)); };
  auto add6 = [&](std::string name, Buf b) { v.emplace_back("ip6_" + name, std::move(b)); };
  Ip4Args rev;
  rev.src = "10.0.0.2";
  rev.dst = "10.0.0.1";

  // A TCP conversation: handshake, data both ways, close.
  add4("tcp_syn", Ipv4(6, Tcp({.options = kSynOptions})));
  add4("tcp_synack", Ipv4(6, Tcp({.sport = 80, .dport = 41234, .seq = 5000, .ack = 124,
                                   .flags = 0x12, .win = 65160, .options = kSynOptions}), rev));
  add4("tcp_ack", Ipv4(6, Tcp({.seq = 124, .ack = 5001, .flags = 0x10, .win = 502})));
  add4("tcp_http_get", Ipv4(6, Tcp({.seq = 124, .ack = 5001, .flags = 0x18, .win = 502,
                                     .data = Text("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")})));
  add4("tcp_http_reply", Ipv4(6, Tcp({.sport = 80, .dport = 41234, .seq = 5001, .ack = 161,
                                       .flags = 0x18, .win = 509,
                                       .data = Text("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}), rev));
  add4("tcp_http_nonline", Ipv4(6, Tcp({.seq = 161, .ack = 5039, .flags = 0x18, .win = 502,
                                         .data = Text("xyz")})));
  add4("tcp_fin", Ipv4(6, Tcp({.seq = 164, .ack = 5039, .flags = 0x11, .win = 502})));
  add4("tcp_rst", Ipv4(6, Tcp({.seq = 165, .flags = 0x04, .win = 0})));
  add4("tcp_all_flags", Ipv4(6, Tcp({.sport = 1000, .dport = 2000, .seq = 7, .ack = 9,
                                      .flags = 0xff, .urg = 3})));
  add4("tcp_no_flags", Ipv4(6, Tcp({.sport = 1000, .dport = 2001, .flags = 0})));
  add4("tcp_urg", Ipv4(6, Tcp({.sport = 1000, .dport = 2002, .seq = 50, .flags = 0x20, .urg = 1,
                                .data = Text("abc")})));
  add4("tcp_data_other_port", Ipv4(6, Tcp({.sport = 3333, .dport = 4444, .seq = 1, .ack = 1,
                                            .flags = 0x18, .data = Text("hello")})));
  add4("tcp_sack", Ipv4(6, Tcp({.sport = 3333, .dport = 4444, .seq = 6, .ack = 1, .flags = 0x10,
                                 .options = Buf{1, 1, 5, 18} + U32(100) + U32(200) + U32(300) + U32(400)})));
  add4("tcp_ts_nop", Ipv4(6, Tcp({.sport = 3333, .dport = 4444, .seq = 6, .ack = 1, .flags = 0x10,
                                   .options = Buf{1, 1, 8, 10} + U32(12345) + U32(67890)})));
  add4("tcp_opt_echo", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{6, 6} + U32(77)})));
  add4("tcp_opt_unknown", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{99, 4, 1, 2}})));
  add4("tcp_opt_unknown_empty", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{9, 2}})));
  add4("tcp_opt_md5", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{19, 18} + Buf(16, 0xab)})));
  add4("tcp_opt_tfo", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{34, 10} + Buf(8, 0x12)})));
  add4("tcp_opt_tfo_req", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{34, 2}})));
  add4("tcp_opt_eol_only", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{0, 0, 0, 0}})));
  add4("tcp_opt_bad_len", Ipv4(6, Tcp({.sport = 5, .dport = 6, .options = Buf{3, 0, 0, 0}})));
  add4("tcp_bad_checksum", Ipv4(6, Tcp({.sport = 7, .dport = 8}), {.fix_transport = false}));
  add4("tcp_short_hlen", Ipv4(6, U16(7) + U16(8) + U32(1) + U32(0) + U8(0x40) + U8(2) + U16(1) + U32(0)));

  add4("udp", Ipv4(17, Udp(1234, 5678, Text("hello world!"))));
  add4("udp_empty", Ipv4(17, Udp(1234, 5678, {})));
  add4("udp_bad_checksum", Ipv4(17, U16(1234) + U16(5678) + U16(12) + U16(0x1234) + Text("abcd"),
                                 {.fix_transport = false}));
  add4("udp_no_checksum", Ipv4(17, Udp(1234, 5678, Text("abcd")), {.fix_transport = false}));
  add4("udp_len_too_big", Ipv4(17, U16(1234) + U16(5678) + U16(100) + U16(0) + Text("abcd")));
  add4("udp_len_too_small", Ipv4(17, U16(1234) + U16(5678) + U16(4) + U16(0) + Text("abcd")));
  add4("udp_known_port", Ipv4(17, Udp(40000, 9, Text("x"))));
  add4("dns_query_a", Ipv4(17, Udp(40000, 53, DnsQuery(12345, 0x0100, "example.com", 1))));
  add4("dns_query_aaaa_norecurse", Ipv4(17, Udp(40000, 53, DnsQuery(7, 0x0000, "www.example.org", 28))));
  add4("dns_query_mx", Ipv4(17, Udp(40000, 53, DnsQuery(8, 0x0100, "a.b.c", 15))));
  add4("dns_query_ptr", Ipv4(17, Udp(40000, 53, DnsQuery(9, 0x0100, "1.0.0.10.in-addr.arpa", 12))));
  add4("dns_query_cd", Ipv4(17, Udp(40000, 53, DnsQuery(10, 0x0110, "example.com", 1))));
  add4("dns_query_type65", Ipv4(17, Udp(40000, 53, DnsQuery(11, 0x0100, "example.com", 65))));
  add4("dns_query_root", Ipv4(17, Udp(40000, 53, DnsQuery(12, 0x0100, "", 2))));
  add4("dns_query_edns", Ipv4(17, Udp(40000, 53,
      U16(13) + U16(0x0120) + U16(1) + U16(0) + U16(0) + U16(1) + Buf{7} + Text("example") +
      Buf{3} + Text("com") + Buf{0} + U16(1) + U16(1) + Buf{0} + U16(41) + U16(1232) + U32(0) + U16(0))));
  add4("dns_response_a", Ipv4(17, Udp(53, 40000,
      U16(12345) + U16(0x8180) + U16(1) + U16(1) + U16(0) + U16(0) + Buf{7} + Text("example") +
      Buf{3} + Text("com") + Buf{0} + U16(1) + U16(1) + DnsAnswerA("93.184.216.34")), rev));
  add4("dns_response_cname_a", Ipv4(17, Udp(53, 40000,
      U16(1) + U16(0x8580) + U16(1) + U16(2) + U16(0) + U16(0) + Buf{3} + Text("www") + Buf{7} +
      Text("example") + Buf{3} + Text("com") + Buf{0} + U16(1) + U16(1) + Buf{0xc0, 0x0c} + U16(5) +
      U16(1) + U32(60) + U16(2) + Buf{0xc0, 0x10} + DnsAnswerA("1.2.3.4")), rev));
  add4("dns_response_nxdomain", Ipv4(17, Udp(53, 40000,
      U16(2) + U16(0x8183) + U16(1) + U16(0) + U16(0) + U16(0) + Buf{1} + Text("x") + Buf{0} +
      U16(1) + U16(1)), rev));
  add4("dns_response_norecursion", Ipv4(17, Udp(53, 40000,
      U16(3) + U16(0x8400) + U16(1) + U16(0) + U16(0) + U16(0) + Buf{1} + Text("x") + Buf{0} +
      U16(1) + U16(1)), rev));
  add4("dns_response_aaaa", Ipv4(17, Udp(53, 40000,
      U16(4) + U16(0x8180) + U16(1) + U16(1) + U16(0) + U16(0) + Buf{1} + Text("x") + Buf{0} +
      U16(28) + U16(1) + Buf{0xc0, 0x0c} + U16(28) + U16(1) + U32(60) + U16(16) + Ip6("2001:db8::1")),
      rev));
  add4("dns_response_mx", Ipv4(17, Udp(53, 40000,
      U16(5) + U16(0x8180) + U16(1) + U16(1) + U16(0) + U16(0) + Buf{1} + Text("x") + Buf{0} +
      U16(15) + U16(1) + Buf{0xc0, 0x0c} + U16(15) + U16(1) + U32(60) + U16(9) + U16(10) + Buf{4} +
      Text("mail") + Buf{0xc0, 0x0c}), rev));
  add4("dns_response_txt", Ipv4(17, Udp(53, 40000,
      U16(6) + U16(0x8180) + U16(1) + U16(1) + U16(0) + U16(0) + Buf{1} + Text("x") + Buf{0} +
      U16(16) + U16(1) + Buf{0xc0, 0x0c} + U16(16) + U16(1) + U32(60) + U16(6) + Buf{5} +
      Text("hello")), rev));
  add4("dns_bad_pointer", Ipv4(17, Udp(40000, 53,
      U16(1) + U16(0x0100) + U16(1) + U16(0) + U16(0) + U16(0) + Buf{0xc0, 0x0c} + U16(1) + U16(1))));
  add4("mdns_query", Ipv4(17, Udp(5353, 5353, DnsQuery(0, 0, "printer.local", 255)),
                     {.dst = "224.0.0.251"}));

  add4("icmp_echo", Ipv4(1, Icmp(8, 0, U16(1) + U16(1), Buf(56, 'x'))));
  add4("icmp_echo_reply", Ipv4(1, Icmp(0, 0, U16(1) + U16(1), Buf(56, 'x')), rev));
  Buf quoted_udp = Ipv4(17, Udp(1234, 5678, {}), rev);
  Buf quoted_tcp = Ipv4(6, Tcp({}), rev);
  for (int code : {0, 1, 2, 3, 4, 5, 6, 9, 10, 13, 15, 16}) {
    add4("icmp_unreach_" + std::to_string(code),
         Ipv4(1, Icmp(3, static_cast<uint8_t>(code), U16(0) + U16(1400), quoted_udp)));
  }
  add4("icmp_port_unreach_tcp", Ipv4(1, Icmp(3, 3, U32(0), quoted_tcp)));
  add4("icmp_unreach_short_quote", Ipv4(1, Icmp(3, 3, U32(0), Buf(quoted_udp.begin(), quoted_udp.begin() + 10))));
  add4("icmp_time_exceeded", Ipv4(1, Icmp(11, 0, U32(0), quoted_udp)));
  add4("icmp_reassembly_exceeded", Ipv4(1, Icmp(11, 1, U32(0), quoted_udp)));
  add4("icmp_redirect_host", Ipv4(1, Icmp(5, 1, Ip4("10.0.0.254"), quoted_udp)));
  add4("icmp_redirect_net", Ipv4(1, Icmp(5, 0, Ip4("10.0.0.254"), quoted_udp)));
  add4("icmp_timestamp", Ipv4(1, Icmp(13, 0, U16(5) + U16(6), Zeros(12))));
  add4("icmp_source_quench", Ipv4(1, Icmp(4, 0, U32(0), quoted_udp)));
  add4("icmp_param_problem", Ipv4(1, Icmp(12, 0, U8(9) + Zeros(3), quoted_udp)));
  add4("icmp_info_request", Ipv4(1, Icmp(15, 0, U32(0), {})));
  add4("icmp_mask_request", Ipv4(1, Icmp(17, 0, U32(0), Zeros(4))));
  add4("icmp_unknown_type", Ipv4(1, Icmp(42, 0, U32(0), Zeros(8))));
  add4("icmp_bad_checksum", Ipv4(1, Icmp(8, 0, U16(1) + U16(2), Zeros(8)), {.fix_transport = false}));

  add4("frag_first", Ipv4(17, Udp(1234, 5678, Zeros(100)), {.frag = 0x2000, .total = 20 + 40}));
  add4("frag_middle_udp", Ipv4(17, Zeros(40), {.frag = 0x2005}));
  add4("frag_last_tcp", Ipv4(6, Zeros(40), {.frag = 0x000a}));
  add4("frag_icmp", Ipv4(1, Zeros(40), {.frag = 0x0005}));
  add4("proto_253", Ipv4(253, Zeros(20), {.src = "1.2.3.4", .dst = "5.6.7.8"}));
  add4("ipip", Ipv4(4, Ipv4(17, Udp(1, 2, {}), {.src = "192.168.0.1", .dst = "192.168.0.2"})));
  add4("ip6_in_ip4", Ipv4(41, Ipv6(17, Udp(1, 2, {}))));
  add4("tos_ecn_ce", Ipv4(17, Udp(1, 2, {}), {.tos = 0xb3}));
  add4("tos_ect1", Ipv4(17, Udp(1, 2, {}), {.tos = 0x01}));
  add4("flags_none", Ipv4(17, Udp(1, 2, {}), {.frag = 0}));
  add4("flags_rsvd_df_mf", Ipv4(17, Udp(1, 2, {}), {.frag = 0xe000}));
  add4("bad_ip_checksum", Ipv4(17, Udp(1, 2, {}), {.bad_checksum = true}));
  add4("ip_options_nop", Ipv4(17, Udp(1, 2, {}), {.options = Buf{1, 1, 1, 0}}));
  add4("ip_total_too_big", Ipv4(17, Udp(1, 2, Zeros(20)), {.total = 200}));
  add4("ip_total_too_small", Ipv4(17, Udp(1, 2, {}), {.total = 10}));
  add4("ttl_1", Ipv4(17, Udp(1, 2, {}), {.ttl = 1, .id = 54321}));
  add4("addr_broadcast", Ipv4(17, Udp(68, 67, Zeros(8)), {.src = "0.0.0.0", .dst = "255.255.255.255"}));

  add6("udp", Ipv6(17, Udp(1234, 5678, Text("hi"))));
  add6("tcp_syn", Ipv6(6, Tcp({.options = Buf{2, 4, 5, 0xa0}}), {.src = "2001:db8::1", .dst = "2001:db8::53"}));
  add6("tcp_ack", Ipv6(6, Tcp({.seq = 124, .ack = 77, .flags = 0x10}), {.src = "2001:db8::1", .dst = "2001:db8::53"}));
  add6("dns_query", Ipv6(17, Udp(53000, 53, DnsQuery(4242, 0x0100, "example.com", 28)),
                         {.src = "2001:db8::1", .dst = "2001:db8::53"}));
  add6("echo", Ipv6(58, Icmp6(128, 0, U16(1) + U16(2) + Buf(8, 'a'))));
  add6("echo_reply", Ipv6(58, Icmp6(129, 0, U16(1) + U16(2) + Buf(8, 'a'))));
  add6("neighbor_solicit", Ipv6(58, Icmp6(135, 0, Zeros(4) + Ip6("fe80::2") + Buf{1, 1} + Mac("66:77:88:99:aa:bb")),
                                {.dst = "ff02::1:ff00:2", .hlim = 255}));
  add6("neighbor_advert", Ipv6(58, Icmp6(136, 0, Buf{0x60, 0, 0, 0} + Ip6("fe80::2") + Buf{2, 1} + Mac("00:11:22:33:44:55")),
                               {.hlim = 255}));
  add6("router_solicit", Ipv6(58, Icmp6(133, 0, Zeros(4)), {.dst = "ff02::2", .hlim = 255}));
  add6("router_advert", Ipv6(58, Icmp6(134, 0, Buf{64, 0, 7, 8} + Zeros(8)), {.dst = "ff02::1", .hlim = 255}));
  add6("unreach_port", Ipv6(58, Icmp6(1, 4, Zeros(4) + Ipv6(17, Udp(1234, 5678, {}), {.src = "fe80::2", .dst = "fe80::1"}))));
  add6("unreach_route", Ipv6(58, Icmp6(1, 0, Zeros(4) + Ipv6(17, Udp(1234, 5678, {})))));
  add6("unreach_address", Ipv6(58, Icmp6(1, 3, Zeros(4) + Ipv6(17, Udp(1234, 5678, {})))));
  add6("packet_too_big", Ipv6(58, Icmp6(2, 0, U32(1280) + Ipv6(17, Udp(1234, 5678, {})))));
  add6("time_exceeded", Ipv6(58, Icmp6(3, 0, Zeros(4) + Ipv6(17, Udp(1234, 5678, {})))));
  add6("param_problem", Ipv6(58, Icmp6(4, 1, U32(40) + Ipv6(17, Udp(1234, 5678, {})))));
  add6("mld_report_v2", Ipv6(58, Icmp6(143, 0, U16(0) + U16(0)), {.dst = "ff02::16"}));
  add6("mld_done", Ipv6(58, Icmp6(132, 0, Zeros(20)), {.dst = "ff02::2"}));
  add6("echo_truncated_body", Ipv6(58, Icmp6(128, 0, U16(1))));
  add6("no_next_header", Ipv6(59, Zeros(8)));
  add6("proto_253", Ipv6(253, Zeros(20)));
  add6("class_flow", Ipv6(17, Udp(1, 2, {}), {.tclass = 0xb8, .flow = 0x12345}));
  add6("plen_too_big", Ipv6(17, Udp(1, 2, {}), {.plen = 100}));
  add6("plen_too_small", Ipv6(17, Udp(1, 2, {}), {.plen = 4}));
  add6("frag_first", Ipv6(44, U8(17) + U8(0) + U16(0x0001) + U32(0xabcd) + Udp(1, 2, Zeros(8)), {.fix_transport = false}));
  add6("frag_later", Ipv6(44, U8(17) + U8(0) + U16(0x0010) + U32(0xabcd) + Zeros(16), {.fix_transport = false}));
  add6("hop_by_hop_udp", Ipv6(0, Buf{17, 0, 1, 4, 0, 0, 0, 0} + Udp(1234, 5678, {}), {.fix_transport = false}));
  add6("addr_v4mapped", Ipv6(17, Udp(1, 2, {}), {.src = "::ffff:10.1.2.3", .dst = "::1"}));
  add6("addr_long", Ipv6(17, Udp(1, 2, {}), {.src = "2001:db8:1:2:3:4:5:6", .dst = "2001:0:0:1::1"}));
  return v;
}

void AddLinkOnly(std::vector<TestPacket>* out, int dlt) {
  auto add = [&](std::string name, Buf b) { out->push_back({std::move(name), std::move(b), 0}); };
  const char* kBroadcast = "ff:ff:ff:ff:ff:ff";
  if (dlt == 1) {
    add("arp_request", Ether(0x0806, Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2"), kBroadcast));
    add("arp_reply", Ether(0x0806, Arp(2, "00:11:22:33:44:55", "10.0.0.2", "66:77:88:99:aa:bb", "10.0.0.1")));
    add("arp_padded", Ether(0x0806, Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2") + Buf(18, 0xee)));
    add("arp_request_known_tha", Ether(0x0806, Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:11:22:33:44:55", "10.0.0.2")));
    add("arp_gratuitous", Ether(0x0806, Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.1"), kBroadcast));
    add("vlan_udp", Ether(0x8100, Vlan(100, 0x0800) + Ipv4(17, Udp(1234, 5678, Zeros(4)))));
    add("vlan_prio_dei", Ether(0x8100, Vlan(0xf064, 0x0800) + Ipv4(17, Udp(1234, 5678, {}))));
    add("vlan_arp", Ether(0x8100, Vlan(0x6005, 0x0806) + Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")));
    add("qinq_icmp", Ether(0x88a8, Vlan(7, 0x8100) + Vlan(100, 0x0800) + Ipv4(1, Icmp(8, 0, U16(1) + U16(1), Zeros(8)))));
    add("vlan_ip6", Ether(0x8100, Vlan(200, 0x86dd) + Ipv6(17, Udp(1, 2, {}))));
    add("vlan_unknown_inner", Ether(0x8100, Vlan(0x1064, 0x88b5) + Zeros(30)));
    add("ethertype_unknown", Ether(0x88b5, Zeros(46)));
    add("ethertype_unknown_data", Ether(0x88b6, Text("Hello, world! 0123456789 abcdefghijklmnopqrstuvwxyz")));
    add("ethertype_lldp", Ether(0x88cc, Zeros(46)));
    add("ieee8023_llc", Ether(0x0030, Buf{0xaa, 0xaa, 0x03, 0, 0, 0, 8, 0} + Zeros(40)));
    add("ip4_in_short_frame", Ether(0x0800, Ipv4(17, Udp(1, 2, {})) + Zeros(18)));
    add("ip6_version_wrong", Ether(0x86dd, Zeros(40)));
    add("ip4_version_wrong", Ether(0x0800, Buf{0x35} + Zeros(27)));
    add("ip4_hlen_short", Ether(0x0800, Buf{0x44} + Zeros(27)));
    add("multicast_dst", Ether(0x0800, Ipv4(17, Udp(1, 2, {}), {.dst = "224.0.0.1"}), "01:00:5e:00:00:01"));
  }
}

Buf Wrap(int dlt, uint16_t ethertype, const Buf& net, int variant) {
  switch (dlt) {
    case 1:
      return Ether(ethertype, net);
    case 113: {  // pkttype varies over In, B, M, P, Out
      uint16_t pkttype = static_cast<uint16_t>(variant % 5);
      return U16(pkttype) + U16(1) + U16(6) + Mac("66:77:88:99:aa:bb") + Zeros(2) + U16(ethertype) + net;
    }
    case 276: {
      uint8_t pkttype = static_cast<uint8_t>(variant % 5);
      return U16(ethertype) + U16(0) + U32(1) + U16(1) + U8(pkttype) + U8(6) +
             Mac("66:77:88:99:aa:bb") + Zeros(2) + net;
    }
    case 12:
      return net;
    case 0:
      return Le32(ethertype == 0x0800 ? 2 : 30) + net;
    case 108:
      return U32(ethertype == 0x0800 ? 2 : 24) + net;
    default:
      return net;
  }
}

}  // namespace

std::vector<TestPacket> Corpus(int dlt) {
  std::vector<TestPacket> out;
  int variant = 0;
  for (auto& [name, net] : IpPackets()) {
    uint16_t type = name.rfind("ip6_", 0) == 0 ? 0x86dd : 0x0800;
    out.push_back({name, Wrap(dlt, type, net, variant++), 0});
  }
  AddLinkOnly(&out, dlt);
  if (dlt == 113 || dlt == 276) {
    Buf arp = Arp(1, "66:77:88:99:aa:bb", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2");
    out.push_back({"cooked_arp", Wrap(dlt, 0x0806, arp, 1), 0});
    out.push_back({"cooked_unknown", Wrap(dlt, 0x88b5, Zeros(10), 2), 0});
  }
  if (dlt == 0 || dlt == 108) {
    Buf ip = Ipv4(17, Udp(1, 2, {}));
    out.push_back({"af_iso", (dlt == 0 ? Le32(7) : U32(7)) + ip, 0});
    out.push_back({"af_ipv6_bsd28", (dlt == 0 ? Le32(28) : U32(28)) + Ipv6(17, Udp(1, 2, {})), 0});
    out.push_back({"af_big_endian_on_null", U32(2) + ip, 0});
  }
  if (dlt == 12) out.push_back({"raw_version_0", Zeros(20), 0});
  return out;
}

}  // namespace bpfcap::capture::test
