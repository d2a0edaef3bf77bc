/* bpf_filter per call: the same C program linked once with libpcap
 * (bpf_filter_bench.libpcap) and once with libbpfcap_pcap
 * (bpf_filter_bench.bpfcap), as an application would be. Each expression is
 * compiled by the linked library (pcap_compile_nopcap, EN10MB, optimized),
 * then bpf_filter runs over a few Ethernet frames (TCP to port 80, UDP, ARP)
 * in a loop; the best of 5 rounds gives nanoseconds per call.
 *
 * `make bench` runs both and prints them one after the other. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { kFrames = 3, kLoops = 400000, kRounds = 5 };

static unsigned char frames[kFrames][74];

static void MakeFrames(void) {
  static const unsigned char eth_ip[] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0x08, 0x00};
  for (int i = 0; i < kFrames; ++i) {
    unsigned char *f = frames[i];
    memset(f, 0, sizeof frames[i]);
    memcpy(f, eth_ip, sizeof eth_ip);
    f[14] = 0x45;
    f[16] = 0;
    f[17] = 60;
    f[23] = i == 1 ? 17 : 6; /* UDP or TCP */
    f[26] = 10, f[29] = 1;   /* 10.0.0.1 */
    f[30] = 10, f[33] = 2;   /* 10.0.0.2 */
    f[34] = 0x30, f[35] = 0x39;
    f[36] = 0, f[37] = 80;
  }
  frames[2][12] = 0x08, frames[2][13] = 0x06; /* ARP */
}

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void) {
  static const char *const exprs[] = {
      "tcp port 80",
      "host 10.0.0.1 and (tcp port 80 or tcp port 443)",
      "not arp and (port 22 or port 80 or port 443 or port 8080 or port 53 or port 123)",
  };
  MakeFrames();
  printf("bpf_filter with %s\n", pcap_lib_version());
  for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; ++e) {
    struct bpf_program prog;
    if (pcap_compile_nopcap(262144, DLT_EN10MB, &prog, exprs[e], 1, 0) != 0) {
      fprintf(stderr, "cannot compile '%s'\n", exprs[e]);
      return 1;
    }
    double best = 1e9;
    unsigned long accepted = 0;
    for (int r = 0; r < kRounds; ++r) {
      const double t0 = Now();
      for (int i = 0; i < kLoops; ++i) {
        const unsigned char *f = frames[i % kFrames];
        accepted += bpf_filter(prog.bf_insns, f, sizeof frames[0], sizeof frames[0]) != 0;
      }
      const double ns = (Now() - t0) * 1e9 / kLoops;
      if (ns < best) best = ns;
    }
    printf("  %3u insns  %6.1f ns/call  (%lu accepted)  %s\n", prog.bf_len, best, accepted, exprs[e]);
    pcap_freecode(&prog);
  }
  return 0;
}
