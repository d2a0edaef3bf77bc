// Loading exprs.txt; see corpus.h.
#include "tests/diff/corpus.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

namespace bpfcap::difftest {
namespace {

bool ParseExpect(const std::string& word, Expect* out) {
  static const std::map<std::string, Expect> kWords = {
      {"accept", Expect::kAccept},        {"reject", Expect::kReject},
      {"opt-rejects", Expect::kOptRejects}, {"needs-netmask", Expect::kNeedsNetmask},
      {"any", Expect::kAny},              {"bpfcap-rejects", Expect::kBpfcapRejects}};
  auto it = kWords.find(word);
  if (it == kWords.end()) return false;
  *out = it->second;
  return true;
}

}  // namespace

std::string CorpusPath() {
  if (const char* env = std::getenv("BPFCAP_DIFF_EXPRS")) return env;
  std::string here = __FILE__;
  std::string beside = here.substr(0, here.find_last_of('/') + 1) + "exprs.txt";
  for (const std::string& p : {std::string("tests/diff/exprs.txt"), beside}) {
    if (std::ifstream(p).good()) return p;
  }
  return beside;
}

std::vector<CorpusEntry> LoadCorpus(std::string* error) {
  std::ifstream in(CorpusPath());
  if (!in) {
    *error = "cannot open " + CorpusPath();
    return {};
  }
  std::vector<CorpusEntry> out;
  Expect expect = Expect::kAny;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    static const std::string kDirective = "#@ expect:";
    if (line.rfind(kDirective, 0) == 0) {
      std::string word = line.substr(kDirective.size());
      word.erase(0, word.find_first_not_of(' '));
      word.erase(word.find_last_not_of(' ') + 1);
      if (!ParseExpect(word, &expect)) {
        *error = "exprs.txt:" + std::to_string(n) + ": unknown expectation '" + word + "'";
        return {};
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    out.push_back({line, expect, n});
  }
  return out;
}

const std::vector<CorpusEntry>& Corpus() {
  static const std::vector<CorpusEntry> corpus = [] {
    std::string error;
    auto c = LoadCorpus(&error);
    if (!error.empty()) std::fprintf(stderr, "diff_test: %s\n", error.c_str());
    return c;
  }();
  return corpus;
}

}  // namespace bpfcap::difftest
