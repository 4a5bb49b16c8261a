#pragma once
// What kind of message this is, and why. Pure: the caller looks up which of the
// references in the subject are real cases and passes them in.

#include <optional>
#include <string>
#include <vector>

#include "parser/inbound_message.hpp"
#include "triage/rules.hpp"

namespace complaintd::triage {

enum class Intent {
  kNewComplaint,   ///< a person writing about something new: open a case, acknowledge
  kFollowUp,       ///< a person writing about an existing case (its [REF] in the subject)
  kMachineMail,    ///< auto-reply, bounce, list mail: stored, never answered (RFC 3834)
  kFromOurselves,  ///< our own letters coming back: stored, never answered (loop guard)
  kNoSender,       ///< nobody to answer: stored, flagged for a person
  kCompliment,     ///< praise: thanked and passed on (procedure.compliment)
  kComment,        ///< a comment or suggestion: acknowledged and passed on
  kNextStage,      ///< on an existing case, the customer asks for the next stage ("not satisfied", "appeal")
  kWithdrawal,     ///< on an existing case, the customer withdraws
  kManagerReply,   ///< on an existing case, a member of staff (an address in [roles]) writes
  kOutOfScope,     ///< a topic handled elsewhere ([[triage.out_of_scope]]): told where to go
};

const char* to_string(Intent i);

struct TriageContext {
  std::vector<std::string> own_addresses;    ///< lower-case
  std::vector<std::string> known_references;  ///< references in the subject that name real cases
  /// Cases whose messages (ours or the customer's) the In-Reply-To and References name.
  std::vector<std::string> thread_references;
  std::vector<std::string> body_references;  ///< references in the body that name real cases
  std::vector<std::string> staff_addresses;  ///< lower-case: everyone in [roles]
};

struct Triage {
  Intent intent = Intent::kNewComplaint;
  Text reason;                               ///< which rule decided, in words
  std::optional<std::string> case_reference;  ///< the existing case (follow-up, next stage, withdrawal, manager reply)
  std::optional<parser::Address> reply_to;   ///< who a letter would go to
  std::vector<Fired> because;                ///< the rules that fired and the text they matched
};

/// Where a reply to `msg` goes: the first plausible Reply-To, else From.
std::optional<parser::Address> reply_address(const parser::InboundMessage& msg);

/// The intent of `msg` with the built-in wording (triage::Triager::assess runs the
/// config's rules and everything else). Machine mail is what the parser judged it to be
/// (`msg.machine`, set by parser::parse): a message made by hand must set it too.
Triage classify(const parser::InboundMessage& msg, const TriageContext& ctx);

/// Whether `address` is one of `own` (plus-addressing included).
bool is_own_address(const std::string& address, const std::vector<std::string>& own);

}  // namespace complaintd::triage
