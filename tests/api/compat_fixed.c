/* The contracts of libpcap's filter API that do not depend on the compiler's
 * output, exercised and printed. Built with -lpcap and with -lbpfcap_pcap
 * (Makefile); compat_test.cc requires the two outputs to be equal, byte for
 * byte. Each section prints what a caller can observe: return values, the
 * fields of struct bpf_program, dump text, verdicts.
 */
#include <pcap/pcap.h>

#include <stdio.h>
#include <string.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A hand-written program using every family of instruction: loads of each
 * size and mode, stores, ALU with constants and X, jumps of each kind,
 * tax/txa, and returns of A and of a constant. */
static struct bpf_insn every_kind[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 24),
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14),
    BPF_STMT(BPF_ST, 3),
    BPF_STMT(BPF_LDX | BPF_MEM, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffffff00),
    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 8),
    BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
    BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
    BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 2),
    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 1000),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 0x55),
    BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x10000),
    BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 1),
    BPF_STMT(BPF_ALU | BPF_NEG, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_LEN, 0),
    BPF_STMT(BPF_STX, 5),
    BPF_STMT(BPF_MISC | BPF_TXA, 0),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
    BPF_STMT(BPF_JMP | BPF_JA, 1),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4, 1, 0),
    BPF_STMT(BPF_RET | BPF_A, 0),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

/* Programs every validator refuses. */
static struct bpf_insn no_return[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
static struct bpf_insn jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
                                     BPF_STMT(BPF_RET | BPF_K, 1)};
static struct bpf_insn ja_out[] = {BPF_STMT(BPF_JMP | BPF_JA, 3), BPF_STMT(BPF_RET | BPF_K, 1)};
static struct bpf_insn div_zero[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
                                     BPF_STMT(BPF_RET | BPF_K, 1)};
static struct bpf_insn mem_index[] = {BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 1)};
/* An ALU operation that does not exist. */
static struct bpf_insn bad_opcode[] = {{BPF_ALU | 0xf0, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 1)};
static struct bpf_insn accept_all[] = {BPF_STMT(BPF_RET | BPF_K, 96)};
/* What libpcap accepts and the kernel would refuse: bpf_validate is
 * libpcap's, not the kernel's. */
static struct bpf_insn misc_ffff[] = {{BPF_MISC | 0xf8, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 1)};
static struct bpf_insn mem_unstored[] = {BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_A, 0)};
static struct bpf_insn shift_40[] = {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 40), BPF_STMT(BPF_RET | BPF_A, 0)};
static struct bpf_insn ancillary_bad[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffff800),
                                          BPF_STMT(BPF_RET | BPF_A, 0)};
static struct bpf_insn ja_wraps[] = {BPF_STMT(BPF_JMP | BPF_JA, 0xffffffff), BPF_STMT(BPF_RET | BPF_K, 1)};

static void print_program(const char *title, struct bpf_insn *insns, int len) {
  struct bpf_program prog;
  int i, option;
  prog.bf_len = (u_int)len;
  prog.bf_insns = insns;
  printf("== %s (%d) validate %d\n", title, len, bpf_validate(insns, len));
  for (option = 0; option <= 4; ++option) {
    printf("-- bpf_dump option %d\n", option);
    fflush(stdout);
    bpf_dump(&prog, option);
    fflush(stdout);
  }
  for (i = 0; i < len; ++i) {
    char *image = bpf_image(&insns[i], i);
    printf("image %s\n", image);
  }
}

static void run_every_kind(void) {
  /* An Ethernet/IPv4/TCP frame and cut-down copies. */
  static const u_char frame[] = {
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
      0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00,
      0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01,
      0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00};
  u_int caplen;
  struct pcap_pkthdr h;
  struct bpf_program prog;
  prog.bf_len = N(every_kind);
  prog.bf_insns = every_kind;
  for (caplen = 0; caplen <= sizeof frame; caplen += 3) {
    memset(&h, 0, sizeof h);
    h.caplen = caplen;
    h.len = sizeof frame + 100;
    printf("run caplen %u: bpf_filter %u offline %d\n", caplen,
           bpf_filter(every_kind, frame, sizeof frame + 100, caplen),
           pcap_offline_filter(&prog, &h, frame));
  }
  printf("bpf_filter(NULL) %u\n", bpf_filter(NULL, frame, sizeof frame, sizeof frame));
  prog.bf_len = 0;
  prog.bf_insns = NULL;
  memset(&h, 0, sizeof h);
  h.caplen = h.len = sizeof frame;
  printf("pcap_offline_filter(empty program) %d\n", pcap_offline_filter(&prog, &h, frame));
}

static void handles(void) {
  static const u_int precisions[] = {PCAP_TSTAMP_PRECISION_MICRO, PCAP_TSTAMP_PRECISION_NANO, 7};
  static const int snaplens[] = {1, 96, 65535, 262144, 1000000, -5};
  int i;
  for (i = 0; i < N(precisions); ++i) {
    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_LINUX_SLL, 128, precisions[i]);
    printf("open_dead_with_tstamp_precision %u: %s datalink %d snapshot %d precision %d\n",
           precisions[i], p ? "handle" : "NULL", p ? pcap_datalink(p) : -1,
           p ? pcap_snapshot(p) : -1, p ? pcap_get_tstamp_precision(p) : -1);
    if (p) pcap_close(p);
  }
  for (i = 0; i < N(snaplens); ++i) {
    pcap_t *p = pcap_open_dead(DLT_EN10MB, snaplens[i]);
    struct bpf_program prog;
    int rc = pcap_compile(p, &prog, "ip", 1, PCAP_NETMASK_UNKNOWN);
    printf("snaplen %d: snapshot %d compile %d\n", snaplens[i], pcap_snapshot(p), rc);
    if (rc == 0) {
      /* The accepting return value is the snap length, however large. */
      printf("  accept returns %u\n", prog.bf_insns[prog.bf_len - 2].k);
      pcap_freecode(&prog);
    }
    pcap_close(p);
  }
}

static void compile_contracts(void) {
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 100);
  struct bpf_program prog;
  int rc;
  printf("fresh geterr '%s'\n", pcap_geterr(p));
  printf("geterr is stable %d\n", pcap_geterr(p) == pcap_geterr(p));

  rc = pcap_compile(p, &prog, NULL, 1, PCAP_NETMASK_UNKNOWN);
  printf("NULL expression: %d\n", rc);
  if (rc == 0) {
    bpf_dump(&prog, 1);
    pcap_freecode(&prog);
    printf("after freecode: len %u insns %s\n", prog.bf_len, prog.bf_insns ? "set" : "NULL");
  }
  rc = pcap_compile(p, &prog, "", 0, PCAP_NETMASK_UNKNOWN);
  printf("empty expression: %d\n", rc);
  if (rc == 0) {
    bpf_dump(&prog, 1);
    pcap_freecode(&prog);
  }
  rc = pcap_compile(p, &prog, "tcp prot 80", 1, PCAP_NETMASK_UNKNOWN);
  printf("bad expression: %d (PCAP_ERROR %d) message %s\n", rc, PCAP_ERROR,
         pcap_geterr(p)[0] ? "present" : "missing");
  rc = pcap_compile(p, &prog, "ip broadcast", 1, PCAP_NETMASK_UNKNOWN);
  printf("ip broadcast, netmask unknown: %d\n", rc);
  rc = pcap_compile(p, &prog, "ip broadcast", 1, 0xffffff00);
  printf("ip broadcast, netmask /24: %d\n", rc);
  if (rc == 0) pcap_freecode(&prog);
  pcap_close(p);

  p = pcap_open_dead(DLT_EN10MB, 0);
  rc = pcap_compile(p, &prog, "ip", 1, PCAP_NETMASK_UNKNOWN);
  printf("snaplen 0: %d '%s'\n", rc, pcap_geterr(p));
  pcap_close(p);

  rc = pcap_compile_nopcap(200, DLT_RAW, &prog, "udp", 1, PCAP_NETMASK_UNKNOWN);
  printf("compile_nopcap good: %d\n", rc);
  if (rc == 0) pcap_freecode(&prog);
  rc = pcap_compile_nopcap(200, DLT_RAW, &prog, "udp and", 1, PCAP_NETMASK_UNKNOWN);
  printf("compile_nopcap bad: %d\n", rc);

  /* A handle whose link type neither library compiles for. */
  p = pcap_open_dead(9999, 100);
  printf("link type 9999: %d\n", pcap_compile(p, &prog, "ip", 1, PCAP_NETMASK_UNKNOWN));
  pcap_close(p);
}

static void link_names(void) {
  static const char *names[] = {"EN10MB",    "en10mb",    "Raw",        "RAW",     "LINUX_SLL",
                                "linux_sll2", "NULL",      "LOOP",       "DLT_EN10MB", "1",
                                "",           "nonsense",  "IEEE802_11_RADIO", "ipv4"};
  static const int vals[] = {0, 1, 12, 108, 113, 276, 105, 127, 228, 229, 9999, -1};
  int i;
  for (i = 0; i < N(names); ++i) {
    printf("name_to_val(%s) %d\n", names[i], pcap_datalink_name_to_val(names[i]));
  }
  for (i = 0; i < N(vals); ++i) {
    const char *n = pcap_datalink_val_to_name(vals[i]);
    const char *d = pcap_datalink_val_to_description(vals[i]);
    printf("val %d: name %s description %s\n", vals[i], n ? n : "(NULL)", d ? d : "(NULL)");
  }
}

int main(void) {
  print_program("every kind", every_kind, N(every_kind));
  print_program("accept all", accept_all, N(accept_all));
  printf("validate no_return %d\n", bpf_validate(no_return, N(no_return)));
  printf("validate jump_out %d\n", bpf_validate(jump_out, N(jump_out)));
  printf("validate ja_out %d\n", bpf_validate(ja_out, N(ja_out)));
  printf("validate div_zero %d\n", bpf_validate(div_zero, N(div_zero)));
  printf("validate mem_index %d\n", bpf_validate(mem_index, N(mem_index)));
  printf("validate bad_opcode %d\n", bpf_validate(bad_opcode, N(bad_opcode)));
  printf("validate empty %d\n", bpf_validate(accept_all, 0));
  printf("validate misc_ffff %d\n", bpf_validate(misc_ffff, N(misc_ffff)));
  printf("validate mem_unstored %d\n", bpf_validate(mem_unstored, N(mem_unstored)));
  printf("validate shift_40 %d\n", bpf_validate(shift_40, N(shift_40)));
  printf("validate ancillary_bad %d\n", bpf_validate(ancillary_bad, N(ancillary_bad)));
  printf("validate ja_wraps %d\n", bpf_validate(ja_wraps, N(ja_wraps)));
  run_every_kind();
  handles();
  compile_contracts();
  link_names();
  return 0;
}
