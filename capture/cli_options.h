// Command-line options of the bpfcap CLI, and turning them into a filter
// expression.
//
// ParseCliOptions reads argv the way tcpdump does (GNU getopt, options may
// follow expression words, -d counted, "-s 0" = 262144) and validates option
// values (-y, -s, --dump). LoadExpression then produces the expression text:
// the remaining words joined with single spaces, or the contents of the -F
// file with '#' comments blanked out. Neither prints anything nor exits; the
// caller (main.cc) owns stdout, stderr and exit codes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/compile.h"

namespace bpfcap {

inline constexpr uint32_t kMaxSnaplen = 262144;  // tcpdump's MAXIMUM_SNAPLEN

// Which packets -Q keeps.
enum class DirectionFilter { kInOut, kIn, kOut };

struct CliOptions {
  // --- compiling ----------------------------------------------------------
  int dump_level = 0;           // number of -d: 1 = -d, 2 = -dd, 3+ = -ddd
  bool optimize = true;         // -O turns it off
  int dlt = 1;                  // -y LINKTYPE; DLT_EN10MB by default
  bool dlt_given = false;       // -y was on the command line
  uint32_t snaplen = kMaxSnaplen;  // -s SNAPLEN
  std::string filter_file;      // -F FILE; empty: use `words`
  DumpStage stage = DumpStage::kNone;  // --dump=STAGE
  enum class Target { kCbpf, kEbpf, kXdp } target = Target::kCbpf;  // --target=
  std::string emit_object;      // --emit-object=FILE: write the XDP program as ELF
  bool drop_matching = false;   // --drop-matching: the object drops what matches
  bool help = false;            // -h, --help
  bool version = false;         // --version
  std::vector<std::string> words;  // the expression words, in order

  // --- where packets come from and go -------------------------------------
  std::string interface;        // -i NAME ("any" for all); empty: none given
  std::string read_file;        // -r FILE ("-" = stdin)
  std::string write_file;       // -w FILE ("-" = stdout)
  bool pcapng = false;          // --pcapng: write pcapng instead of pcap
  int64_t count = -1;           // -c N: stop after N packets; -1 = no limit
  bool list_interfaces = false; // -D
  bool list_linktypes = false;  // -L
  bool list_known_linktypes = false;  // -y help: every link type bpfcap compiles for
  bool promiscuous = true;      // -p turns it off
  DirectionFilter direction = DirectionFilter::kInOut;  // -Q in|out|inout
  uint32_t buffer_kib = 0;      // -B KiB; 0 = the engine's default
  int threads = 1;              // --threads N: PACKET_FANOUT across N sockets
  enum class Engine {
    kPacket,  // "packet": AF_PACKET ring (default)
    kXdp,     // "xdp": XDP program copying matches into a BPF ring buffer
    kAfXdp,   // "afxdp": XDP program redirecting matches into AF_XDP sockets
  } engine = Engine::kPacket;   // --engine=
  // --xdp-mode=: auto (native when the driver has it), native, generic.
  enum class XdpMode { kAuto, kNative, kGeneric } xdp_mode = XdpMode::kAuto;
  bool nanosecond = false;      // --time-stamp-precision=nano
  std::string drop_user;        // -Z USER: setuid after opening
  uint64_t rotate_bytes = 0;    // -C MB (millions of bytes, as tcpdump)
  uint32_t rotate_seconds = 0;  // -G SECONDS
  uint32_t file_limit = 0;      // -W N: at most N files (with -C or -G)
  bool packet_buffered = false; // -U: flush the savefile after every packet
  bool line_buffered = false;   // -l: line-buffered stdout
  bool immediate = false;       // --immediate-mode: deliver packets without batching

  // --- how packets are printed --------------------------------------------
  int numeric = 0;              // -n = 1, -nn = 2 (and more)
  bool link_header = false;     // -e
  int hex = 0;                  // -x = 1, -xx = 2 (with link header)
  int hex_ascii = 0;            // -X = 1, -XX = 2 (with link header)
  bool quiet = false;           // -q
  int ts_count = 0;             // number of -t (print.h: TimestampFromCount)
  bool absolute_seq = false;    // -S
  int verbose = 0;              // -v count

  // True when the command asks for a capture (not just a dump or a list).
  bool Captures() const {
    return dump_level == 0 && stage == DumpStage::kNone && !list_interfaces &&
           !list_linktypes && !list_known_linktypes && !help && !version &&
           emit_object.empty();
  }
};

struct CliParse {
  CliOptions options;
  std::string error;  // non-empty: a usage error, one line, no prefix
  bool ok() const { return error.empty(); }
};

CliParse ParseCliOptions(int argc, char* const argv[]);

// Words joined with single spaces, as tcpdump's copy_argv does.
std::string JoinWords(const std::vector<std::string>& words);

// Blanks out every '#' up to (not including) the end of its line, keeping
// byte offsets (and so diagnostic columns) unchanged.
std::string BlankComments(std::string text);

// The expression to compile: the -F file (comments blanked) or the joined
// words. False with *error set ("can't read 'f': No such file or directory")
// when the file cannot be read.
bool LoadExpression(const CliOptions& opts, std::string* expr, std::string* error);

// The usage text printed by --help.
std::string UsageText();

// "bpfcap -y help": every link type the compiler knows, one per line, as
// tcpdump -L prints an interface's ("  NAME (description)"); DLT numbers
// libpcap has no name for are listed by number.
std::string KnownLinkTypesText();

}  // namespace bpfcap
