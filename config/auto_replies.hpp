#pragma once
// Reads [auto_replies]: the limit on automatic answers to one address (docs/CONFIG.md).
// Internal to config/.

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace complaintd::config::detail {

void read_auto_replies(Reader& r, const toml::table& doc, Config& cfg);

}  // namespace complaintd::config::detail
