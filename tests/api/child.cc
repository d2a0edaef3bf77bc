// See child.h.
#include "tests/api/child.h"

#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>

extern char** environ;

namespace bpfcap::apitest {

std::string BuildDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "build";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Child::Start(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return false;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  for (const std::string& e : env) envs.push_back(e);
  std::vector<char*> cargv, cenv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const std::string& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

bool Child::Signal(int sig) const { return pid_ > 0 && kill(pid_, sig) == 0; }

bool Child::Pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (poll(fds, 2, timeout_ms) <= 0) return true;
  int* fd_of[2] = {&out_fd_, &err_fd_};
  std::string* buf_of[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[4096];
    const ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      buf_of[i]->append(buf, static_cast<size_t>(n));
    } else {
      close(*fd_of[i]);
      *fd_of[i] = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

namespace {
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

bool Child::WaitForStderr(std::string_view needle, int timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (err_.find(needle) == std::string::npos) {
    const int64_t left = deadline - NowMs();
    if (left <= 0 || !Pump(static_cast<int>(left))) return err_.find(needle) != std::string::npos;
  }
  return true;
}

int Child::Wait(int timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  bool killed = false;
  while (true) {
    const int64_t left = deadline - NowMs();
    if (left <= 0 && !killed) {
      kill(pid_, SIGKILL);
      killed = true;
    }
    if (!Pump(left > 0 ? static_cast<int>(std::min<int64_t>(left, 200)) : 200)) break;
  }
  int status = 0;
  while (!killed) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (NowMs() > deadline) {
      kill(pid_, SIGKILL);
      killed = true;
      break;
    }
    usleep(10000);
  }
  if (killed) waitpid(pid_, &status, 0);
  pid_ = -1;
  if (killed || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

int RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env,
        std::string* out, std::string* err) {
  Child c;
  if (!c.Start(argv, env)) return -1;
  const int status = c.Wait(60000);
  if (out) *out = c.out();
  if (err) *err = c.err();
  return status;
}

bool WritePcap(const std::string& path, int dlt, const std::vector<difftest::Packet>& packets) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&f](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&f](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  u32(0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(262144);
  u32(static_cast<uint32_t>(dlt));
  uint32_t t = 0;
  for (const difftest::Packet& p : packets) {
    u32(++t);
    u32(0);
    u32(p.caplen());
    u32(p.wirelen);
    f.write(reinterpret_cast<const char*>(p.bytes.data()), static_cast<std::streamsize>(p.bytes.size()));
  }
  return static_cast<bool>(f);
}

std::string PreloadValue(const std::string& lib) {
  std::string runtimes;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("/libasan.so") != std::string::npos ||
            name.find("/libubsan.so") != std::string::npos) {
          auto* out = static_cast<std::string*>(data);
          *out += name + " ";
        }
        return 0;
      },
      &runtimes);
  return runtimes + lib;
}

}  // namespace bpfcap::apitest
