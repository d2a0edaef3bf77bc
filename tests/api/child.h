// Test kit for tests/api: the build directory, child processes with their
// standard output and error kept apart, and pcap savefiles of generated
// packets.
//
// The API tests run programs that the Makefile builds next to run_tests
// (build/lib/*.so, build/tests/api/*, build/bpfcap): BuildDir() finds them
// from /proc/self/exe, so the ASan tree (build/asan/) tests its own build.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/diff/packets.h"

namespace bpfcap::apitest {

// The directory holding run_tests ("/work/main/build").
std::string BuildDir();

// A running program; Start() with argv (no shell) and extra environment
// entries ("NAME=value") on top of the test's own environment.
class Child {
 public:
  Child() = default;
  ~Child();  // kills and reaps a child still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  // Reads output until `needle` appears on standard error; false on timeout
  // or exit first.
  bool WaitForStderr(std::string_view needle, int timeout_ms);
  // Waits for the exit (killing the child after timeout_ms); returns the exit
  // status, or -1 if it had to be killed or died of a signal.
  int Wait(int timeout_ms);

  // Sends `sig` to the running child.
  bool Signal(int sig) const;

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Reads what is available for up to timeout_ms; false once both pipes
  // are closed.
  bool Pump(int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

// Runs a program to completion (timeout 60 s); returns its exit status.
int RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env,
        std::string* out, std::string* err);

// Writes packets to a microsecond pcap savefile of link type `dlt`.
bool WritePcap(const std::string& path, int dlt, const std::vector<difftest::Packet>& packets);

// LD_PRELOAD value for loading `lib` into an uninstrumented program: in an
// ASan build the sanitizer runtimes this test process uses come first.
std::string PreloadValue(const std::string& lib);

}  // namespace bpfcap::apitest
