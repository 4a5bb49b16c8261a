#pragma once
// The configured [parser] limits as the parser takes them (config must not depend on
// parser, so the daemon translates).

#include <cstddef>

#include "config/config.hpp"
#include "parser/parse.hpp"

namespace complaintd::daemon {

inline parser::ParseLimits parse_limits(const config::ParserConfig& c) {
  parser::ParseLimits limits;
  limits.max_message_bytes = static_cast<std::size_t>(c.max_message_size);
  limits.max_depth = c.max_depth;
  limits.max_parts = c.max_parts;
  return limits;
}

}  // namespace complaintd::daemon
