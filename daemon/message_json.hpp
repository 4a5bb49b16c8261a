#pragma once
// An InboundMessage as JSON, for `complaintd parse`: everything the parser read, so a
// coordinator can see why a message was handled as it was. Attachment bytes are left
// out (size and SHA-256 identify them).

#include <string>

#include "parser/inbound_message.hpp"

namespace complaintd::daemon {

/// Pretty-printed JSON (RFC 8259), ending in a newline. Every string is valid UTF-8.
std::string message_json(const parser::InboundMessage& msg);

}  // namespace complaintd::daemon
