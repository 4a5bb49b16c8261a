#include "parser/machine_mail.hpp"

#include <string>

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

MachineVerdict machine(std::string reason) { return MachineVerdict{true, std::move(reason)}; }

std::string field(std::string_view name, std::string_view value) {
  return std::string(name) + ": " + std::string(trim(value));
}

}  // namespace

MachineVerdict machine_verdict(const InboundMessage& msg) {
  if (const auto v = to_lower_ascii(trim(msg.auto_submitted)); !v.empty() && v.rfind("no", 0) != 0) {
    return machine(field("Auto-Submitted", msg.auto_submitted));
  }
  if (const auto v = to_lower_ascii(trim(msg.precedence)); v == "bulk" || v == "junk" || v == "list") {
    return machine(field("Precedence", msg.precedence));
  }
  if (!trim(msg.list_id).empty()) return machine(field("List-Id", msg.list_id));
  for (const auto& [name, value] : msg.other_auto_headers) {
    const auto n = to_lower_ascii(name);
    const auto v = to_lower_ascii(trim(value));
    // X-Auto-Response-Suppress asks *others* not to auto-reply; Exchange sets it on its
    // own out-of-office replies, but also on ordinary meeting requests, so only the
    // values that mean "this is an automatic reply" count.
    if (n == "x-auto-response-suppress") {
      if (v.find("oof") != std::string::npos || v == "all" || v.find("autoreply") != std::string::npos) {
        return machine(field(name, value));
      }
      continue;
    }
    if (v == "no" || v == "false" || v == "0") continue;
    return machine(field(name, value));
  }
  if (to_lower_ascii(msg.content_type) == "multipart/report") {
    return machine("delivery or disposition report (multipart/report)");
  }
  if (msg.return_path && (trim(*msg.return_path) == "<>" || trim(*msg.return_path).empty())) {
    return machine("empty Return-Path (null sender)");
  }
  if (msg.from) {
    const auto a = to_lower_ascii(msg.from->address);
    const auto local = a.substr(0, a.find('@'));
    if (local == "mailer-daemon" || local == "postmaster") return machine("sender is " + msg.from->address);
  }
  return {};
}

}  // namespace complaintd::parser
