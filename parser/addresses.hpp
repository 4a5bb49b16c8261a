#pragma once
// RFC 5322 §3.4 address lists and §3.6.4 message identifiers, parsed leniently: real mail
// carries unquoted commas in names, missing brackets, comments as names and groups.

#include <string>
#include <string_view>
#include <vector>

#include "parser/defects.hpp"
#include "parser/inbound_message.hpp"

namespace complaintd::parser {

/// Parses an address-list header value (already UTF-8; see header_bytes_to_utf8). Display
/// names are RFC 2047-decoded; a comment stands in for a missing display name
/// ("alice@example.test (Alice)"); group names are dropped and their members kept
/// ("undisclosed-recipients:;" yields nothing); domains are lower-cased.
std::vector<Address> parse_address_list(std::string_view value, Defects& defects);

/// The message identifiers in a Message-ID, In-Reply-To or References value, without angle
/// brackets, in order. Text outside brackets (obsolete phrases, comments) is ignored; when
/// there are no brackets at all, words containing '@' are taken as identifiers.
std::vector<std::string> parse_msg_ids(std::string_view value);

}  // namespace complaintd::parser
