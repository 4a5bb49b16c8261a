#pragma once
// Reads [parser]: the limits on one inbound message (docs/CONFIG.md). Internal to config/,
// except parse_byte_size, which any size written by a person may use.

#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace complaintd::config {

/// "25MB", "25 MB", "512 KiB", "1GB", "1048576" (bytes). K, M and G are binary multiples
/// (1024), as Dovecot and most mail software count them. Case-insensitive; at most 2^40.
Result<std::uint64_t> parse_byte_size(std::string_view text);

namespace detail {

void read_parser(Reader& r, const toml::table& doc, Config& cfg);

}  // namespace detail
}  // namespace complaintd::config
