// Loading exprs.txt; see corpus.h.
#include "tests/diff/corpus.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

namespace bpfcap::difftest {
namespace {

bool ParseExpect(const std::string& word, Expect* out) {
  static const std::map<std::string, Expect> kWords = {
      {"accept", Expect::kAccept},        {"reject", Expect::kReject},
      {"opt-rejects", Expect::kOptRejects}, {"needs-netmask", Expect::kNeedsNetmask},
      {"any", Expect::kAny},              {"bpfcap-rejects", Expect::kBpfcapRejects},
      {"libpcap-bug", Expect::kLibpcapBug}};
  auto it = kWords.find(word);
  if (it == kWords.end()) return false;
  *out = it->second;
  return true;
}

std::string FindFile(const char* env_var, const std::string& name) {
  if (const char* env = std::getenv(env_var)) return env;
  std::string here = __FILE__;
  std::string beside = here.substr(0, here.find_last_of('/') + 1) + name;
  for (const std::string& p : {"tests/diff/" + name, beside}) {
    if (std::ifstream(p).good()) return p;
  }
  return beside;
}

const std::vector<CorpusEntry>& LoadOnce(const std::string& path) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static std::map<std::string, std::vector<CorpusEntry>> loaded;
  auto it = loaded.find(path);
  if (it != loaded.end()) return it->second;
  std::string error;
  auto c = LoadCorpus(path, &error);
  if (!error.empty()) std::fprintf(stderr, "diff_test: %s\n", error.c_str());
  return loaded.emplace(path, std::move(c)).first->second;
}

}  // namespace

std::string CorpusPath() { return FindFile("BPFCAP_DIFF_EXPRS", "exprs.txt"); }
std::string WlanCorpusPath() { return FindFile("BPFCAP_DIFF_WLAN_EXPRS", "exprs_wlan.txt"); }

std::vector<CorpusEntry> LoadCorpus(std::string* error) { return LoadCorpus(CorpusPath(), error); }

std::vector<CorpusEntry> LoadCorpus(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open " + path;
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
        *error = path + ":" + std::to_string(n) + ": unknown expectation '" + word + "'";
        return {};
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    CorpusEntry e{line, expect, n, path.substr(path.find_last_of('/') + 1), {}};
    if (size_t at = line.find(" @ "); expect == Expect::kLibpcapBug && at != std::string::npos) {
      e.expr = line.substr(0, at);
      std::string names = line.substr(at + 3);
      for (size_t b = 0; b <= names.size();) {
        size_t c = names.find(',', b);
        if (c == std::string::npos) c = names.size();
        if (c > b) e.bug_links.push_back(names.substr(b, c - b));
        b = c + 1;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool CorpusEntry::IsLibpcapBugOn(std::string_view name) const {
  if (expect != Expect::kLibpcapBug) return false;
  if (bug_links.empty()) return true;
  for (const std::string& l : bug_links)
    if (l == name) return true;
  return false;
}

const std::vector<CorpusEntry>& Corpus() { return LoadOnce(CorpusPath()); }
const std::vector<CorpusEntry>& WlanCorpus() { return LoadOnce(WlanCorpusPath()); }

}  // namespace bpfcap::difftest
