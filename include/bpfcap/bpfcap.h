/* bpfcap — the native C API of the filter compiler (libbpfcap).
 *
 * Takes a filter expression in the pcap-filter(7) language (see
 * bpfcap-filter(7)) and a description of where the program will run (link
 * type, snap length, netmask, target); produces a program object holding
 * either the compiled instructions (classic BPF, or eBPF for the socket
 * filter and XDP targets) or one error naming the column and the token at
 * fault.
 *
 * Guarantees:
 *   - Usable from C (C99) and C++; every function has C linkage.
 *   - Handles are opaque; nothing is shared between them and the library
 *     holds no global mutable state, so any number of threads may compile,
 *     run and print programs at the same time. One handle may be read
 *     (run, printed, queried) from several threads at once; freeing it
 *     while another thread uses it is the caller's error.
 *   - No C++ exception crosses this interface; running out of memory is
 *     reported as a NULL handle.
 *   - The instructions are the kernel's and libpcap's wire layout
 *     (struct sock_filter, struct bpf_insn): a program can go to
 *     setsockopt(SO_ATTACH_FILTER) or to libpcap's bpf_filter unchanged.
 *   - A program's verdicts are libpcap's for the same link type, snap length,
 *     netmask and expression: 0 rejects, the snap length accepts.
 *
 * eBPF programs: their instructions are the kernel's struct bpf_insn, ready
 * for bpf(BPF_PROG_LOAD) as BPF_PROG_TYPE_SOCKET_FILTER or BPF_PROG_TYPE_XDP.
 * User space cannot execute eBPF, so bpfcap_program_run() on an eBPF program
 * runs the classic program compiled from the same optimized IR, whose
 * verdicts the eBPF program gives in the kernel (bpfcap's tests check that
 * with BPF_PROG_TEST_RUN); see bpfcap_program_run().
 *
 * Deliberately not here: capturing packets, loading or attaching programs
 * (that needs privileges and libbpf; the caller does it with the
 * instructions).
 *
 * Link with -lbpfcap (pkg-config --cflags --libs bpfcap). The library is
 * written in C++: a static link also needs -lstdc++ (pkg-config --static).
 */
#ifndef BPFCAP_BPFCAP_H_
#define BPFCAP_BPFCAP_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of these headers. bpfcap_version() gives the library's. */
#define BPFCAP_VERSION_MAJOR 0
#define BPFCAP_VERSION_MINOR 1
#define BPFCAP_VERSION_PATCH 0
#define BPFCAP_VERSION_STRING "0.1.0"
/* One number for comparisons: 0x00MMmmpp. */
#define BPFCAP_VERSION \
  ((BPFCAP_VERSION_MAJOR << 16) | (BPFCAP_VERSION_MINOR << 8) | BPFCAP_VERSION_PATCH)

/* "0.1.0": the version of the library actually linked. */
const char *bpfcap_version(void);

/* libpcap's PCAP_NETMASK_UNKNOWN: "ip broadcast" is then an error. */
#define BPFCAP_NETMASK_UNKNOWN 0xffffffffu

/* A few link types (libpcap DLT_ numbers); bpfcap_link_type_from_name()
 * knows them all. */
#define BPFCAP_DLT_NULL 0         /* BSD loopback */
#define BPFCAP_DLT_EN10MB 1       /* Ethernet */
#define BPFCAP_DLT_PPP 9          /* PPP */
#define BPFCAP_DLT_RAW 12         /* raw IPv4 / IPv6 */
#define BPFCAP_DLT_PPP_SERIAL 50  /* PPP over serial */
#define BPFCAP_DLT_C_HDLC 104     /* Cisco HDLC */
#define BPFCAP_DLT_LOOP 108       /* OpenBSD loopback */
#define BPFCAP_DLT_LINUX_SLL 113  /* Linux cooked v1 */
#define BPFCAP_DLT_PFLOG 117      /* OpenBSD/FreeBSD pf logs */
#define BPFCAP_DLT_SUNATM 123     /* SunATM */
#define BPFCAP_DLT_MTP2_WITH_PHDR 139 /* SS7 MTP2 with pseudo-header */
#define BPFCAP_DLT_MTP2 140       /* SS7 MTP2 */
#define BPFCAP_DLT_MTP3 141       /* SS7 MTP3 */
#define BPFCAP_DLT_ERF 197        /* Endace ERF */
#define BPFCAP_DLT_IPV4 228       /* raw IPv4 */
#define BPFCAP_DLT_IPV6 229       /* raw IPv6 */
#define BPFCAP_DLT_LINUX_SLL2 276 /* Linux cooked v2 */

/* Where the program will run. */
typedef enum bpfcap_target {
  /* Classic BPF run on packets as savefiles hold them: libpcap's
   * bpf_filter, bpfcap_program_run(), pcap_offline_filter(). */
  BPFCAP_TARGET_CBPF = 0,
  /* Classic BPF for a Linux AF_PACKET socket (SO_ATTACH_FILTER). The kernel
   * may have moved the outer VLAN tag out of the packet, so "vlan" also
   * tests the kernel's ancillary data, as libpcap does for live captures.
   * Such programs use loads only the kernel can execute: in
   * bpfcap_program_run() those loads reject. */
  BPFCAP_TARGET_CBPF_SOCKET = 1,
  /* eBPF BPF_PROG_TYPE_SOCKET_FILTER for a Linux AF_PACKET socket
   * (SO_ATTACH_BPF): returns the snap length to accept and 0 to reject, as
   * the classic program does; compiled for the socket like
   * BPFCAP_TARGET_CBPF_SOCKET ("inbound", "ifindex" and the stripped VLAN
   * tag read the skb's metadata). */
  BPFCAP_TARGET_EBPF_SOCKET = 2,
  /* eBPF BPF_PROG_TYPE_XDP program on Ethernet frames as the driver receives
   * them: returns XDP_PASS (2) to accept and XDP_DROP (1) to reject. Only
   * link type EN10MB; XDP sees received packets only and has no packet
   * type, so "inbound" and "outbound" are refused (BPFCAP_ERROR_SEMANTIC);
   * "ifindex" is the receiving interface. */
  BPFCAP_TARGET_XDP = 3
} bpfcap_target;

/* 1 when this build can compile for `target` (every target above), else 0. */
int bpfcap_target_available(bpfcap_target target);

typedef struct bpfcap_options {
  int link_type;     /* libpcap DLT_ number; default BPFCAP_DLT_EN10MB */
  uint32_t snaplen;  /* returned on accept; default 262144; 0 is an error */
  uint32_t netmask;  /* host byte order; default BPFCAP_NETMASK_UNKNOWN */
  int optimize;      /* non-zero: run the optimizer (default 1) */
  bpfcap_target target; /* default BPFCAP_TARGET_CBPF */
} bpfcap_options;

/* Fills *options with the defaults above. Start from this, then change the
 * fields you need, so that code keeps compiling if fields are added. */
void bpfcap_options_init(bpfcap_options *options);

/* One classic BPF instruction, laid out as struct sock_filter and libpcap's
 * struct bpf_insn (8 bytes). */
typedef struct bpfcap_insn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
} bpfcap_insn;

/* Why a compile failed. */
typedef enum bpfcap_error_code {
  BPFCAP_OK = 0,
  BPFCAP_ERROR_SYNTAX = 1,       /* the parser could not continue */
  BPFCAP_ERROR_LEX = 2,          /* a character or number not accepted */
  BPFCAP_ERROR_UNKNOWN_NAME = 3, /* host, port, protocol or ether name */
  BPFCAP_ERROR_RANGE = 4,        /* "port 70000", "net 10/33" */
  BPFCAP_ERROR_SEMANTIC = 5,     /* "ip6 host 1.2.3.4", unsupported link type */
  BPFCAP_ERROR_REJECTS_ALL = 6,  /* "expression rejects all packets" */
  BPFCAP_ERROR_LIMIT = 7,        /* program too large for the target */
  BPFCAP_ERROR_UNSUPPORTED = 8,  /* target not available in this build (none now) */
  BPFCAP_ERROR_INVALID_ARGUMENT = 9 /* NULL expression, snap length 0, ... */
} bpfcap_error_code;

/* A compiled program, or the error that stopped its compilation. */
typedef struct bpfcap_program bpfcap_program;

/* Compiles `expression` (NUL-terminated; "" accepts every packet) with
 * `options` (NULL: the defaults). Always returns a handle unless memory is
 * exhausted (then NULL); check bpfcap_program_ok(). Free it with
 * bpfcap_program_free(). Host, port and protocol names are looked up as
 * libpcap does (resolver, /etc/services, /etc/protocols, /etc/ethers). */
bpfcap_program *bpfcap_compile(const char *expression, const bpfcap_options *options);

/* Frees a handle; NULL is allowed. */
void bpfcap_program_free(bpfcap_program *program);

/* 1 if the program compiled, 0 if it holds an error. */
int bpfcap_program_ok(const bpfcap_program *program);

/* --- Errors (meaningful when bpfcap_program_ok() is 0) -------------------- */

bpfcap_error_code bpfcap_program_error_code(const bpfcap_program *program);
/* The one-line message bpfcap's CLI prints, with the position:
 *   "syntax error: unexpected 'prot' after 'tcp' (column 5, near 'prot')"
 * "" when the program compiled. Valid until the handle is freed. */
const char *bpfcap_program_error(const bpfcap_program *program);
/* The message alone, without the position. */
const char *bpfcap_program_error_message(const bpfcap_program *program);
/* 1-based column (byte) of the text at fault; 0 when the error is not at a
 * place in the text (the end of the expression, a bad option). */
unsigned bpfcap_program_error_column(const bpfcap_program *program);
/* The offending token's text ("prot"); "" when there is none. */
const char *bpfcap_program_error_token(const bpfcap_program *program);

/* --- The instructions ------------------------------------------------------ */

/* The target the program was compiled for (the options' target). */
bpfcap_target bpfcap_program_target(const bpfcap_program *program);

/* Classic BPF targets: the number of instructions; 0 for an error or an
 * eBPF target. */
size_t bpfcap_program_length(const bpfcap_program *program);
/* The classic instructions (bpfcap_program_length() of them); NULL for an
 * error or an eBPF target. Valid until the handle is freed. */
const bpfcap_insn *bpfcap_program_insns(const bpfcap_program *program);

/* One eBPF instruction, laid out as the kernel's struct bpf_insn (8 bytes)
 * on the little-endian hosts bpfcap builds for: `regs` holds the
 * destination register in its low 4 bits and the source register in its
 * high 4 bits. A 64-bit immediate load takes two slots. */
typedef struct bpfcap_ebpf_insn {
  uint8_t code;
  uint8_t regs;
  int16_t off;
  int32_t imm;
} bpfcap_ebpf_insn;

/* eBPF targets: the number of instruction slots; 0 for an error or a
 * classic target. */
size_t bpfcap_program_ebpf_length(const bpfcap_program *program);
/* The eBPF instructions (bpfcap_program_ebpf_length() slots), for
 * bpf(BPF_PROG_LOAD) with program type BPF_PROG_TYPE_SOCKET_FILTER or
 * BPF_PROG_TYPE_XDP (they call no GPL-only helper); NULL for an error or a
 * classic target. Valid until the handle is freed. */
const bpfcap_ebpf_insn *bpfcap_program_ebpf_insns(const bpfcap_program *program);

/* Runs the program on one packet with libpcap's bpf_filter semantics:
 * `caplen` bytes at `packet` were captured of a `wirelen`-byte packet; a
 * load past caplen rejects. Returns 0 (reject) or the snap length (accept),
 * for every target; 0 for an error handle.
 *
 * eBPF targets run the classic program compiled from the same optimized IR
 * with the same options: the eBPF program in the kernel gives the same
 * verdict on the same bytes (the socket filter returns the same value, the
 * XDP program XDP_PASS where this accepts and XDP_DROP where it rejects).
 * The kernel shows a program all of a packet's bytes, so compare with
 * wirelen == caplen. As for BPFCAP_TARGET_CBPF_SOCKET, a test of the skb's
 * metadata (inbound, outbound, ifindex, a VLAN tag the kernel stripped)
 * cannot be evaluated here and rejects. */
uint32_t bpfcap_program_run(const bpfcap_program *program, const uint8_t *packet,
                            uint32_t wirelen, uint32_t caplen);

/* The same on any instruction array (bpfcap_validate it first if it does not
 * come from bpfcap: invalid programs run safely but reject). */
uint32_t bpfcap_run(const bpfcap_insn *insns, size_t length, const uint8_t *packet,
                    uint32_t wirelen, uint32_t caplen);

/* 1 if the kernel and libpcap would accept the instructions, else 0; on 0,
 * writes a NUL-terminated reason into errbuf when errbuf_size > 0. */
int bpfcap_validate(const bpfcap_insn *insns, size_t length, char *errbuf,
                    size_t errbuf_size);

/* --- Printing -------------------------------------------------------------- */

typedef enum bpfcap_dump_format {
  BPFCAP_DUMP_ASM = 1,     /* tcpdump -d:   "(000) ldh      [12]" */
  BPFCAP_DUMP_C = 2,       /* tcpdump -dd:  "{ 0x28, 0, 0, 0x0000000c }," */
  BPFCAP_DUMP_DECIMAL = 3  /* tcpdump -ddd: count, then "40 0 0 12" */
} bpfcap_dump_format;

/* The program in one of tcpdump's three formats, byte for byte, each line
 * ending in '\n'. Returns a NUL-terminated string to release with
 * bpfcap_free(), or NULL for an error handle, an unknown format or when
 * memory is exhausted.
 * eBPF targets have one format, BPFCAP_DUMP_ASM: the listing `bpfcap -d
 * --target=ebpf|xdp` prints, in the kernel verifier's notation
 * ("12: (69) r7 = *(u16 *)(r10 -8)"); the other formats give NULL. */
char *bpfcap_program_dump(const bpfcap_program *program, bpfcap_dump_format format);

/* Releases a string returned by this library. */
void bpfcap_free(void *p);

/* --- Link types ------------------------------------------------------------ */

/* The DLT_ number for a libpcap link type name ("EN10MB", "linux_sll2";
 * case-insensitive, "DLT_" prefix allowed) of a link type bpfcap compiles
 * for; -1 if unknown. */
int bpfcap_link_type_from_name(const char *name);
/* "EN10MB" for 1; NULL for link types bpfcap does not compile for. */
const char *bpfcap_link_type_name(int link_type);
/* "Ethernet" for 1; NULL as above. */
const char *bpfcap_link_type_description(int link_type);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* BPFCAP_BPFCAP_H_ */
