#pragma once
// What a member of staff asks for in a reply: commands in the first lines of the new
// text (above the quoted letter), one per line, any case. Pure.
//
//   respond            the text below goes to the customer as the response
//   resolve            the same, and the case is closed
//   note [text]        the text (on the line and below) is kept on the case, not sent
//   extend 10 working days: reason
//   reassign [to] Name <address>
//   category name[, name]        (also "set category …")
//   complexity high|low          (also "set complexity …")
//   learning [category]: text    (also "record learning …")
//   advocate Name <address>      (someone the customer asked to act for them)
//
// respond, resolve and note end the commands: everything after them is their text, so a
// response that starts "Note that …" is never read as a command. Without one of them the
// text is kept as a note and nothing is sent to the customer: sending a manager's
// working remark to a customer by accident is the one mistake that cannot be undone.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace complaintd::triage {

struct ManagerCommands {
  enum class Final { kNone, kRespond, kResolve, kNote };
  Final final = Final::kNone;
  std::string text;  ///< the response or the note (trimmed); with kNone, the note

  std::optional<config::Duration> extend_by;
  std::string extend_reason;
  std::optional<config::Person> reassign_to;
  std::vector<std::string> categories;  ///< as written; the caller checks them against config
  std::optional<bool> complex;
  struct Learning {
    std::string category;  ///< may be empty
    std::string text;
  };
  std::vector<Learning> learning;
  std::optional<config::Person> advocate;

  std::vector<std::string> errors;  ///< a command written wrongly: nothing may change
  std::vector<std::string> commands;  ///< the command lines understood, as written, for the confirmation

  [[nodiscard]] bool empty() const { return commands.empty(); }
};

ManagerCommands parse_manager_commands(std::string_view reply_text);

/// The instructions printed in every letter that carries a reply token.
std::string command_help();

}  // namespace complaintd::triage
