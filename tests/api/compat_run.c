/* A program written against libpcap's filter API, as users write them. It is
 * built twice (Makefile): linked with -lpcap and with -lbpfcap_pcap;
 * compat_test.cc runs both on the same input and compares what they print.
 *
 *   compat_run verdicts DLT SNAPLEN OPTIMIZE PCAPFILE EXPRFILE
 *     per expression: "OK <verdicts>" or "ERR"; one character per packet:
 *     '0' reject, '1' accept with the snap length, '?' any other value, '!'
 *     when bpf_filter and pcap_offline_filter disagree; then whether
 *     bpf_validate accepts the program and whether pcap_compile_nopcap
 *     agrees with pcap_compile.
 *   compat_run dump DLT SNAPLEN OPTIMIZE EXPRFILE
 *     per expression, bpf_dump's three formats (options 1, 2, 3) and each
 *     instruction through bpf_image.
 *
 * The packets come from a pcap savefile read here by hand, so that the
 * bpfcap build needs nothing of libpcap's but its headers.
 */
#include <pcap/pcap.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct packet {
  unsigned caplen;
  unsigned wirelen;
  unsigned char *bytes;
};

static uint32_t read_u32(const unsigned char *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  if (swap) v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
  return v;
}

/* Reads a little- or big-endian microsecond pcap file; exits on errors. */
static struct packet *read_pcap(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  unsigned char hdr[24], rec[16];
  struct packet *pkts = NULL;
  size_t n = 0, cap = 0;
  int swap;
  if (!f || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
    fprintf(stderr, "compat_run: cannot read %s\n", path);
    exit(2);
  }
  swap = read_u32(hdr, 0) != 0xa1b2c3d4u;
  while (fread(rec, 1, sizeof rec, f) == sizeof rec) {
    struct packet p;
    p.caplen = read_u32(rec + 8, swap);
    p.wirelen = read_u32(rec + 12, swap);
    p.bytes = malloc(p.caplen ? p.caplen : 1);
    if (!p.bytes || fread(p.bytes, 1, p.caplen, f) != p.caplen) {
      fprintf(stderr, "compat_run: truncated %s\n", path);
      exit(2);
    }
    if (n == cap) {
      cap = cap ? 2 * cap : 1024;
      pkts = realloc(pkts, cap * sizeof *pkts);
      if (!pkts) exit(2);
    }
    pkts[n++] = p;
  }
  fclose(f);
  *count = n;
  return pkts;
}

/* Next line of `f` without its newline, or NULL at the end. */
static char *next_line(FILE *f, char *buf, size_t size) {
  size_t len;
  if (!fgets(buf, (int)size, f)) return NULL;
  len = strlen(buf);
  if (len > 0 && buf[len - 1] == '\n') buf[len - 1] = '\0';
  return buf;
}

static int verdicts(int dlt, int snaplen, int optimize, const char *pcapfile,
                    const char *exprfile) {
  size_t npkts, i;
  struct packet *pkts = read_pcap(pcapfile, &npkts);
  FILE *ef = fopen(exprfile, "r");
  char line[4096];
  char *out = malloc(npkts + 1);
  if (!ef || !out) return 2;
  while (next_line(ef, line, sizeof line)) {
    pcap_t *p = pcap_open_dead(dlt, snaplen);
    struct bpf_program prog, prog2;
    int rc = pcap_compile(p, &prog, line, optimize, PCAP_NETMASK_UNKNOWN);
    int rc2 = pcap_compile_nopcap(snaplen, dlt, &prog2, line, optimize, PCAP_NETMASK_UNKNOWN);
    printf("%s\t", line);
    if (rc2 == 0) pcap_freecode(&prog2);
    if (rc != 0) {
      printf("ERR%s\n", rc == PCAP_ERROR && pcap_geterr(p)[0] ? "" : " (no message)");
      printf("nopcap %s\n", rc2 == -1 ? "agrees" : "differs");
      pcap_close(p);
      continue;
    }
    for (i = 0; i < npkts; ++i) {
      struct pcap_pkthdr h;
      u_int v = bpf_filter(prog.bf_insns, pkts[i].bytes, pkts[i].wirelen, pkts[i].caplen);
      int v2;
      memset(&h, 0, sizeof h);
      h.caplen = pkts[i].caplen;
      h.len = pkts[i].wirelen;
      v2 = pcap_offline_filter(&prog, &h, pkts[i].bytes);
      out[i] = (u_int)v2 != v ? '!' : v == 0 ? '0' : v == (u_int)snaplen ? '1' : '?';
    }
    out[npkts] = '\0';
    printf("OK %s\n", out);
    printf("validate %d nopcap %s\n", bpf_validate(prog.bf_insns, (int)prog.bf_len),
           rc2 == 0 ? "agrees" : "differs");
    pcap_freecode(&prog);
    if (prog.bf_insns != NULL || prog.bf_len != 0) printf("pcap_freecode left the program set\n");
    pcap_close(p);
  }
  fclose(ef);
  free(out);
  for (i = 0; i < npkts; ++i) free(pkts[i].bytes);
  free(pkts);
  return 0;
}

static int dump(int dlt, int snaplen, int optimize, const char *exprfile) {
  FILE *ef = fopen(exprfile, "r");
  char line[4096];
  if (!ef) return 2;
  while (next_line(ef, line, sizeof line)) {
    pcap_t *p = pcap_open_dead(dlt, snaplen);
    struct bpf_program prog;
    u_int i;
    int option;
    printf("# %s\n", line);
    if (pcap_compile(p, &prog, line, optimize, PCAP_NETMASK_UNKNOWN) != 0) {
      printf("ERR\n");
      pcap_close(p);
      continue;
    }
    for (option = 1; option <= 3; ++option) {
      fflush(stdout);
      bpf_dump(&prog, option);
    }
    for (i = 0; i < prog.bf_len; ++i) printf("%s\n", bpf_image(&prog.bf_insns[i], (int)i));
    pcap_freecode(&prog);
    pcap_close(p);
  }
  fclose(ef);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && strcmp(argv[1], "verdicts") == 0) {
    return verdicts(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
  }
  if (argc == 6 && strcmp(argv[1], "dump") == 0) {
    return dump(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5]);
  }
  fprintf(stderr,
          "usage: compat_run verdicts DLT SNAPLEN OPTIMIZE PCAPFILE EXPRFILE\n"
          "       compat_run dump DLT SNAPLEN OPTIMIZE EXPRFILE\n");
  return 2;
}
