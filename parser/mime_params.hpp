#pragma once
// Content-Type and Content-Disposition values (RFC 2045 §5.1, RFC 2183) with their
// parameters, including RFC 2231 continuations and charset/language encoding.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parser/defects.hpp"

namespace complaintd::parser {

struct RawParam {
  std::string name;   ///< lower-case, including any RFC 2231 "*n" / "*" suffix
  std::string value;  ///< unquoted, quoted-pairs resolved; raw bytes
};

struct HeaderValue {
  std::string token;  ///< lower-case: "text/plain", "attachment"; empty when missing
  std::vector<RawParam> params;
};

/// Splits `value` into its leading token and its parameters. Tolerates comments
/// (RFC 2045 §5.1 allows them), unquoted values with spaces, a missing ';' before the first
/// parameter and unterminated quotes.
HeaderValue parse_header_value(std::string_view value);

/// A parameter's bytes exactly as sent (for "boundary", whose bytes must match the body).
std::optional<std::string> raw_param(const HeaderValue& v, std::string_view name);

/// A parameter's bytes, in plain form or else in RFC 2231 form ("boundary*=us-ascii''abc"),
/// without charset conversion: for boundary, charset, format and other protocol values.
std::optional<std::string> param_value(const HeaderValue& v, std::string_view name);

/// A parameter for people to read (file names): RFC 2231 "name*" and "name*0*"/"name*1"...
/// continuations are joined and decoded; plain values get 8-bit and RFC 2047 decoding
/// (not standard in parameters, but what most mailers send for file names).
std::optional<std::string> text_param(const HeaderValue& v, std::string_view name, Defects& defects);

struct MediaType {
  std::string type = "text";
  std::string subtype = "plain";
  [[nodiscard]] std::string mime() const { return type + "/" + subtype; }
};

/// Splits a Content-Type token into type and subtype; nullopt when it is not "type/subtype"
/// made of RFC 2045 tokens.
std::optional<MediaType> parse_media_type(std::string_view token);

}  // namespace complaintd::parser
