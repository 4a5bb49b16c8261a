#pragma once
// Bytes in some charset → UTF-8. Mail declares charsets loosely (or not at all, or
// wrongly), so every function here succeeds: what cannot be decoded becomes U+FFFD.

#include <string>
#include <string_view>

#include "parser/defects.hpp"

namespace complaintd::parser {

/// Decodes windows-1252, the de-facto meaning of "iso-8859-1" and of undeclared 8-bit
/// mail from Western Windows clients (WHATWG Encoding Standard maps the label the same way).
std::string windows1252_to_utf8(std::string_view bytes);

/// Undeclared 8-bit bytes: kept when they are valid UTF-8 (RFC 6532 and most modern
/// clients), otherwise read as windows-1252. Sets `*guessed_1252` when the fallback was used.
/// No detection: it is for identifiers and names too short to detect from.
std::string guess_to_utf8(std::string_view bytes, bool* guessed_1252 = nullptr);

/// The charset of undeclared text, when ICU's detector is sure enough of one that is not
/// UTF-8 or windows-1252 (Shift_JIS, KOI8-R, ISO-8859-2 …); "" otherwise, and for text
/// that is valid UTF-8 without ISO-2022 escapes. The label is lower-case, ready for
/// charset_to_utf8.
std::string detect_charset(std::string_view bytes);

/// Decodes `bytes` declared as `charset` (a MIME label, any case, may be quoted or
/// carry an RFC 2231 "*lang" suffix). An empty label means "not declared". Unknown labels
/// and invalid byte sequences are reported in `defects`; `context` names the place
/// (e.g. "text/plain part") for those sentences.
std::string charset_to_utf8(std::string_view bytes, std::string_view charset, Defects& defects,
                            std::string_view context = {});

/// The canonical label we decode `charset` with, lower-case ("" when undeclared). Mostly
/// for tests and diagnostics.
std::string normalize_charset_label(std::string_view charset);

}  // namespace complaintd::parser
