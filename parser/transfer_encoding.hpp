#pragma once
// Content-Transfer-Encoding decoders (RFC 2045 §6) and the RFC 2047 "Q" variant.
// All of them are tolerant: they decode what they can and say whether input was malformed.

#include <string>
#include <string_view>

namespace complaintd::parser {

enum class TransferEncoding { kIdentity, kQuotedPrintable, kBase64, kUnknown };

/// Maps a Content-Transfer-Encoding value ("7bit", "Base64", ...) to a decoder.
TransferEncoding transfer_encoding_from(std::string_view value);

/// RFC 2045 §6.8. Whitespace is skipped; other characters outside the alphabet are skipped
/// and flagged; '=' ends a quantum (so concatenated encodings decode); a trailing partial
/// quantum is decoded as if padded.
std::string decode_base64(std::string_view in, bool* malformed = nullptr);

/// False when `body` cannot be base64 even with damage: most of its lines hold words
/// separated by spaces (seen from senders that label plain text as base64).
bool looks_like_base64(std::string_view body);

/// RFC 2045 §6.7: "=XX" escapes, "=" soft line breaks, trailing whitespace on a line removed
/// (rule 3). An '=' not followed by two hex digits or a line break is kept literally.
std::string decode_quoted_printable(std::string_view in, bool* malformed = nullptr);

/// RFC 2047 §4.2 "Q": like quoted-printable within one encoded word, and '_' is a space.
std::string decode_q_encoding(std::string_view in);

/// Decodes a body with the given encoding; unknown encodings are returned unchanged.
std::string decode_transfer(std::string_view in, TransferEncoding encoding, bool* malformed = nullptr);

}  // namespace complaintd::parser
