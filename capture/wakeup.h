// The interrupt of a live PacketSource: a flag that Next() checks, and an
// eventfd that wakes the poll() Next() may be sleeping in. Raise() is what
// PacketSource::Interrupt() does, from any thread or a signal handler.
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

#include "capture/errno_text.h"

namespace bpfcap::capture {

class Wakeup {
 public:
  Wakeup() = default;
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  ~Wakeup() {
    if (fd_ >= 0) close(fd_);
  }

  // False with *error ("eventfd: ...") on failure.
  bool Open(std::string* error) {
    fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) *error = Errno("eventfd", errno);
    return fd_ >= 0;
  }
  // For poll(), with POLLIN.
  int fd() const { return fd_; }

  // Async-signal-safe.
  void Raise() {
    raised_.store(true);
    const uint64_t one = 1;
    if (fd_ >= 0 && write(fd_, &one, sizeof(one)) < 0) {
      // Nothing to do: the flag alone stops the next Next().
    }
  }
  bool raised() const { return raised_.load(std::memory_order_relaxed); }
  // Sleeps until `fd` has something for POLLIN, Raise() is called, or
  // timeout_ms passes (-1: no limit). kReady also for a signal (EINTR):
  // callers look at the flag and their ring again. *revents: fd's events.
  enum class Wait { kReady, kTimeout, kError };
  Wait Poll(int fd, int timeout_ms, short* revents, int* err) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {fd_, POLLIN, 0}};
    const int n = poll(fds, 2, timeout_ms);
    *revents = fds[0].revents;
    if (n < 0 && errno != EINTR) {
      *err = errno;
      return Wait::kError;
    }
    return n == 0 ? Wait::kTimeout : Wait::kReady;
  }

  // Consumes the interrupt: the flag and the eventfd's count.
  void Clear() {
    raised_.store(false);
    uint64_t count;
    while (fd_ >= 0 && read(fd_, &count, sizeof(count)) > 0) {
    }
  }

 private:
  int fd_ = -1;
  std::atomic<bool> raised_{false};
};

}  // namespace bpfcap::capture
