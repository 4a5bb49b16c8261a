#include "triage/classify.hpp"

#include <algorithm>
#include <cctype>

#include "config/config.hpp"

namespace complaintd::triage {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
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
  if (const auto v = lower(trim(msg.auto_submitted)); !v.empty() && v.rfind("no", 0) != 0)
    return "Auto-Submitted: " + trim(msg.auto_submitted);
  if (const auto v = lower(trim(msg.precedence)); v == "bulk" || v == "junk" || v == "list")
    return "Precedence: " + trim(msg.precedence);
  if (!trim(msg.list_id).empty()) return "List-Id: " + trim(msg.list_id);
  for (const auto& [name, value] : msg.other_auto_headers) {
    const auto n = lower(name);
    const auto v = lower(trim(value));
    // X-Auto-Response-Suppress asks *others* not to auto-reply; Exchange sets it on its
    // own out-of-office replies, but also on ordinary meeting requests, so only the
    // values that mean "this is an automatic reply" count.
    if (n == "x-auto-response-suppress") {
      if (v.find("oof") != std::string::npos || v == "all" || v.find("autoreply") != std::string::npos)
        return name + ": " + trim(value);
      continue;
    }
    if (v == "no" || v == "false" || v == "0") continue;
    return name + ": " + trim(value);
  }
  if (lower(msg.content_type) == "multipart/report") return "delivery or disposition report (multipart/report)";
  if (msg.return_path && (trim(*msg.return_path) == "<>" || trim(*msg.return_path).empty()))
    return "empty Return-Path (null sender)";
  if (msg.from) {
    const auto a = lower(msg.from->address);
    const auto local = a.substr(0, a.find('@'));
    if (local == "mailer-daemon" || local == "postmaster") return "sender is " + msg.from->address;
  }
  return {};
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
