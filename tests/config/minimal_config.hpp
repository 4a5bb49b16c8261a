#pragma once
// The smallest valid configuration, shared by the config tests; each test appends or
// edits what it is about.

namespace complaintd::config::testing {

inline constexpr const char* kMinimal = R"(
[service]
name = "Test Council"
database = "state/complaintd.db"

[[mailbox]]
name = "complaints"
url = "imap://127.0.0.1:10143"
username = "complaints@example.test"
password = "secret"
address = "complaints@example.test"

[smtp]
url = "smtp://127.0.0.1:10125"
from = "complaints@example.test"
)";

}  // namespace complaintd::config::testing
