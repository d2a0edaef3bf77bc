// The CLI's capture mode: from the parsed options to packets printed or
// written, as tcpdump does it.
//
//   source   -r FILE (pcap/pcapng, filtered in user space with the compiled
//            program) or -i IFACE (the AF_PACKET ring, filtered in the
//            kernel)
//   filter   the expression compiled for the source's link type and snap
//            length; bad expressions fail before anything is captured
//   output   -w FILE (pcap or --pcapng, rotated by -C/-G/-W, flushed per
//            packet with -U) or one printed line per packet on stdout
//   end      -c N, end of file, SIGINT/SIGTERM (files are closed cleanly),
//            or an error: then exactly one line on stderr
//
// Messages go to stderr as tcpdump words them ("reading from file ...",
// "listening on ...", the statistics lines). Returns the exit status: 0, or
// 1 after printing the error. Installs SIGINT/SIGTERM/SIGPIPE handling for
// the duration of the capture.
#pragma once

#include "capture/cli_options.h"

namespace bpfcap::capture {

int RunCapture(const CliOptions& options);

}  // namespace bpfcap::capture
