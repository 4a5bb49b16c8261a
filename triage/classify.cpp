#include "triage/classify.hpp"

#include <algorithm>
#include <cctype>

#include "config/config.hpp"
#include "parser/machine_mail.hpp"
#include "triage/assess.hpp"

namespace complaintd::triage {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_own(const std::string& address, const std::vector<std::string>& own) {
  std::string a = lower(address);
  // complaints+token@example.test is still us (plus-addressing, RFC 5233).
  if (const auto plus = a.find('+'), at = a.find('@'); plus != std::string::npos && at != std::string::npos && plus < at)
    a.erase(plus, at - plus);
  return std::find(own.begin(), own.end(), a) != own.end();
}

}  // namespace

const char* to_string(Intent i) {
  switch (i) {
    case Intent::kNewComplaint: return "new-complaint";
    case Intent::kFollowUp: return "follow-up";
    case Intent::kMachineMail: return "machine-mail";
    case Intent::kFromOurselves: return "from-ourselves";
    case Intent::kNoSender: return "no-sender";
    case Intent::kCompliment: return "compliment";
    case Intent::kComment: return "comment";
    case Intent::kNextStage: return "next-stage";
    case Intent::kWithdrawal: return "withdrawal";
    case Intent::kManagerReply: return "manager-reply";
    case Intent::kOutOfScope: return "out-of-scope";
  }
  return "unknown";
}

std::string machine_mail_reason(const parser::InboundMessage& msg) {
  // One implementation for triage and `complaintd parse`: the parser's.
  return parser::machine_verdict(msg).reason;
}

std::optional<parser::Address> reply_address(const parser::InboundMessage& msg) {
  for (const auto& a : msg.reply_to) {
    if (config::is_plausible_address(a.address)) return a;
  }
  if (msg.from && config::is_plausible_address(msg.from->address)) return msg.from;
  return std::nullopt;
}

Triage classify(const parser::InboundMessage& msg, const TriageContext& ctx) {
  // The built-in wording, compiled once.
  static const Triager builtin{config::TriageConfig{}};
  return builtin.classify(msg, ctx);
}

bool is_own_address(const std::string& address, const std::vector<std::string>& own) { return is_own(address, own); }

}  // namespace complaintd::triage
