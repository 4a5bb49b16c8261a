#include "triage/manager_commands.hpp"

#include <cctype>

#include "config/duration.hpp"

namespace complaintd::triage {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Splits "word rest" into the lower-cased first word (without a trailing ':') and the rest.
std::pair<std::string, std::string_view> first_word(std::string_view line) {
  std::size_t end = 0;
  while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end])) && line[end] != ':') ++end;
  std::string word = lower(line.substr(0, end));
  std::string_view rest = line.substr(end);
  if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
  return {word, trim(rest)};
}

/// "10 working days: reason", "10 working days because reason", "10 days - reason".
bool parse_extension(std::string_view rest, config::Duration& by, std::string& reason) {
  std::size_t cut = rest.size();
  std::size_t skip = 0;
  for (std::string_view sep : {":", " because ", " - ", " – ", ","}) {
    const auto at = lower(rest).find(sep);
    if (at != std::string::npos && at < cut) {
      cut = at;
      skip = sep.size();
    }
  }
  auto d = config::parse_duration(trim(rest.substr(0, cut)));
  if (!d) return false;
  by = *d;
  reason = cut < rest.size() ? std::string(trim(rest.substr(cut + skip))) : std::string();
  return true;
}

std::string rest_of_text(const std::vector<std::string_view>& lines, std::size_t from, std::string_view first = {}) {
  std::string text(first);
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (!text.empty() || !trim(lines[i]).empty()) text += (text.empty() ? "" : "\n") + std::string(lines[i]);
  }
  return std::string(trim(text));
}

}  // namespace

ManagerCommands parse_manager_commands(std::string_view reply_text) {
  ManagerCommands out;
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= reply_text.size();) {
    auto nl = reply_text.find('\n', start);
    if (nl == std::string_view::npos) nl = reply_text.size();
    auto line = reply_text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }

  std::size_t i = 0;
  for (; i < lines.size(); ++i) {
    const auto line = trim(lines[i]);
    if (line.empty()) continue;
    auto [word, rest] = first_word(line);
    if (word == "set" || word == "record") {
      // "set category …", "record learning …": the same commands with a verb in front.
      auto [second, after] = first_word(rest);
      if ((word == "set" && (second == "category" || second == "complexity")) ||
          (word == "record" && second == "learning")) {
        word = second;
        rest = after;
      }
    }
    const std::string written(line);
    if (word == "respond" || word == "resolve") {
      if (!rest.empty()) break;  // "Resolve the issue by …" is text, not the command
      out.final = word == "respond" ? ManagerCommands::Final::kRespond : ManagerCommands::Final::kResolve;
      out.commands.push_back(lower(word));
      out.text = rest_of_text(lines, i + 1);
      if (out.text.empty()) out.errors.push_back(word + ": there is no response text below the command");
      return out;
    }
    if (word == "note") {
      out.final = ManagerCommands::Final::kNote;
      out.commands.push_back("note");
      out.text = rest_of_text(lines, i + 1, rest);
      if (out.text.empty()) out.errors.push_back("note: there is no text to keep");
      return out;
    }
    if (word == "extend") {
      config::Duration by;
      std::string reason;
      if (!parse_extension(rest, by, reason)) {
        out.errors.push_back("extend: \"" + std::string(rest) +
                             "\" is not a duration and reason, like \"extend 10 working days: waiting for the "
                             "contractor's report\"");
      } else {
        out.extend_by = by;
        out.extend_reason = reason;
      }
    } else if (word == "reassign") {
      auto target = rest;
      if (auto [w, after] = first_word(target); w == "to") target = after;
      if (auto p = config::parse_person(target)) {
        out.reassign_to = *p;
      } else {
        out.errors.push_back("reassign: \"" + std::string(target) + "\" is not an address, like \"reassign to Ann "
                             "Smith <ann.smith@example.org>\"");
      }
    } else if (word == "category" || word == "categories") {
      std::size_t start = 0;
      const std::string list(rest);
      while (start <= list.size()) {
        auto comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (auto c = trim(std::string_view(list).substr(start, comma - start)); !c.empty())
          out.categories.emplace_back(c);
        start = comma + 1;
      }
      if (out.categories.empty()) out.errors.push_back("category: name at least one category");
    } else if (word == "complexity") {
      const auto v = lower(rest);
      if (v == "high" || v == "complex") out.complex = true;
      else if (v == "low" || v == "simple") out.complex = false;
      else out.errors.push_back("complexity: \"" + std::string(rest) + "\" is neither high nor low");
    } else if (word == "learning") {
      ManagerCommands::Learning l;
      const auto colon = rest.find(':');
      if (colon != std::string_view::npos) {
        l.category = std::string(trim(rest.substr(0, colon)));
        l.text = std::string(trim(rest.substr(colon + 1)));
      } else {
        l.text = std::string(rest);
      }
      if (l.text.empty()) out.errors.push_back("learning: say what was learnt, like \"learning service delivery: "
                                               "crews now photograph missed bins\"");
      else out.learning.push_back(std::move(l));
    } else if (word == "advocate") {
      if (auto p = config::parse_person(rest)) out.advocate = *p;
      else out.errors.push_back("advocate: \"" + std::string(rest) + "\" is not an address");
    } else {
      break;  // the first line that is no command starts the text
    }
    out.commands.push_back(written);
  }
  out.text = rest_of_text(lines, i);
  return out;
}

std::string command_help() {
  return "To act on this case, reply to this email (your reply address is your authority: do not\n"
         "forward it). Put commands on the first lines of your reply, one per line:\n"
         "\n"
         "  respond            the text below it is sent to the customer as your response\n"
         "  resolve            the same, and the case is closed\n"
         "  note               the text below it is kept on the case; nothing is sent\n"
         "  extend 10 working days: the reason\n"
         "  reassign to Name <address>\n"
         "  category service delivery\n"
         "  complexity high    (or low)\n"
         "  learning service delivery: what will change\n"
         "\n"
         "A reply without respond or resolve is kept as a note and nothing goes to the\n"
         "customer. You will get a confirmation of what changed, or why nothing did.\n";
}

}  // namespace complaintd::triage
