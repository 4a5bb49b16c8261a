#pragma once
// A minimal JSON writer for the CLI's machine-readable output (RFC 8259 strings:
// control characters escaped, invalid UTF-8 replaced so the output always parses).

#include <string>
#include <string_view>

namespace complaintd::daemon {

std::string json_string(std::string_view s);

}  // namespace complaintd::daemon
