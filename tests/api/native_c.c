/* The native API used from plain C (C11), linked once with libbpfcap.so and
 * once with libbpfcap.a (Makefile). Prints what it observes; native_test.cc
 * checks the text. Exits non-zero when a call breaks its contract.
 *
 *   native_c EXPR [LINKTYPE]   prints the -d dump, or "error: ..." with the
 *                              column and token
 *   native_c --checks          contract checks, "ok" on success
 */
#include <bpfcap/bpfcap.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "native_c: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

static int print_one(const char *expr, const char *link) {
  bpfcap_options opts;
  bpfcap_program *p;
  bpfcap_options_init(&opts);
  if (link) opts.link_type = bpfcap_link_type_from_name(link);
  p = bpfcap_compile(expr, &opts);
  if (!p) return 3;
  if (!bpfcap_program_ok(p)) {
    printf("error: %s | column %u | token '%s' | code %d\n", bpfcap_program_error(p),
           bpfcap_program_error_column(p), bpfcap_program_error_token(p),
           (int)bpfcap_program_error_code(p));
    bpfcap_program_free(p);
    return 1;
  }
  {
    char *text = bpfcap_program_dump(p, BPFCAP_DUMP_ASM);
    fputs(text, stdout);
    bpfcap_free(text);
  }
  bpfcap_program_free(p);
  return 0;
}

static void checks(void) {
  bpfcap_options opts;
  bpfcap_program *p;
  /* An IPv4/UDP packet to port 53 on Ethernet. */
  static const uint8_t pkt[42] = {
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17,
      0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 53, 0, 8, 0, 0};

  CHECK(strcmp(bpfcap_version(), BPFCAP_VERSION_STRING) == 0);
  CHECK(BPFCAP_VERSION == 0x000100);
  CHECK(sizeof(bpfcap_insn) == 8);

  bpfcap_options_init(&opts);
  CHECK(opts.link_type == BPFCAP_DLT_EN10MB && opts.snaplen == 262144);
  CHECK(opts.netmask == BPFCAP_NETMASK_UNKNOWN && opts.optimize == 1);
  CHECK(opts.target == BPFCAP_TARGET_CBPF);

  p = bpfcap_compile("udp port 53", NULL);
  CHECK(p && bpfcap_program_ok(p));
  CHECK(bpfcap_program_error_code(p) == BPFCAP_OK);
  CHECK(strcmp(bpfcap_program_error(p), "") == 0);
  CHECK(bpfcap_program_length(p) > 2);
  CHECK(bpfcap_program_insns(p) != NULL);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, sizeof pkt) == 262144);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, 30) == 0); /* truncated: rejects */
  CHECK(bpfcap_run(bpfcap_program_insns(p), bpfcap_program_length(p), pkt, sizeof pkt,
                   sizeof pkt) == 262144);
  CHECK(bpfcap_validate(bpfcap_program_insns(p), bpfcap_program_length(p), NULL, 0) == 1);
  {
    char *c = bpfcap_program_dump(p, BPFCAP_DUMP_C);
    char *d = bpfcap_program_dump(p, BPFCAP_DUMP_DECIMAL);
    CHECK(c && strncmp(c, "{ 0x28, 0, 0, 0x0000000c },\n", 28) == 0);
    CHECK(d && atoi(d) == (int)bpfcap_program_length(p));
    CHECK(bpfcap_program_dump(p, (bpfcap_dump_format)9) == NULL);
    bpfcap_free(c);
    bpfcap_free(d);
  }
  bpfcap_program_free(p);

  opts.snaplen = 96;
  opts.link_type = BPFCAP_DLT_RAW;
  p = bpfcap_compile("udp", &opts);
  CHECK(bpfcap_program_ok(p));
  CHECK(bpfcap_program_run(p, pkt + 14, sizeof pkt - 14, sizeof pkt - 14) == 96);
  bpfcap_program_free(p);

  p = bpfcap_compile("tcp prot 80", NULL);
  CHECK(p && !bpfcap_program_ok(p));
  CHECK(bpfcap_program_error_code(p) == BPFCAP_ERROR_SYNTAX);
  CHECK(bpfcap_program_error_column(p) == 5);
  CHECK(strcmp(bpfcap_program_error_token(p), "prot") == 0);
  CHECK(bpfcap_program_length(p) == 0 && bpfcap_program_insns(p) == NULL);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, sizeof pkt) == 0);
  CHECK(bpfcap_program_dump(p, BPFCAP_DUMP_ASM) == NULL);
  bpfcap_program_free(p);

  CHECK(sizeof(bpfcap_ebpf_insn) == 8);
  CHECK(bpfcap_target_available(BPFCAP_TARGET_XDP));
  CHECK(bpfcap_target_available(BPFCAP_TARGET_EBPF_SOCKET));
  CHECK(bpfcap_target_available(BPFCAP_TARGET_CBPF_SOCKET));
  CHECK(!bpfcap_target_available((bpfcap_target)7));
  bpfcap_options_init(&opts);
  opts.target = BPFCAP_TARGET_EBPF_SOCKET;
  opts.snaplen = 128;
  p = bpfcap_compile("udp port 53", &opts);
  CHECK(p && bpfcap_program_ok(p));
  CHECK(bpfcap_program_target(p) == BPFCAP_TARGET_EBPF_SOCKET);
  CHECK(bpfcap_program_length(p) == 0 && bpfcap_program_insns(p) == NULL);
  CHECK(bpfcap_program_ebpf_length(p) > 4 && bpfcap_program_ebpf_insns(p) != NULL);
  CHECK(bpfcap_program_ebpf_insns(p)[0].code == 0xbf); /* r6 = r1 */
  CHECK(bpfcap_program_ebpf_insns(p)[0].regs == 0x16);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, sizeof pkt) == 128);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, 30) == 0);
  {
    char *listing = bpfcap_program_dump(p, BPFCAP_DUMP_ASM);
    CHECK(listing && strncmp(listing, "0: (bf) r6 = r1\n", 16) == 0);
    CHECK(bpfcap_program_dump(p, BPFCAP_DUMP_C) == NULL);
    bpfcap_free(listing);
  }
  bpfcap_program_free(p);
  opts.target = BPFCAP_TARGET_XDP;
  p = bpfcap_compile("udp port 53", &opts);
  CHECK(p && bpfcap_program_ok(p) && bpfcap_program_ebpf_length(p) > 4);
  CHECK(bpfcap_program_run(p, pkt, sizeof pkt, sizeof pkt) == 128);
  bpfcap_program_free(p);
  p = bpfcap_compile("outbound", &opts);
  CHECK(p && bpfcap_program_error_code(p) == BPFCAP_ERROR_SEMANTIC);
  CHECK(strstr(bpfcap_program_error(p), "never matches at XDP") != NULL);
  bpfcap_program_free(p);
  opts.link_type = BPFCAP_DLT_RAW;
  p = bpfcap_compile("ip", &opts);
  CHECK(p && bpfcap_program_error_code(p) == BPFCAP_ERROR_SEMANTIC);
  bpfcap_program_free(p);
  bpfcap_options_init(&opts);
  opts.target = (bpfcap_target)7;
  p = bpfcap_compile("ip", &opts);
  CHECK(p && bpfcap_program_error_code(p) == BPFCAP_ERROR_INVALID_ARGUMENT);
  bpfcap_program_free(p);

  bpfcap_options_init(&opts);
  opts.snaplen = 0;
  p = bpfcap_compile("ip", &opts);
  CHECK(bpfcap_program_error_code(p) == BPFCAP_ERROR_INVALID_ARGUMENT);
  bpfcap_program_free(p);

  p = bpfcap_compile(NULL, NULL);
  CHECK(bpfcap_program_error_code(p) == BPFCAP_ERROR_INVALID_ARGUMENT);
  bpfcap_program_free(p);
  bpfcap_program_free(NULL);

  CHECK(bpfcap_link_type_from_name("linux_sll2") == BPFCAP_DLT_LINUX_SLL2);
  CHECK(bpfcap_link_type_from_name("DLT_EN10MB") == BPFCAP_DLT_EN10MB);
  CHECK(bpfcap_link_type_from_name("1") == -1);
  CHECK(bpfcap_link_type_from_name("nonsense") == -1);
  CHECK(strcmp(bpfcap_link_type_name(BPFCAP_DLT_LOOP), "LOOP") == 0);
  CHECK(strcmp(bpfcap_link_type_description(BPFCAP_DLT_EN10MB), "Ethernet") == 0);
  CHECK(bpfcap_link_type_name(9999) == NULL);
  {
    char err[64] = "";
    bpfcap_insn bad[1] = {{0x15, 0, 0, 0}}; /* jeq with nothing after it */
    CHECK(bpfcap_validate(bad, 1, err, sizeof err) == 0 && err[0] != '\0');
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--checks") == 0) {
    checks();
    if (failures) return 1;
    puts("ok");
    return 0;
  }
  if (argc == 2 || argc == 3) return print_one(argv[1], argc == 3 ? argv[2] : NULL);
  fprintf(stderr, "usage: native_c --checks | native_c EXPR [LINKTYPE]\n");
  return 2;
}
