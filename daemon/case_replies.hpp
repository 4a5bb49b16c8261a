#pragma once
// Messages about an existing case: a member of staff acting by email (with the reply
// token of a letter we sent them), the customer continuing, asking for the next stage or
// withdrawing, and everybody else (kept on the case, told nothing about it). The I/O
// shell around triage/reply_token, triage/manager_commands and triage::decide; it runs
// inside the ingest transaction, so a message and what it did commit together.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store/store.hpp"
#include "parser/inbound_message.hpp"
#include "triage/assess.hpp"
#include "triage/reply_token.hpp"

namespace complaintd::daemon {

/// The key of reply tokens: [replies] secret, else a random key kept in the database's
/// meta table, made the first time one is needed.
std::string reply_secret(store::Tx& tx, const Runtime& rt);

/// The address a staff member's letter about case `c` asks them to reply to, carrying
/// their token; empty when the config has no mailbox to receive it.
std::string staff_reply_address(store::Tx& tx, const Runtime& rt, const store::CaseRow& c,
                                const std::string& recipient);

/// Tokens addressed by `msg` (in To, Cc, Delivered-To, X-Original-To).
std::vector<triage::ReplyToken> reply_tokens(const Runtime& rt, const parser::InboundMessage& msg);

struct CaseMessageOutcome {
  std::string reference;
  std::string disposition;  ///< stored on the message: "staff-commands", "rejected-reply", "follow-up", …
  std::string reason;
};

/// Acts on `msg` about the case `case_id` (from triage), or about the case its reply
/// token names. Fails only when a letter cannot be rendered.
Result<CaseMessageOutcome> handle_case_message(store::Tx& tx, const Runtime& rt, const parser::InboundMessage& msg, const triage::Assessment& a,
                                               std::optional<std::int64_t> case_id,
                                               const std::vector<triage::ReplyToken>& tokens, triage::Instant now);

}  // namespace complaintd::daemon
