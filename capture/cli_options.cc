// Flag parsing and expression loading for the bpfcap CLI; see cli_options.h.
#include "capture/cli_options.h"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "compiler/proto/linktypes.h"

namespace bpfcap {
namespace {

enum LongOnly { kOptVersion = 256, kOptDump, kOptPcapng, kOptThreads, kOptTsPrecision, kOptTarget,
               kOptImmediate, kOptEngine, kOptXdpMode, kOptEmitObject, kOptDropMatching };

// tcpdump's letters, with tcpdump's meaning.
constexpr char kShortOpts[] = ":dOy:s:F:hi:r:w:c:DLpQ:B:UlqtvnexXSZ:C:G:W:";
constexpr option kLongOpts[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, kOptVersion},
    {"dump", required_argument, nullptr, kOptDump},
    {"target", required_argument, nullptr, kOptTarget},
    {"engine", required_argument, nullptr, kOptEngine},
    {"xdp-mode", required_argument, nullptr, kOptXdpMode},
    {"emit-object", required_argument, nullptr, kOptEmitObject},
    {"drop-matching", no_argument, nullptr, kOptDropMatching},
    {"interface", required_argument, nullptr, 'i'},
    {"pcapng", no_argument, nullptr, kOptPcapng},
    {"threads", required_argument, nullptr, kOptThreads},
    {"time-stamp-precision", required_argument, nullptr, kOptTsPrecision},
    {"direction", required_argument, nullptr, 'Q'},
    {"buffer-size", required_argument, nullptr, 'B'},
    {"list-interfaces", no_argument, nullptr, 'D'},
    {"list-data-link-types", no_argument, nullptr, 'L'},
    {"no-promiscuous-mode", no_argument, nullptr, 'p'},
    {"packet-buffered", no_argument, nullptr, 'U'},
    {"immediate-mode", no_argument, nullptr, kOptImmediate},
    {"relinquish-privileges", required_argument, nullptr, 'Z'},
    {nullptr, 0, nullptr, 0},
};

// A decimal number in [lo, hi], or false.
bool ParseNumber(const char* text, int64_t lo, int64_t hi, int64_t* out) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

struct StageName {
  std::string_view name;
  DumpStage stage;
};
constexpr StageName kStages[] = {
    {"tokens", DumpStage::kTokens}, {"ast", DumpStage::kAst},
    {"ir", DumpStage::kIr},         {"ir-opt", DumpStage::kIrOpt},
    {"dot", DumpStage::kDot},
};

// tcpdump reads -s with strtol(base 0): decimal, 0x hex or 0 octal.
bool ParseSnaplen(const char* text, uint32_t* snaplen) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > kMaxSnaplen) return false;
  *snaplen = v == 0 ? kMaxSnaplen : static_cast<uint32_t>(v);
  return true;
}

bool ParseStage(std::string_view text, DumpStage* stage) {
  for (const StageName& s : kStages) {
    if (s.name == text) {
      *stage = s.stage;
      return true;
    }
  }
  return false;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Reads a file into *text; on failure *error says why, with strerror's text.
bool ReadWholeFile(const std::string& path, std::string* text, std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  int err = errno;
  if (f != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text->append(buf, n);
    err = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (err == 0) return true;
  }
  *error = "can't read " + Quoted(path) + ": " + std::strerror(err);
  return false;
}

// The one-line message for getopt's '?' and ':' results.
std::string OptionError(int c, int argc, char* const argv[]) {
  const char* arg = optind - 1 < argc ? argv[optind - 1] : "";
  if (c == ':') {
    if (optopt != 0 && optopt < 256) return "option '-" + std::string(1, char(optopt)) + "' needs an argument";
    return "option " + Quoted(arg) + " needs an argument";
  }
  if (optopt != 0 && optopt < 256) return "unknown option '-" + std::string(1, char(optopt)) + "'";
  return "unknown option " + Quoted(arg);
}

// Applies one recognised option; returns a usage error or "".
std::string ApplyOption(int c, const char* arg, CliOptions* o) {
  switch (c) {
    case 'd': ++o->dump_level; return "";
    case 'O': o->optimize = false; return "";
    case 'h': o->help = true; return "";
    case kOptVersion: o->version = true; return "";
    case 'F': o->filter_file = arg; return "";
    case 'y': {
      if (std::string_view(arg) == "help") {
        o->list_known_linktypes = true;
        return "";
      }
      const proto::LinkType* lt = proto::FindLinkType(std::string_view(arg));
      if (lt == nullptr) return "unknown link type " + Quoted(arg) + " ('-y help' lists them)";
      o->dlt = lt->dlt;
      o->dlt_given = true;
      return "";
    }
    case 'i': o->interface = arg; return "";
    case 'r': o->read_file = arg; return "";
    case 'w': o->write_file = arg; return "";
    case kOptPcapng: o->pcapng = true; return "";
    case 'D': o->list_interfaces = true; return "";
    case 'L': o->list_linktypes = true; return "";
    case 'p': o->promiscuous = false; return "";
    case 'U': o->packet_buffered = true; return "";
    case 'l': o->line_buffered = true; return "";
    case kOptImmediate: o->immediate = true; return "";
    case 'q': o->quiet = true; return "";
    case 'v': ++o->verbose; return "";
    case 'n': ++o->numeric; return "";
    case 'e': o->link_header = true; return "";
    case 'x': ++o->hex; return "";
    case 'X': ++o->hex_ascii; return "";
    case 'Z': o->drop_user = arg; return "";
    case 't': ++o->ts_count; return "";
    case 'S': o->absolute_seq = true; return "";
    case 'c': {
      int64_t n;
      if (!ParseNumber(arg, 1, INT64_MAX, &n)) return "invalid packet count " + Quoted(arg);
      o->count = n;
      return "";
    }
    case 'B': {
      int64_t n;
      if (!ParseNumber(arg, 1, 4 * 1024 * 1024, &n)) {
        return "invalid buffer size " + Quoted(arg) + " (KiB, 1 to 4194304)";
      }
      o->buffer_kib = uint32_t(n);
      return "";
    }
    case 'C': {
      int64_t n;
      if (!ParseNumber(arg, 1, 1000000, &n)) return "invalid file size " + Quoted(arg);
      o->rotate_bytes = uint64_t(n) * 1000000;
      return "";
    }
    case 'G': {
      int64_t n;
      if (!ParseNumber(arg, 1, 100000000, &n)) return "invalid rotation interval " + Quoted(arg);
      o->rotate_seconds = uint32_t(n);
      return "";
    }
    case 'W': {
      int64_t n;
      if (!ParseNumber(arg, 1, 1000000, &n)) return "invalid file count " + Quoted(arg);
      o->file_limit = uint32_t(n);
      return "";
    }
    case kOptThreads: {
      int64_t n;
      if (!ParseNumber(arg, 1, 256, &n)) return "invalid thread count " + Quoted(arg) + " (1 to 256)";
      o->threads = int(n);
      return "";
    }
    case 'Q': {
      const std::string_view v(arg);
      if (v == "in") o->direction = DirectionFilter::kIn;
      else if (v == "out") o->direction = DirectionFilter::kOut;
      else if (v == "inout") o->direction = DirectionFilter::kInOut;
      else return "invalid direction " + Quoted(arg) + " (in, out or inout)";
      return "";
    }
    case kOptTarget: {
      const std::string_view v(arg);
      if (v == "cbpf" || v == "bpf") o->target = CliOptions::Target::kCbpf;
      else if (v == "ebpf") o->target = CliOptions::Target::kEbpf;
      else if (v == "xdp") o->target = CliOptions::Target::kXdp;
      else return "unknown target " + Quoted(arg) + " (cbpf, ebpf or xdp)";
      return "";
    }
    case kOptEngine: {
      const std::string_view v(arg);
      if (v == "packet") o->engine = CliOptions::Engine::kPacket;
      else if (v == "xdp") o->engine = CliOptions::Engine::kXdp;
      else if (v == "afxdp") o->engine = CliOptions::Engine::kAfXdp;
      else return "unknown engine " + Quoted(arg) + " (packet, xdp or afxdp)";
      return "";
    }
    case kOptXdpMode: {
      const std::string_view v(arg);
      if (v == "native" || v == "drv") o->xdp_mode = CliOptions::XdpMode::kNative;
      else if (v == "generic" || v == "skb") o->xdp_mode = CliOptions::XdpMode::kGeneric;
      else if (v == "auto") o->xdp_mode = CliOptions::XdpMode::kAuto;
      else return "unknown XDP mode " + Quoted(arg) + " (native, generic or auto)";
      return "";
    }
    case kOptEmitObject:
      if (*arg == '\0') return "--emit-object needs a file name";
      o->emit_object = arg;
      return "";
    case kOptDropMatching: o->drop_matching = true; return "";
    case kOptTsPrecision: {
      const std::string_view v(arg);
      if (v == "micro" || v == "microseconds") o->nanosecond = false;
      else if (v == "nano" || v == "nanoseconds") o->nanosecond = true;
      else return "invalid time stamp precision " + Quoted(arg) + " (micro or nano)";
      return "";
    }
    case 's':
      if (!ParseSnaplen(arg, &o->snaplen)) {
        return "invalid snap length " + Quoted(arg) + " (must be 0 to " +
               std::to_string(kMaxSnaplen) + ")";
      }
      return "";
    case kOptDump:
      if (!ParseStage(arg, &o->stage)) {
        return "unknown dump stage " + Quoted(arg) + " (tokens, ast, ir, ir-opt or dot)";
      }
      return "";
  }
  return "internal error: unhandled option";
}

// What --engine=xdp or --engine=afxdp cannot do, as a usage error; empty
// when all is well.
std::string XdpEngineConflict(const CliOptions& o) {
  const std::string e = o.engine == CliOptions::Engine::kAfXdp ? "--engine=afxdp" : "--engine=xdp";
  if (!o.read_file.empty()) return e + " captures live; -r reads a file";
  if (o.target == CliOptions::Target::kEbpf) {
    return e + " runs an XDP program, not --target=ebpf (that is --engine=packet)";
  }
  if (o.direction == DirectionFilter::kOut) return e + " sees received packets only, not -Q out";
  if (o.threads > 1) {
    return e + (o.engine == CliOptions::Engine::kAfXdp ? " has a socket on every queue"
                                                       : " uses one ring for every queue") +
           "; --threads is for --engine=packet";
  }
  if (o.dlt_given && o.dlt != 1) return e + " captures Ethernet (EN10MB) only";
  return "";
}

}  // namespace

CliParse ParseCliOptions(int argc, char* const argv[]) {
  CliParse r;
  opterr = 0;  // we report errors ourselves, on one line
  optind = 0;  // full re-initialisation (GNU): parse may be called again
  int c;
  while ((c = getopt_long(argc, argv, kShortOpts, kLongOpts, nullptr)) != -1) {
    r.error = (c == '?' || c == ':') ? OptionError(c, argc, argv)
                                     : ApplyOption(c, optarg, &r.options);
    if (!r.error.empty()) return r;
  }
  for (int i = optind; i < argc; ++i) r.options.words.emplace_back(argv[i]);
  const CliOptions& o = r.options;
  if (!o.filter_file.empty() && !o.words.empty()) {
    r.error = "both -F " + Quoted(o.filter_file) + " and an expression on the command line";
  } else if (!o.read_file.empty() && !o.interface.empty()) {
    r.error = "both -r and -i: read a file or capture, not both";
  } else if (o.file_limit > 0 && o.rotate_bytes == 0 && o.rotate_seconds == 0) {
    r.error = "-W needs -C or -G";
  } else if ((o.rotate_bytes > 0 || o.rotate_seconds > 0) && o.write_file.empty()) {
    r.error = "-C and -G need -w";
  } else if ((o.rotate_bytes > 0 || o.rotate_seconds > 0) && o.write_file == "-") {
    r.error = "-C and -G cannot rotate standard output";
  } else if (o.threads > 1 && !o.read_file.empty()) {
    r.error = "--threads applies to live captures, not to -r";
  } else if (o.Captures() && o.engine != CliOptions::Engine::kPacket) {
    r.error = XdpEngineConflict(o);
  } else if (o.Captures() && o.read_file.empty() && o.target == CliOptions::Target::kXdp) {
    r.error = "--target=xdp captures with --engine=xdp";
  } else if (o.xdp_mode != CliOptions::XdpMode::kAuto && o.engine == CliOptions::Engine::kPacket &&
             o.Captures()) {
    r.error = "--xdp-mode needs --engine=xdp or --engine=afxdp";
  } else if (!o.emit_object.empty() && o.target != CliOptions::Target::kXdp) {
    r.error = "--emit-object writes an XDP program: it needs --target=xdp";
  } else if (o.drop_matching && o.emit_object.empty()) {
    r.error = "--drop-matching applies to --emit-object";
  } else if (!o.emit_object.empty() &&
             (o.dump_level > 0 || o.stage != DumpStage::kNone || !o.read_file.empty() ||
              !o.interface.empty() || !o.write_file.empty())) {
    r.error = "--emit-object only writes the object: not with -d, --dump, -r, -i or -w";
  }
  return r;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += words[i];
  }
  return out;
}

std::string BlankComments(std::string text) {
  bool in_comment = false;
  for (char& ch : text) {
    if (ch == '\n') {
      in_comment = false;
    } else if (ch == '#' || in_comment) {
      in_comment = true;
      ch = ' ';
    }
  }
  return text;
}

bool LoadExpression(const CliOptions& opts, std::string* expr, std::string* error) {
  if (opts.filter_file.empty()) {
    *expr = JoinWords(opts.words);
    return true;
  }
  std::string text;
  if (!ReadWholeFile(opts.filter_file, &text, error)) return false;
  *expr = BlankComments(std::move(text));
  return true;
}

std::string KnownLinkTypesText() {
  std::string out = "Link types bpfcap compiles for (use option -y to set):\n";
  for (const proto::LinkType& l : proto::AllLinkTypes()) {
    if (l.name.empty()) {
      out += "  " + std::to_string(l.dlt) + " (no libpcap name: -y " + std::to_string(l.dlt) + ")\n";
    } else {
      out += "  " + std::string(l.name) + " (" + std::string(l.description) + ")\n";
    }
  }
  return out;
}

std::string UsageText() {
  return "Usage: bpfcap [-i IFACE | -r FILE] [-w FILE] [-c N] [-nn] [-e] [-x|-X] [-s SNAPLEN]\n"
         "              [-p] [-Q in|out|inout] [-B KiB] [-U] [-C MB] [-G SECS] [-W N]\n"
         "              [--pcapng] [--threads N] [EXPRESSION...]\n"
         "       bpfcap -d|-dd|-ddd [-O] [-y LINKTYPE] [-s SNAPLEN] [-F FILE]\n"
         "              [--dump=STAGE] [EXPRESSION...]\n"
         "       bpfcap --target=xdp --emit-object=FILE [--drop-matching] [-O] [-F FILE]\n"
         "              [EXPRESSION...]\n"
         "       bpfcap -D | -L [-i IFACE] | -y help\n"
         "\n"
         "Capture packets that match a pcap-filter(7) expression, filtered in the\n"
         "kernel; or compile the expression to classic BPF and print it.\n"
         "\n"
         "Capture (tcpdump's options, tcpdump's meaning):\n"
         "  -i IFACE       capture on IFACE ('any' for all interfaces)\n"
         "  -r FILE        read packets from a pcap or pcapng file ('-' = stdin)\n"
         "  -w FILE        write packets to FILE ('-' = stdout) instead of printing\n"
         "  --pcapng       write pcapng instead of pcap\n"
         "  -c N           stop after N packets\n"
         "  -n, -nn        do not resolve addresses / ports\n"
         "  -e             print the link-layer header\n"
         "  -x, -xx        print the packet in hex (-xx: with the link header)\n"
         "  -X, -XX        hex and ASCII (-XX: with the link header)\n"
         "  -t ... -ttttt  timestamp format: none, epoch, delta, date, since first\n"
         "  -q, -v         less / more protocol detail\n"
         "  -S             absolute TCP sequence numbers\n"
         "  -s SNAPLEN     bytes kept per packet (default 262144)\n"
         "  -p             do not put the interface in promiscuous mode\n"
         "  -Q DIR         only packets received (in), sent (out), or both\n"
         "  -B KiB         kernel ring buffer size\n"
         "  -U             flush the file after every packet\n"
         "  -l             line-buffered standard output\n"
         "  --immediate-mode  hand each packet over at once (default when printing\n"
         "                 to a terminal, with -l or -U)\n"
         "  -C MB, -G SECS, -W N   rotate the -w file by size or time, keep N files\n"
         "  -Z USER        drop privileges to USER after opening the capture\n"
         "  --threads N    spread the capture over N sockets (PACKET_FANOUT)\n"
         "  --engine=E     packet (default): AF_PACKET ring, every direction;\n"
         "                 xdp: an XDP program copies matching received frames\n"
         "                 into a BPF ring buffer (ingress only, before the stack)\n"
         "                 afxdp: an XDP program redirects matching received frames\n"
         "                 into AF_XDP sockets: THEY NO LONGER REACH THE KERNEL\n"
         "                 STACK (for mirror/tap ports; see bpfcap(1))\n"
         "  --xdp-mode=M   native or generic (default: native when the driver has it)\n"
         "                 for --engine=xdp and --engine=afxdp\n"
         "  --time-stamp-precision=micro|nano\n"
         "  -D             list interfaces;  -L  list link types of an interface\n"
         "\n"
         "Compile only:\n"
         "  -d             print the program as assembly (tcpdump -d)\n"
         "  -dd            print it as a C array (tcpdump -dd)\n"
         "  -ddd           print it as decimal numbers (tcpdump -ddd)\n"
         "  -O             do not optimize the program\n"
         "  -y LINKTYPE    link type: EN10MB (default), RAW, LINUX_SLL, ...;\n"
         "                 any case, with or without DLT_, or a DLT number;\n"
         "                 '-y help' lists them\n"
         "  -s SNAPLEN     value returned on accept; 0 means 262144 (default)\n"
         "  -F FILE        read the expression from FILE ('#' starts a comment)\n"
         "  --target=T     cbpf (default), ebpf (socket filter) or xdp: with -d,\n"
         "                 print the eBPF program in the kernel verifier's notation;\n"
         "                 capturing, --target=ebpf attaches the eBPF socket filter\n"
         "                 print the eBPF program in the kernel verifier's notation\n"
         "  --emit-object=FILE  with --target=xdp: write an ELF object with one XDP\n"
         "                 program (section xdp) that passes matching packets and\n"
         "                 drops the rest: ip link set dev IF xdp obj FILE sec xdp\n"
         "  --drop-matching with --emit-object: drop matching packets, pass the rest\n"
         "  --dump=STAGE   print a compiler stage instead of the program:\n"
         "                 tokens, ast, ir, ir-opt or dot\n"
         "  -h, --help     print this help\n"
         "  --version      print the version\n"
         "\n"
         "The words of EXPRESSION are joined with single spaces.\n";
}

}  // namespace bpfcap
