#pragma once
// Reads [roles], [procedure] and [[stage]] (docs/CONFIG.md, "The procedure"). Internal to
// config/.

#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace complaintd::config::detail {

/// "Ann Smith <ann@example.org>", "\"Smith, Ann\" <ann@example.org>" or "ann@example.org".
std::optional<Person> parse_person(std::string_view text);

void read_procedure(Reader& r, const toml::table& doc, Config& cfg);

}  // namespace complaintd::config::detail
