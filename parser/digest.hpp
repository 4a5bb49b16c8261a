#pragma once
// Content digests for attachments: the SHA-256 names a file in the content-addressed
// attachment directory and lets a coordinator recognise the same file sent twice.

#include <string>
#include <string_view>

namespace complaintd::parser {

/// Lower-case hex SHA-256 (FIPS 180-4) of `bytes`, 64 characters.
std::string sha256_hex(std::string_view bytes);

}  // namespace complaintd::parser
