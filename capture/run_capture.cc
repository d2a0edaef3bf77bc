// The CLI's capture mode; see run_capture.h.
#include "capture/run_capture.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "capture/capture_loop.h"
#include "capture/live.h"
#include "capture/print.h"
#include "capture/rotation.h"
#include "capture/savefile.h"
#include "compiler/compile.h"
#include "compiler/diag.h"
#include "compiler/proto/linktypes.h"

namespace bpfcap::capture {
namespace {

// --- signals -----------------------------------------------------------------
// SIGINT/SIGTERM interrupt the source; the loop then ends after the packet
// in hand and the output is closed normally, so the file stays valid.
std::atomic<PacketSource*> g_source{nullptr};

void OnStopSignal(int) {
  if (PacketSource* s = g_source.load()) s->Interrupt();
}

class SignalScope {
 public:
  explicit SignalScope(PacketSource* source) {
    g_source.store(source);
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    // A closed pipe on stdout or -w - is an error we report, not a death.
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_source.store(nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_pipe_ {};
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "bpfcap: %s\n", message.c_str());
  return 1;
}

// "EN10MB (Ethernet)", or the number for link types the compiler lacks.
std::string LinkTypeText(int dlt) {
  if (const proto::LinkType* lt = proto::FindLinkType(dlt)) {
    return std::string(lt->name) + " (" + std::string(lt->description) + ")";
  }
  return std::to_string(dlt);
}

// --- output ------------------------------------------------------------------
class Output {
 public:
  virtual ~Output() = default;
  virtual bool Handle(const Packet& pkt, std::string* error) = 0;
  virtual bool Finish(const CaptureStats* stats, std::string* error) = 0;
  virtual bool WritesFile() const = 0;
};

// One printed line (or more, with -x) per packet on stdout.
class PrintOutput : public Output {
 public:
  PrintOutput(int dlt, const CliOptions& o) : printer_(dlt, Options(o)) {
    if (o.line_buffered) std::setvbuf(stdout, nullptr, _IOLBF, 0);
  }
  bool Handle(const Packet& pkt, std::string* error) override {
    buf_.clear();
    printer_.Append(pkt, &buf_);
    if (std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) {
      *error = std::string("error writing to standard output: ") + std::strerror(errno);
      return false;
    }
    return true;
  }
  bool Finish(const CaptureStats*, std::string* error) override {
    if (std::fflush(stdout) != 0) {
      *error = std::string("error writing to standard output: ") + std::strerror(errno);
      return false;
    }
    return true;
  }
  bool WritesFile() const override { return false; }

 private:
  static PrintOptions Options(const CliOptions& o) {
    PrintOptions p;
    p.numeric = o.numeric;
    p.link_header = o.link_header;
    p.hex = HexFromCounts(o.hex, o.hex_ascii);
    p.ts = TimestampFromCount(o.ts_count);
    p.nanosecond = o.nanosecond;
    p.verbose = o.verbose;
    p.quiet = o.quiet;
    p.absolute_seq = o.absolute_seq;
    return p;
  }
  PacketPrinter printer_;
  std::string buf_;
};

// -w: a pcap or pcapng file, rotated by -C/-G/-W, flushed per packet by -U.
class FileOutput : public Output {
 public:
  FileOutput(const CliOptions& o, SinkInfo info)
      : opts_(o), info_(std::move(info)),
        rotation_(o.write_file, o.rotate_bytes, o.rotate_seconds, o.file_limit) {}

  bool Open(std::string* error) {
    return OpenFile(rotation_.First(std::time(nullptr)), error);
  }
  bool Handle(const Packet& pkt, std::string* error) override {
    if (opts_.rotate_bytes > 0 || opts_.rotate_seconds > 0) {
      const std::time_t now = std::time(nullptr);
      if (rotation_.Due(sink_->BytesWritten(), now)) {
        std::string next;
        if (!sink_->Close()) return Sink(error);
        if (!rotation_.Next(now, &next)) return Stop(error);
        if (!OpenFile(next, error)) return false;
      }
    }
    if (!sink_->Write(pkt)) return Sink(error);
    if (opts_.packet_buffered && !sink_->Flush()) return Sink(error);
    return true;
  }
  bool Finish(const CaptureStats* stats, std::string* error) override {
    if (!sink_) return true;
    if (!sink_->Close(stats)) return Sink(error);
    return true;
  }
  bool WritesFile() const override { return true; }

 private:
  bool OpenFile(const std::string& name, std::string* error) {
    const SavefileFormat fmt = opts_.pcapng ? SavefileFormat::kPcapng : SavefileFormat::kPcap;
    sink_ = CreateSavefile(name, fmt, info_, error);
    name_ = name;
    return sink_ != nullptr;
  }
  bool Sink(std::string* error) {
    *error = name_ + ": " + sink_->error();
    return false;
  }
  // -G with -W: the last file is done; end the capture without an error.
  bool Stop(std::string* error) {
    sink_.reset();
    error->clear();
    stopped_ = true;
    return false;
  }

 public:
  bool stopped() const { return stopped_; }

 private:
  const CliOptions& opts_;
  SinkInfo info_;
  Rotation rotation_;
  std::unique_ptr<PacketSink> sink_;
  std::string name_;
  bool stopped_ = false;
};

// While writing to a file with stderr on a terminal: one status line,
// rewritten at most once a second.
class StatusLine {
 public:
  explicit StatusLine(bool enabled) : enabled_(enabled) {}
  void Update(uint64_t captured, const PacketSource& source) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    const double secs = std::chrono::duration<double>(now - last_).count();
    const double rate = last_count_ <= captured ? double(captured - last_count_) / secs : 0;
    CaptureStats st;
    const bool have = source.Stats(&st);
    std::fprintf(stderr, "\r%llu packets captured, %llu dropped, %.0f packets/s   ",
                 static_cast<unsigned long long>(captured),
                 static_cast<unsigned long long>(have ? st.dropped : 0), rate);
    std::fflush(stderr);
    last_ = now;
    last_count_ = captured;
    shown_ = true;
  }
  void End() {
    if (shown_) std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  uint64_t last_count_ = 0;
};

// -Z USER: drop root once the capture and the output are open.
bool DropPrivileges(const std::string& user, std::string* error) {
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    *error = "-Z: unknown user '" + user + "'";
    return false;
  }
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
      setuid(pw->pw_uid) != 0) {
    *error = "-Z: cannot change to user '" + user + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

CompileOptions CompileFor(const CliOptions& o, int dlt, uint32_t snaplen, uint32_t netmask) {
  CompileOptions c;
  c.dlt = dlt;
  c.snaplen = snaplen;
  c.netmask = netmask;
  c.optimize = o.optimize;
  return c;
}

}  // namespace

int RunCapture(const CliOptions& o) {
  std::string expr, error;
  if (!LoadExpression(o, &expr, &error)) return Fail(error);

  // The source, and the program: in user space for files, in the kernel
  // for live captures (LiveSource compiles and attaches it itself).
  std::unique_ptr<PacketSource> source;
  cbpf::Program user_filter;
  bool filter_in_user_space = false;
  std::string if_name;
  if (!o.read_file.empty()) {
    source = OpenSavefile(o.read_file, &error);
    if (!source) return Fail(error);
    if (!expr.empty()) {
      // tcpdump compiles for the file's link type and snap length, netmask 0.
      CompileResult r = Compile(expr, CompileFor(o, source->LinkType(), source->Snaplen(), 0));
      if (!r.diag.ok()) return Fail(FormatDiag(r.diag, expr));
      user_filter = std::move(r.program);
      filter_in_user_space = true;
    }
    std::fprintf(stderr, "reading from file %s, link-type %s, snapshot length %u\n",
                 o.read_file == "-" ? "-" : o.read_file.c_str(),
                 LinkTypeText(source->LinkType()).c_str(), source->Snaplen());
  } else {
    LiveSource live = OpenLiveSource(o, expr, &error);
    if (!live.source) return Fail(error);
    source = std::move(live.source);
    if_name = live.interface;
    if (!live.warning.empty()) {
      // Each line prefixed, so that it stands out in a log too.
      size_t at = 0;
      for (size_t nl; (nl = live.warning.find('\n', at)) != std::string::npos; at = nl + 1) {
        std::fprintf(stderr, "bpfcap: %s\n", live.warning.substr(at, nl - at).c_str());
      }
      std::fprintf(stderr, "bpfcap: %s\n", live.warning.substr(at).c_str());
    }
    if (!live.note.empty()) std::fprintf(stderr, "bpfcap: %s\n", live.note.c_str());
    if (o.write_file.empty() && o.verbose == 0) {
      std::fprintf(stderr, "bpfcap: verbose output suppressed, use -v[v]... for full protocol decode\n");
    }
    std::fprintf(stderr, "bpfcap: listening on %s, link-type %s, snapshot length %u bytes\n",
                 if_name.c_str(), LinkTypeText(source->LinkType()).c_str(), source->Snaplen());
  }
  std::fflush(stderr);

  std::unique_ptr<Output> out;
  FileOutput* file_out = nullptr;
  if (!o.write_file.empty()) {
    SinkInfo info;
    info.link_type = source->LinkType();
    info.snaplen = source->Snaplen();
    info.nanosecond = o.nanosecond || source->NanosecondTimestamps();
    info.if_name = if_name;
    info.filter = expr;
    auto f = std::make_unique<FileOutput>(o, info);
    if (!f->Open(&error)) return Fail(error);
    file_out = f.get();
    out = std::move(f);
  } else {
    if (!PrinterSupportsLinkType(source->LinkType())) {
      return Fail("cannot print packets of link type " + LinkTypeText(source->LinkType()) +
                  "; write them to a file with -w");
    }
    out = std::make_unique<PrintOutput>(source->LinkType(), o);
  }
  if (!o.drop_user.empty() && !DropPrivileges(o.drop_user, &error)) return Fail(error);

  LoopConfig cfg;
  cfg.count = o.count;
  cfg.filter = filter_in_user_space ? &user_filter : nullptr;
  cfg.direction = o.read_file.empty() ? DirectionFilter::kInOut : o.direction;
  StatusLine status(out->WritesFile() && o.write_file != "-" && isatty(STDERR_FILENO));
  LoopResult r;
  uint64_t handled = 0;
  {
    SignalScope signals(source.get());
    r = RunCaptureLoop(
        *source, cfg,
        [&](const Packet& p, std::string* e) {
          ++handled;
          return out->Handle(p, e);
        },
        [&](std::string*) {
          status.Update(handled, *source);
          return true;
        });
  }
  status.End();
  CaptureStats stats;
  const bool have_stats = source->Stats(&stats);
  std::string finish_error;
  const bool finished = out->Finish(have_stats ? &stats : nullptr, &finish_error);
  if (file_out && file_out->stopped()) r.error.clear();

  if (o.read_file.empty()) {
    // tcpdump's three lines, on every live capture's end.
    std::fprintf(stderr, "%llu packet%s captured\n", static_cast<unsigned long long>(r.captured),
                 r.captured == 1 ? "" : "s");
    if (have_stats) {
      std::fprintf(stderr, "%llu packet%s received by filter\n",
                   static_cast<unsigned long long>(stats.received), stats.received == 1 ? "" : "s");
      std::fprintf(stderr, "%llu packet%s dropped by kernel\n",
                   static_cast<unsigned long long>(stats.dropped), stats.dropped == 1 ? "" : "s");
    }
  }
  if (!r.error.empty()) {
    return Fail((o.read_file.empty() ? if_name : o.read_file) + ": " + r.error);
  }
  if (!finished) return Fail(finish_error);
  return 0;
}

}  // namespace bpfcap::capture
