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
      {"any", Expect::kAny},              {"bpfcap-rejects", Expect::kBpfcapRejects}};
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
    out.push_back({line, expect, n, path.substr(path.find_last_of('/') + 1)});
  }
  return out;
}

const std::vector<CorpusEntry>& Corpus() { return LoadOnce(CorpusPath()); }
const std::vector<CorpusEntry>& WlanCorpus() { return LoadOnce(WlanCorpusPath()); }

}  // namespace bpfcap::difftest
