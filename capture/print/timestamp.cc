// Timestamps in tcpdump's -t family of formats.
//
//   (default)  22:13:20.123456             local time of day
//   -tt        1700000000.123456           seconds since the epoch
//   -ttt        00:00:01.123456            since the previous packet
//   -tttt      2023-11-14 22:13:20.123456  local date and time
//   -ttttt      00:00:07.864192            since the first packet
//
// Deltas carry a sign column (' ' or '-') and print hours modulo 24, as
// tcpdump 4.99 does. With nanosecond precision the fraction has 9 digits;
// otherwise the nanoseconds are truncated to microseconds before any
// arithmetic, so deltas agree with tcpdump's.
#include <ctime>

#include "capture/print/layers.h"
#include "capture/print/text.h"

namespace bpfcap::capture::print {
namespace {

void AppendClock(PrinterState& st, int64_t sec, bool date, std::string* out) {
  if (sec != st.clock_sec) {
    time_t t = static_cast<time_t>(sec);
    struct tm tm {};
    st.clock_text.clear();
    if (localtime_r(&t, &tm) == nullptr) {
      st.clock_text = date ? "[Error converting time]" : "[Error converting time]";
    } else {
      if (date) {
        AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_year + 1900), 4);
        st.clock_text += '-';
        AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_mon + 1), 2);
        st.clock_text += '-';
        AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_mday), 2);
        st.clock_text += ' ';
      }
      AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_hour), 2);
      st.clock_text += ':';
      AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_min), 2);
      st.clock_text += ':';
      AppendDecPad(&st.clock_text, static_cast<uint64_t>(tm.tm_sec), 2);
    }
    st.clock_sec = sec;
  }
  out->append(st.clock_text);
}

void AppendDelta(int64_t sec, uint32_t frac, int64_t from_sec, uint32_t from_frac,
                 uint32_t scale, int digits, std::string* out) {
  bool negative = sec < from_sec || (sec == from_sec && frac < from_frac);
  if (negative) {
    std::swap(sec, from_sec);
    std::swap(frac, from_frac);
  }
  uint64_t dsec = static_cast<uint64_t>(sec) - static_cast<uint64_t>(from_sec);
  uint32_t dfrac;
  if (frac >= from_frac) {
    dfrac = frac - from_frac;
  } else {
    dfrac = frac + scale - from_frac;
    --dsec;
  }
  out->push_back(negative ? '-' : ' ');
  AppendDecPad(out, dsec / 3600 % 24, 2);
  out->push_back(':');
  AppendDecPad(out, dsec / 60 % 60, 2);
  out->push_back(':');
  AppendDecPad(out, dsec % 60, 2);
  out->push_back('.');
  AppendDecPad(out, dfrac, digits);
}

}  // namespace

void AppendTimestamp(const PrintOptions& opt, PrinterState& st, const Packet& pkt,
                     std::string* out) {
  if (opt.ts == TimestampFormat::kNone) return;
  const uint32_t scale = opt.nanosecond ? 1000000000u : 1000000u;
  const int digits = opt.nanosecond ? 9 : 6;
  const uint32_t frac = opt.nanosecond ? pkt.ts_nsec : pkt.ts_nsec / 1000;
  const int64_t sec = pkt.ts_sec;
  if (!st.have_first) {
    st.have_first = true;
    st.first_sec = st.prev_sec = sec;
    st.first_frac = st.prev_frac = frac;
  }
  switch (opt.ts) {
    case TimestampFormat::kNone:
      return;
    case TimestampFormat::kTime:
    case TimestampFormat::kDate:
      AppendClock(st, sec, opt.ts == TimestampFormat::kDate, out);
      out->push_back('.');
      AppendDecPad(out, frac, digits);
      break;
    case TimestampFormat::kEpoch:
      AppendSignedDec(out, sec);
      out->push_back('.');
      AppendDecPad(out, frac, digits);
      break;
    case TimestampFormat::kDelta:
      AppendDelta(sec, frac, st.prev_sec, st.prev_frac, scale, digits, out);
      break;
    case TimestampFormat::kSinceFirst:
      AppendDelta(sec, frac, st.first_sec, st.first_frac, scale, digits, out);
      break;
  }
  st.prev_sec = sec;
  st.prev_frac = frac;
  out->push_back(' ');
}

}  // namespace bpfcap::capture::print
