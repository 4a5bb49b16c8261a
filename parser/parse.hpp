#pragma once
#include <string_view>

#include "parser/inbound_message.hpp"

namespace complaintd::parser {

struct ParseLimits {
  std::size_t max_message_bytes = 25u * 1024u * 1024u;
  std::size_t max_depth = 32;  ///< MIME nesting; never more than 200 whatever is set here
  std::size_t max_parts = 1000;
};

/// Parses raw RFC 5322 bytes. Pure: no I/O, no clock, no logging, never throws.
InboundMessage parse(std::string_view raw, const ParseLimits& limits = {});

}  // namespace complaintd::parser
