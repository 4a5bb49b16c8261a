#include "daemon/case_replies.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "daemon/case_actions.hpp"
#include "outbound/letter.hpp"
#include "triage/answer_limit.hpp"
#include "triage/builtin_rules.hpp"
#include "triage/manager_commands.hpp"

namespace complaintd::daemon {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> own_bases(const Runtime& rt) {
  std::vector<std::string> out;
  for (const auto& m : rt.config.mailboxes) out.push_back(lower(m.address));
  return out;
}

bool holds_role(const Runtime& rt, const std::string& address) {
  for (const auto& role : rt.config.roles)
    for (const auto& p : role.people)
      if (lower(p.address) == address) return true;
  return false;
}

/// Everyone who works on cases: the roles and the routed managers.
bool is_staff(const Runtime& rt, const std::string& address) {
  if (holds_role(rt, address)) return true;
  for (const auto& r : rt.triager->rules().routes)
    if (r.manager.person && lower(r.manager.person->address) == address) return true;
  return false;
}

/// How letters address a member of staff: the name the config or the case gives them.
config::Person staff_person(const Runtime& rt, const store::CaseRow& c, const std::string& address) {
  if (address == lower(c.handler_address) && !c.handler_name.empty()) return {c.handler_name, address};
  for (const auto& role : rt.config.roles)
    for (const auto& p : role.people)
      if (lower(p.address) == address && !p.name.empty()) return {p.name, address};
  return {"", address};
}


/// Safe to show in a log line or a timeline entry: one line, bounded.
std::string shown(const std::string& s, std::size_t max = 200) { return outbound::sanitize_header_text(s, max); }

/// The configured category a staff member named (by name or label, any case).
std::optional<std::string> category_named(const Runtime& rt, const std::string& written) {
  const std::string w = lower(written);
  for (const auto& c : rt.triager->rules().categories) {
    std::string name = lower(c.name);
    std::string spaced = name;
    std::replace(spaced.begin(), spaced.end(), '_', ' ');
    if (w == name || w == spaced || w == lower(c.label)) return c.name;
  }
  return std::nullopt;
}

std::string category_list(const Runtime& rt) {
  std::string s;
  for (const auto& c : rt.triager->rules().categories) s += (s.empty() ? "" : ", ") + c.label;
  return s;
}

/// A letter to one person about the case, through the lifecycle's letter machinery.
Result<void> tell(store::Tx& tx, const Runtime& rt, const store::CaseRow& c, const std::string& event,
                  const config::Person& to, std::map<std::string, std::string> fields, triage::Instant now) {
  triage::Plan p;
  fields["to_customer"] = "";
  fields["recipient_name"] = to.name.empty() ? to.address : to.name;
  p.letters.push_back(triage::LetterSpec{event, event, triage::Recipient{false, to}, std::move(fields)});
  return apply_plan(tx, rt, c.id, p, now);
}

/// Whether `msg` replies to one of our staff confirmations.
bool answers_confirmation(store::Tx& tx, const parser::InboundMessage& msg) {
  return tx.outbox_kind(msg.in_reply_to) == std::optional<std::string>("staff_confirmation");
}

/// The staff confirmation, unless it would answer a reply to one of ours (`in_answer`) and
/// kConfirmationLimit confirmations went to that address within the hour
/// (triage/answer_limit.hpp): then the case's timeline and the log say so, and nothing is sent.
Result<void> confirm(store::Tx& tx, const Runtime& rt, const store::CaseRow& c, bool in_answer,
                     const config::Person& to, std::map<std::string, std::string> fields, triage::Instant now) {
  if (in_answer) {
    const auto& limit = triage::kConfirmationLimit;
    const auto verdict =
        triage::decide_confirmation(letters_within(tx, to.address, triage::answer_window(limit), now), now);
    if (!verdict.send) {
      const std::string resumes = verdict.resumes_at ? triage::iso_instant(*verdict.resumes_at) : std::string("?");
      tx.insert_event(c.id, triage::iso_instant(now), "letter-withheld",
                      "staff_confirmation to " + to.address + " not sent: it answers a reply to our confirmation, and " +
                          std::to_string(verdict.in_window) + " confirmations went to this address within the hour " +
                          "(an auto-responder?); the next may go from " + resumes);
      spdlog::warn("case={} event=letter-withheld kind=staff_confirmation to={} in_window={} limit={} resumes_at={}",
                   c.reference, to.address, verdict.in_window, limit.max_per_address, resumes);
      return {};
    }
  }
  return tell(tx, rt, c, "staff_confirmation", to, std::move(fields), now);
}

class StaffReply {
 public:
  StaffReply(store::Tx& tx, const Runtime& rt, const parser::InboundMessage& msg, triage::Instant now)
      : tx_(tx), rt_(rt), msg_(msg), now_(now), now_iso_(triage::iso_instant(now)),
        sender_(msg.from ? lower(msg.from->address) : std::string()) {}

  /// Checks the token, then runs the commands all together or not at all.
  Result<CaseMessageOutcome> run(const store::CaseRow& c, const triage::ReplyToken& token,
                                 const std::optional<std::string>& triaged_reference) {
    CaseMessageOutcome out{c.reference, "rejected-reply", ""};
    const auto reject = [&](const std::string& why) {
      // Logged, never answered: whoever sent it is not who the token was made for.
      tx_.insert_event(c.id, now_iso_, "reply-rejected",
                       "a reply from " + shown(sender_.empty() ? "nobody" : sender_, 120) + " did nothing: " + why);
      spdlog::warn("case={} event=reply-rejected from=\"{}\" reason=\"{}\"", c.reference, shown(sender_, 120), why);
      out.reason = why;
      return out;
    };
    if (triaged_reference && *triaged_reference != c.reference)
      return reject("its reply token is for case " + c.reference + " but it is about " + *triaged_reference);
    if (!triage::token_valid(reply_secret(tx_, rt_), token, c.id, c.reference, sender_))
      return reject("its reply token was not issued to " + (sender_.empty() ? std::string("this sender") : sender_));
    if (rt_.config.replies.require_authentication) {
      std::string why;
      if (!triage::sender_authenticated(msg_, rt_.config.replies.authserv_id, &why))
        return reject("the sender is not authenticated: " + why);
    }
    if (tx_.message_acted(msg_.message_id))
      return reject("message <" + shown(msg_.message_id, 120) + "> already acted once (a replay)");

    person_ = staff_person(rt_, c, sender_);
    // Replays are recognised by Message-ID; without one a copy would act again. Every mail
    // client writes one, so this costs a real manager nothing, and they are told.
    if (msg_.message_id.empty())
      return refused(c, {"your reply has no Message-ID header, so a second copy of it could not be told from "
                         "the first; please send it again from your usual mail program"});
    if (token.role == triage::ReplyRole::kHandler && sender_ != lower(c.handler_address)) {
      return refused(c, {"you no longer handle this case" +
                         (c.handler_address.empty() ? std::string() : ": " + c.handler_address + " does now")});
    }
    if (token.role == triage::ReplyRole::kStaff && !holds_role(rt_, sender_))
      return refused(c, {"you no longer hold a role in this procedure"});

    const auto cmds = triage::parse_manager_commands(msg_.reply_text);
    if (!cmds.errors.empty()) return refused(c, cmds.errors);
    if (cmds.empty() && cmds.text.empty()) return refused(c, {"the reply has no text above the quoted letter"});

    std::vector<std::string> problems;
    std::vector<std::string> changes;
    // All the commands or none: a problem undoes what the earlier commands did.
    auto applied = tx_.savepoint([&](store::Tx&) -> Result<void> {
      if (auto r = apply(c, cmds, problems, changes); !r) return r.error();
      if (!problems.empty()) return Error{"refused"};
      return {};
    });
    if (!problems.empty()) return refused(c, problems);
    if (!applied) return applied.error();
    const auto after = tx_.case_by_id(c.id);
    out.disposition = "staff-commands";
    out.reason = cmds.empty() ? "kept as a note" : std::to_string(cmds.commands.size()) + " command(s) applied";
    spdlog::info("case={} event=staff-reply from={} commands={}", c.reference, sender_, cmds.commands.size());
    // A plain note in answer to our own confirmation is what an auto-responder writes:
    // kept, not answered, so two machines cannot write to each other for ever.
    const bool in_answer = answers_confirmation(tx_, msg_);
    if (cmds.empty() && in_answer) return out;
    auto fields = status_fields(*after);
    fields["ok"] = "yes";
    fields["changes"] = join(changes);
    if (auto r = confirm(tx_, rt_, *after, in_answer, person_, fields, now_); !r) return r.error();
    return out;
  }

 private:
  Result<CaseMessageOutcome> refused(const store::CaseRow& c, const std::vector<std::string>& problems) {
    tx_.insert_event(c.id, now_iso_, "staff-commands-refused",
                     sender_ + ": " + shown(join(problems), 500));
    spdlog::info("case={} event=staff-commands-refused from={} problems={}", c.reference, sender_, problems.size());
    auto fields = status_fields(c);
    fields["ok"] = "";
    fields["problems"] = join(problems);
    if (auto r = confirm(tx_, rt_, c, answers_confirmation(tx_, msg_), person_, fields, now_); !r) return r.error();
    return CaseMessageOutcome{c.reference, "staff-commands-refused", join(problems)};
  }

  static std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += "- " + l + "\n";
    return s;
  }

  std::map<std::string, std::string> status_fields(const store::CaseRow& c) const {
    return {{"state", c.state},
            {"open", c.state == "open" ? "yes" : ""},
            {"learning_count", std::to_string(tx_.count_learning(c.id))}};
  }

  /// Runs a lifecycle event on the case as it is now; a refusal is a problem.
  /// The plan applied, or nothing when it was refused (the reason is in `problems`).
  Result<std::optional<triage::Plan>> decide(const store::CaseRow& c, const triage::Event& e,
                                             std::vector<std::string>& problems) {
    auto facts = facts_of(c);
    facts.learning_recorded = tx_.count_learning(c.id) > 0;
    auto plan = triage::decide(facts, e, lifecycle_context(rt_, now_));
    if (plan.refused) {
      problems.push_back(*plan.refused);
      return std::optional<triage::Plan>();
    }
    if (auto r = apply_plan(tx_, rt_, c.id, plan, now_); !r) return r.error();
    return std::optional(std::move(plan));
  }

  Result<void> apply(const store::CaseRow& original, const triage::ManagerCommands& cmds,
                     std::vector<std::string>& problems, std::vector<std::string>& changes) {
    const auto id = original.id;
    auto now_case = [&] { return *tx_.case_by_id(id); };
    const std::string by = sender_;
    if (cmds.advocate) {
      store::CaseUpdate u;
      u.advocate_address = lower(cmds.advocate->address);
      tx_.update_case(id, u);
      tx_.insert_event(id, now_iso_, "advocate", cmds.advocate->address + " acts for the customer (recorded by " + by + ")");
      changes.push_back("advocate recorded: " + cmds.advocate->address);
    }
    if (!cmds.categories.empty()) {
      std::string names;
      for (const auto& written : cmds.categories) {
        if (auto name = category_named(rt_, written)) names += (names.empty() ? "" : "\n") + *name;
        else problems.push_back("category \"" + shown(written, 80) + "\" is not one of: " + category_list(rt_));
      }
      if (problems.empty()) {
        store::CaseUpdate u;
        u.categories = names;
        tx_.update_case(id, u);
        std::string shown_names = names;
        std::replace(shown_names.begin(), shown_names.end(), '\n', ',');
        tx_.insert_event(id, now_iso_, "category", "set to " + shown_names + " by " + by);
        std::string labels;
        for (const auto& written : cmds.categories) {
          for (const auto& c : rt_.triager->rules().categories)
            if (c.name == category_named(rt_, written)) labels += (labels.empty() ? "" : ", ") + c.label;
        }
        changes.push_back("category set to " + labels);
      }
    }
    if (cmds.complex) {
      auto r = decide(now_case(), triage::SetComplexity{*cmds.complex}, problems);
      if (!r) return r.error();
      if (*r) changes.push_back(std::string("complexity set to ") + (*cmds.complex ? "high" : "low"));
    }
    if (cmds.extend_by) {
      auto r = decide(now_case(), triage::Extend{*cmds.extend_by, cmds.extend_reason}, problems);
      if (!r) return r.error();
      if (*r) changes.push_back("deadline extended by " + config::to_string(*cmds.extend_by) + "; the customer is told");
    }
    for (const auto& l : cmds.learning) {
      std::string category = l.category;
      if (!category.empty()) {
        auto name = category_named(rt_, category);
        if (!name) {
          problems.push_back("learning: category \"" + shown(category, 80) + "\" is not one of: " + category_list(rt_));
          continue;
        }
        category = *name;
      }
      tx_.insert_learning(id, category, l.text, now_iso_, by);
      tx_.insert_event(id, now_iso_, "learning", (category.empty() ? "" : category + ": ") + shown(l.text, 300));
      changes.push_back("learning recorded" + (category.empty() ? std::string() : " (" + category + ")"));
    }
    if (cmds.reassign_to) {
      auto r = decide(now_case(), triage::Reassign{*cmds.reassign_to, by}, problems);
      if (!r) return r.error();
      if (*r) changes.push_back("reassigned to " + cmds.reassign_to->address + "; they have the referral");
    }
    using Final = triage::ManagerCommands::Final;
    if (cmds.final == Final::kRespond || cmds.final == Final::kResolve) {
      const bool close = cmds.final == Final::kResolve;
      auto r = decide(now_case(), triage::Respond{close, cmds.text, by}, problems);
      if (!r) return r.error();
      if (const auto& plan = *r) {
        tx_.insert_event(id, now_iso_, "response", cmds.text);
        std::string what = "your response was sent to the customer";
        if (plan->state == triage::CaseState::kClosed) {
          what += "; the case is closed";
        } else if (plan->next_stage_until) {
          what += "; the customer may ask for the next stage until " + triage::long_date(plan->next_stage_until->date) +
                  ", and the case closes then if they do not";
        }
        changes.push_back(std::move(what));
      }
    } else if (!cmds.text.empty()) {
      tx_.insert_event(id, now_iso_, "note", by + ": " + cmds.text);
      changes.push_back(cmds.final == Final::kNote
                            ? "your note was kept on the case"
                            : "your text was kept on the case as a note; nothing was sent to the customer (start "
                              "with a line \"respond\" to send it)");
    }
    return {};
  }

  store::Tx& tx_;
  const Runtime& rt_;
  const parser::InboundMessage& msg_;
  triage::Instant now_;
  std::string now_iso_;
  std::string sender_;
  config::Person person_;
};

/// The customer (or their advocate) writes about their case.
Result<CaseMessageOutcome> customer_message(store::Tx& tx, const Runtime& rt, const store::CaseRow& c,
                                            const parser::InboundMessage& msg, const triage::Assessment& a,
                                            triage::Instant now) {
  const std::string now_iso = triage::iso_instant(now);
  const std::string sender = msg.from ? lower(msg.from->address) : std::string();
  auto facts = facts_of(c);
  facts.learning_recorded = tx.count_learning(c.id) > 0;
  const auto ctx = lifecycle_context(rt, now);
  const auto intent = a.intent.intent;
  if (intent == triage::Intent::kNextStage || intent == triage::Intent::kWithdrawal) {
    const triage::Event e = intent == triage::Intent::kNextStage ? triage::Event{triage::AskNextStage{}}
                                                                 : triage::Event{triage::Withdraw{}};
    const auto plan = triage::decide(facts, e, ctx);
    const char* what = intent == triage::Intent::kNextStage ? "next-stage-request" : "withdrawal-request";
    tx.insert_event(c.id, now_iso, what, "from " + sender + ": " + shown(msg.subject));
    if (!plan.refused) {
      if (auto r = apply_plan(tx, rt, c.id, plan, now); !r) return r.error();
      return CaseMessageOutcome{c.reference, what, std::string(a.intent.reason)};
    }
    // Not possible now (e.g. stage 1 has no response yet): the handler reads it instead.
    tx.insert_event(c.id, now_iso, std::string(what) + "-not-granted", *plan.refused);
  }
  tx.insert_event(c.id, now_iso, "customer-message", "from " + sender + ": " + shown(msg.subject));
  // The handler of a running case hears at once; once it is over, the coordinator does.
  std::optional<config::Person> to;
  if ((c.state == "open" || c.state == "responded") && !c.handler_address.empty())
    to = config::Person{c.handler_name, c.handler_address};
  else if (const auto* r = rt.config.role(rt.config.procedure.coordinator); r && !r->people.empty())
    to = r->people.front();
  if (to) {
    std::map<std::string, std::string> fields{{"message_text", msg.reply_text.empty() ? msg.text : msg.reply_text},
                                              {"message_subject", shown(msg.subject)},
                                              {"message_from", sender}};
    if (auto r = tell(tx, rt, c, "customer_followup", *to, fields, now); !r) return r.error();
  }
  return CaseMessageOutcome{c.reference, "follow-up", std::string(a.intent.reason)};
}

}  // namespace

std::string reply_secret(store::Tx& tx, const Runtime& rt) {
  if (!rt.config.replies.secret.empty()) return rt.config.replies.secret;
  if (auto s = tx.meta("reply_secret")) return *s;
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw store::StoreError("no random bytes for the reply key", 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (unsigned char b : bytes) {
    key.push_back(kHex[b >> 4]);
    key.push_back(kHex[b & 15]);
  }
  tx.set_meta("reply_secret", key);
  return key;
}

std::string staff_reply_address(store::Tx& tx, const Runtime& rt, const store::CaseRow& c,
                                const std::string& recipient) {
  if (rt.config.mailboxes.empty()) return {};
  const auto role = lower(recipient) == lower(c.handler_address) ? triage::ReplyRole::kHandler
                                                                  : triage::ReplyRole::kStaff;
  const triage::ReplyToken token{c.id, role, triage::reply_mac(reply_secret(tx, rt), c.id, c.reference, role, recipient)};
  return triage::reply_address(rt.config.mailboxes.front().address, rt.config.replies.delimiter, token);
}

std::vector<triage::ReplyToken> reply_tokens(const Runtime& rt, const parser::InboundMessage& msg) {
  return triage::tokens_in(msg, rt.config.replies.delimiter, own_bases(rt));
}

Result<CaseMessageOutcome> handle_case_message(store::Tx& tx, const Runtime& rt, const parser::InboundMessage& msg, const triage::Assessment& a,
                                               std::optional<std::int64_t> case_id,
                                               const std::vector<triage::ReplyToken>& tokens, triage::Instant now) {
  const std::string now_iso = triage::iso_instant(now);
  const std::string sender = msg.from ? lower(msg.from->address) : std::string();
  const auto triaged = case_id ? tx.case_by_id(*case_id) : std::nullopt;

  if (!tokens.empty()) {
    const auto& token = tokens.front();
    const auto c = tx.case_by_id(token.case_id);
    if (!c) {
      spdlog::warn("event=reply-rejected from=\"{}\" reason=\"its reply token names no case (#{})\"",
                   shown(sender, 120), token.case_id);
      return CaseMessageOutcome{"", "rejected-reply", "reply token names no case"};
    }
    StaffReply reply(tx, rt, msg, now);
    return reply.run(*c, token, triaged ? std::optional(triaged->reference) : std::nullopt);
  }
  if (!triaged) return CaseMessageOutcome{"", "not-answered", "no case"};
  const auto& c = *triaged;
  if (!sender.empty() && (sender == lower(c.customer_address) || sender == c.advocate_address))
    return customer_message(tx, rt, c, msg, a, now);

  if (is_staff(rt, sender) || sender == lower(c.handler_address)) {
    // Staff act only through their reply address; From alone is forged in one line.
    tx.insert_event(c.id, now_iso, "staff-message", "from " + sender + " without a reply token: kept, nothing changed");
    spdlog::info("case={} event=staff-message-without-token from={}", c.reference, sender);
    std::map<std::string, std::string> fields{
        {"ok", ""},
        {"state", c.state},
        {"open", c.state == "open" ? "yes" : ""},
        {"problems", "- it did not come through the reply address of a letter about the case, and that address "
                     "is what gives a reply its authority (anybody can write your name in From). Reply to the "
                     "referral, or to this letter.\n"}};
    if (!answers_confirmation(tx, msg)) {
      if (auto r = tell(tx, rt, c, "staff_confirmation", staff_person(rt, c, sender), fields, now); !r) return r.error();
    }
    return CaseMessageOutcome{c.reference, "staff-without-token", "a member of staff wrote without a reply token"};
  }
  // Confidentiality: somebody else writes about a case. Kept for the coordinator; they are
  // told nothing about it, not even that it exists.
  tx.insert_event(c.id, now_iso, "third-party-message",
                  "from " + (sender.empty() ? std::string("an unknown sender") : sender) + " (not the customer): " +
                      shown(msg.subject) + "; kept, nothing sent");
  spdlog::info("case={} event=third-party-message from={}", c.reference, shown(sender, 120));
  return CaseMessageOutcome{c.reference, "third-party", "not from the customer or their advocate"};
}

}  // namespace complaintd::daemon
