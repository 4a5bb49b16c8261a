#include "triage/classify.hpp"

#include <algorithm>
#include <cctype>

#include "config/config.hpp"
#include "parser/machine_mail.hpp"

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
  Triage t;
  t.reply_to = reply_address(msg);
  if (msg.from && is_own(msg.from->address, ctx.own_addresses)) {
    t.intent = Intent::kFromOurselves;
    t.reason = "From is our own address " + msg.from->address;
    return t;
  }
  if (auto why = machine_mail_reason(msg); !why.empty()) {
    t.intent = Intent::kMachineMail;
    t.reason = why;
    return t;
  }
  if (!t.reply_to) {
    t.intent = Intent::kNoSender;
    t.reason = "no usable From or Reply-To address";
    return t;
  }
  if (t.reply_to && is_own(t.reply_to->address, ctx.own_addresses)) {
    t.intent = Intent::kFromOurselves;
    t.reason = "Reply-To is our own address " + t.reply_to->address;
    return t;
  }
  if (!ctx.known_references.empty()) {
    t.intent = Intent::kFollowUp;
    t.case_reference = ctx.known_references.front();
    t.reason = "subject names case [" + ctx.known_references.front() + "]";
    return t;
  }
  t.intent = Intent::kNewComplaint;
  t.reason = "a person wrote, no known case reference in the subject";
  return t;
}

}  // namespace complaintd::triage
