// libFuzzer target for parser::parse: any bytes must yield a message, never a crash, a hang,
// an exception or unbounded memory. What a staff reply is read for (its reply tokens, its
// commands, its Authentication-Results) runs on the same message, as ingest runs it. Built and run by scripts/fuzz.sh (fuzz/CMakeLists.txt),
// seeded with tests/fixtures/parser/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/parse.hpp"
#include "parser/text_util.hpp"
#include "triage/manager_commands.hpp"
#include "triage/reply_token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  complaintd::parser::ParseLimits limits;
  // Small limits reach the limit paths with small inputs.
  limits.max_message_bytes = 1u << 20;
  limits.max_depth = 16;
  limits.max_parts = 64;
  const auto message = complaintd::parser::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), limits);
  // parse() promises UTF-8 everywhere, LF line endings in the text, and consistent fields.
  using complaintd::parser::is_valid_utf8;
  const auto utf8 = [](const std::string& s) {
    if (!is_valid_utf8(s)) __builtin_trap();
  };
  const auto address = [&](const complaintd::parser::Address& a) {
    utf8(a.name);
    utf8(a.address);
  };
  if (message.text.find('\r') != std::string::npos) __builtin_trap();
  for (const auto* s : {&message.text, &message.reply_text, &message.subject, &message.message_id, &message.date,
                        &message.in_reply_to, &message.machine.reason, &message.needs_person_reason}) {
    utf8(*s);
  }
  if (message.from) address(*message.from);
  if (message.sender) address(*message.sender);
  for (const auto* list : {&message.to, &message.cc, &message.reply_to}) {
    for (const auto& a : *list) address(a);
  }
  for (const auto& [name, value] : message.headers) {
    utf8(name);
    utf8(value);
  }
  for (const auto& d : message.defects) utf8(d);
  for (const auto& a : message.attachments) {
    utf8(a.filename);
    utf8(a.content_id);
    utf8(a.container);
    if (a.size != a.content.size() || a.sha256.size() != 64) __builtin_trap();
  }
  for (const auto& m : message.attached_messages) {
    utf8(m.subject);
    utf8(m.text);
    if (m.depth == 0 || m.depth > limits.max_depth + 1) __builtin_trap();
  }
  if (message.machine.is_machine == message.machine.reason.empty()) __builtin_trap();

  for (const auto& t : complaintd::triage::tokens_in(message, '+', {"complaints@example.test"})) {
    if (t.case_id <= 0 || t.mac.size() != complaintd::triage::kMacLength) __builtin_trap();
  }
  (void)complaintd::triage::sender_authenticated(message, "mx.example.test", nullptr);
  const auto commands = complaintd::triage::parse_manager_commands(message.reply_text);
  utf8(commands.text);
  using Final = complaintd::triage::ManagerCommands::Final;
  // Nothing goes to a customer without text to send.
  if ((commands.final == Final::kRespond || commands.final == Final::kResolve) && commands.text.empty() &&
      commands.errors.empty())
    __builtin_trap();
  return 0;
}
