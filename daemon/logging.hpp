#pragma once
// Where complaintd's log lines go: the systemd journal (with a priority per level) when
// standard error is connected to it, standard error otherwise. One key=value line per event;
// never a password, a token or a message body.

#include <string>

namespace complaintd::daemon {

/// True when stderr is the journal's stream (JOURNAL_STREAM names its device and inode, as
/// systemd.exec(5) says to check: a child whose stderr was redirected inherits the variable).
bool stderr_is_journal();

/// Sets up the default logger at `level` ("trace" … "error").
void init_logging(const std::string& level);

/// Changes the level of the running logger (on reload).
void set_log_level(const std::string& level);

}  // namespace complaintd::daemon
