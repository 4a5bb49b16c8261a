#pragma once
// Small byte-string helpers shared by the parser's files. Mail is bytes: everything
// here is ASCII-only on purpose (header names, tokens, charset labels), never locale-aware.

#include <string>
#include <string_view>

namespace complaintd::parser {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
/// Whitespace as it appears around header values and lines: SP, HTAB, CR, LF.
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string to_lower_ascii(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// CRLF and lone CR become LF: the text we hand on uses one line ending.
std::string normalize_newlines(std::string_view s);

/// A short, printable-ASCII rendering of untrusted bytes for use inside defect sentences
/// (which end up in logs): other bytes become '?', and long input is cut with "...".
std::string printable_excerpt(std::string_view s, std::size_t max_chars = 40);

/// Appends the UTF-8 encoding of `cp` (which must be a valid scalar value).
void append_utf8(std::string& out, char32_t cp);

}  // namespace complaintd::parser
