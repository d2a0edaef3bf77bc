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

struct CliOptions {
  int dump_level = 0;           // number of -d: 1 = -d, 2 = -dd, 3+ = -ddd
  bool optimize = true;         // -O turns it off
  int dlt = 1;                  // -y LINKTYPE; DLT_EN10MB by default
  uint32_t snaplen = kMaxSnaplen;  // -s SNAPLEN
  std::string filter_file;      // -F FILE; empty: use `words`
  DumpStage stage = DumpStage::kNone;  // --dump=STAGE
  bool help = false;            // -h, --help
  bool version = false;         // --version
  std::vector<std::string> words;  // the expression words, in order
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

}  // namespace bpfcap
