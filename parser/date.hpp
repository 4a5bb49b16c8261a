#pragma once
// The Date header (RFC 5322 §3.3) as an instant. Real mail uses the obsolete syntax of
// §4.3 too: two- and three-digit years, named zones (UT, GMT, EST…), no seconds, no
// weekday, comments, and the RFC 850 / asctime forms of old gateways.

#include <chrono>
#include <optional>
#include <string_view>

namespace complaintd::parser {

/// The instant `value` names, in UTC; nullopt when it is not a date or names an
/// impossible one (31 February, 25:00). A missing or unknown zone is read as UTC, as
/// RFC 5322 §4.3 says for military zones ("-0000": the local zone is unknown).
std::optional<std::chrono::sys_seconds> parse_date_utc(std::string_view value);

}  // namespace complaintd::parser
