#pragma once
// What kind of message this is, and why. Pure: the caller looks up which of the
// references in the subject are real cases and passes them in.

#include <optional>
#include <string>
#include <vector>

#include "parser/inbound_message.hpp"

namespace complaintd::triage {

enum class Intent {
  kNewComplaint,   ///< a person writing about something new: open a case, acknowledge
  kFollowUp,       ///< a person writing about an existing case (its [REF] in the subject)
  kMachineMail,    ///< auto-reply, bounce, list mail: stored, never answered (RFC 3834)
  kFromOurselves,  ///< our own letters coming back: stored, never answered (loop guard)
  kNoSender,       ///< nobody to answer: stored, flagged for a person
};

const char* to_string(Intent i);

struct TriageContext {
  std::vector<std::string> own_addresses;    ///< lower-case
  std::vector<std::string> known_references;  ///< references in the subject that name real cases
};

struct Triage {
  Intent intent = Intent::kNewComplaint;
  std::string reason;                        ///< which rule decided, in words
  std::optional<std::string> case_reference;  ///< for kFollowUp
  std::optional<parser::Address> reply_to;   ///< who a letter would go to
};

/// Why `msg` was written by a machine (empty when a person wrote it): the reason of
/// parser::machine_verdict, the one implementation of RFC 3834 detection.
std::string machine_mail_reason(const parser::InboundMessage& msg);

/// Where a reply to `msg` goes: the first plausible Reply-To, else From.
std::optional<parser::Address> reply_address(const parser::InboundMessage& msg);

Triage classify(const parser::InboundMessage& msg, const TriageContext& ctx);

}  // namespace complaintd::triage
