#pragma once
// The daemon: one io_context, one poller coroutine per mailbox, one outbox sender, and
// signal handling. `run --once` is the same machinery run through one round.

#include <filesystem>
#include <memory>
#include <optional>

#include "daemon/runtime.hpp"
#include "triage/calendar.hpp"

namespace complaintd::daemon {

/// Exit codes (sysexits.h), documented in docs/OPERATIONS.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 64,     ///< a bad command line
  kExitSoftware = 70,  ///< an internal error
  kExitTempFail = 75,  ///< a server or the database failed; work is kept and retried
  kExitConfig = 78,    ///< the configuration is invalid
};

struct RunOptions {
  bool once = false;
  /// `tick --at`: run the deadlines due by this instant as if it were now, drain the
  /// outbox, and exit (no mailbox is polled).
  std::optional<triage::Instant> tick_at;
  /// The file to read again on SIGHUP (the daemon only).
  std::filesystem::path config_path;
};

/// Runs the daemon (or one round) with an already loaded runtime; returns the exit code.
int run_daemon(std::shared_ptr<const Runtime> rt, const RunOptions& options);

}  // namespace complaintd::daemon
