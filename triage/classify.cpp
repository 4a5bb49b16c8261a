#include "triage/classify.hpp"

#include <algorithm>
#include <cctype>

#include "config/config.hpp"
#include "triage/assess.hpp"

namespace complaintd::triage {
namespace {

// std::tolower in the "C" locale (complaintd never sets another), without a call per byte.
constexpr char c_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `lower` == lower(`text`), without making the copy.
bool equals_lowered(std::string_view lower, std::string_view text) {
  return lower.size() == text.size() &&
         std::equal(lower.begin(), lower.end(), text.begin(), [](char l, char t) { return l == c_lower(t); });
}

bool is_own(std::string_view address, const std::vector<std::string>& own) {
  // complaints+token@example.test is still us (plus-addressing, RFC 5233): compared as
  // its part before the '+' and its part from the '@', with no string made per message.
  std::string_view head = address, tail;
  if (const auto plus = address.find('+'), at = address.find('@');
      plus != std::string_view::npos && at != std::string_view::npos && plus < at) {
    head = address.substr(0, plus);
    tail = address.substr(at);
  }
  return std::any_of(own.begin(), own.end(), [&](const std::string& o) {
    const std::string_view ours = o;
    return ours.size() == head.size() + tail.size() && equals_lowered(ours.substr(0, head.size()), head) &&
           equals_lowered(ours.substr(head.size()), tail);
  });
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
