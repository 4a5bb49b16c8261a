#pragma once
// Header text → UTF-8: raw 8-bit bytes (RFC 6532, or legacy windows-1252) and RFC 2047
// encoded words ("=?charset?B|Q?text?=").

#include <string>
#include <string_view>

#include "parser/defects.hpp"

namespace complaintd::parser {

/// Raw header bytes → UTF-8: valid UTF-8 is kept (RFC 6532); anything else is read in
/// `fallback_charset` when given (the message's own charset: what the sender's client most
/// likely used, and what Thunderbird assumes), else as windows-1252. Reported, naming `header`.
std::string header_bytes_to_utf8(std::string_view raw, Defects& defects, std::string_view header,
                                 std::string_view fallback_charset = {});

/// Decodes the RFC 2047 encoded words in UTF-8 text. Whitespace between two adjacent encoded
/// words is dropped (RFC 2047 §6.2), and adjacent words in one charset are decoded together
/// so that a character split across two words survives. Malformed words stay as written.
/// Unlike RFC 2047 §5 we also decode words glued to other text or inside quoted strings:
/// mailers produce both, and every mainstream reader decodes them.
std::string decode_encoded_words(std::string_view text, Defects& defects);

/// Both of the above: what a person would read in an unstructured header (Subject).
std::string decode_header_text(std::string_view raw, Defects& defects, std::string_view header,
                               std::string_view fallback_charset = {});

}  // namespace complaintd::parser
