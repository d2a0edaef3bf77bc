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

enum LongOnly { kOptVersion = 256, kOptDump };

constexpr char kShortOpts[] = ":dOy:s:F:h";
constexpr option kLongOpts[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, kOptVersion},
    {"dump", required_argument, nullptr, kOptDump},
    {nullptr, 0, nullptr, 0},
};

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
      const proto::LinkType* lt = proto::FindLinkType(std::string_view(arg));
      if (lt == nullptr) return "unknown link type " + Quoted(arg);
      o->dlt = lt->dlt;
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
  if (!r.options.filter_file.empty() && !r.options.words.empty()) {
    r.error = "both -F " + Quoted(r.options.filter_file) +
              " and an expression on the command line";
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

std::string UsageText() {
  return "Usage: bpfcap -d|-dd|-ddd [-O] [-y LINKTYPE] [-s SNAPLEN] [-F FILE]\n"
         "              [--dump=STAGE] [EXPRESSION...]\n"
         "\n"
         "Compile a pcap-filter(7) expression to classic BPF and print it.\n"
         "\n"
         "  -d             print the program as assembly (tcpdump -d)\n"
         "  -dd            print it as a C array (tcpdump -dd)\n"
         "  -ddd           print it as decimal numbers (tcpdump -ddd)\n"
         "  -O             do not optimize the program\n"
         "  -y LINKTYPE    link type: EN10MB (default), RAW, LINUX_SLL, ...;\n"
         "                 any case, with or without DLT_, or a DLT number\n"
         "  -s SNAPLEN     value returned on accept; 0 means 262144 (default)\n"
         "  -F FILE        read the expression from FILE ('#' starts a comment)\n"
         "  --dump=STAGE   print a compiler stage instead of the program:\n"
         "                 tokens, ast, ir, ir-opt or dot\n"
         "  -h, --help     print this help\n"
         "  --version      print the version\n"
         "\n"
         "The words of EXPRESSION are joined with single spaces.\n"
         "Live capture is not implemented yet.\n";
}

}  // namespace bpfcap
