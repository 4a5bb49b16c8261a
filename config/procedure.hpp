#pragma once
// Reads [roles], [procedure] and [[stage]] (docs/CONFIG.md, "The procedure"). Internal to
// config/.

#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace complaintd::config::detail {

using config::parse_person;

void read_procedure(Reader& r, const toml::table& doc, Config& cfg);

}  // namespace complaintd::config::detail
