#pragma once
// Reads [triage]: the rules that sort every message (docs/CONFIG.md, "[triage]"). Internal
// to config/.

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace complaintd::config::detail {

/// Needs [roles] read first: targets name roles.
void read_triage(Reader& r, const toml::table& doc, Config& cfg);

}  // namespace complaintd::config::detail
