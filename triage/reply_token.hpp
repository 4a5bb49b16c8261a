#pragma once
// Who may act on a case by email. Every letter to a member of staff carries a reply
// address with a token: complaints+<case id>-<role><mac>@example.org, where the MAC is an
// HMAC-SHA256 of the case, the role and the recipient's address under a secret only
// complaintd holds. A reply acts only when the token is genuine for the case it names
// and for the address that sends it, so a forged From, a token forwarded to somebody
// else, or one copied from another case does nothing. Pure: the secret is an argument.
//
// Why the reply address and not the subject: every mail client keeps Reply-To when
// answering, while subjects get edited, prefixed and truncated; and the token then
// never shows where a person reads it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/inbound_message.hpp"

namespace complaintd::triage {

/// The authority a token carries.
enum class ReplyRole : char {
  kHandler = 'h',  ///< the case's handler: acts while they still hold the case
  kStaff = 's',    ///< someone told about the case by role (escalation, copy, flag): acts while they hold a role
};

struct ReplyToken {
  std::int64_t case_id = 0;
  ReplyRole role = ReplyRole::kHandler;
  std::string mac;  ///< lower-case base32, kMacLength characters
  bool operator==(const ReplyToken&) const = default;
};

inline constexpr std::size_t kMacLength = 16;  ///< 80 bits

/// The MAC for (`case_id`, `reference`, `role`, `recipient`) under `secret`.
std::string reply_mac(std::string_view secret, std::int64_t case_id, std::string_view reference, ReplyRole role,
                      std::string_view recipient);

/// "<base local part><delimiter><case id>-<role><mac>@<domain>" for `base_address`.
std::string reply_address(std::string_view base_address, char delimiter, const ReplyToken& token);

/// The token in the detail part of `address` when its base is one of `own` (lower-case
/// addresses without detail), else nullopt.
std::optional<ReplyToken> token_in_address(std::string_view address, char delimiter,
                                           const std::vector<std::string>& own);

/// Every distinct token addressed by `msg`: in To and Cc, and in the envelope headers the
/// receiving server adds (Delivered-To, X-Original-To), which survive a Bcc.
std::vector<ReplyToken> tokens_in(const parser::InboundMessage& msg, char delimiter,
                                  const std::vector<std::string>& own);

/// Whether `token` is genuine for the case (`case_id`, `reference`) sent from `sender`.
/// Constant time in the MAC.
bool token_valid(std::string_view secret, const ReplyToken& token, std::int64_t case_id, std::string_view reference,
                 std::string_view sender);

/// Authentication-Results (RFC 8601) added by the trusted server `authserv_id`: does it
/// show DKIM pass for the sender's domain (or a parent of it) or SPF pass for it? Only
/// fields from that server count: anybody can write the header, the server writes its own.
/// `why` says what was found.
bool sender_authenticated(const parser::InboundMessage& msg, std::string_view authserv_id, std::string* why);

}  // namespace complaintd::triage
