#include "daemon/case_actions.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdio>
#include <random>
#include <sstream>

#include "daemon/case_replies.hpp"
#include "daemon/store/attachment_files.hpp"
#include "outbound/letter.hpp"
#include "triage/answer_limit.hpp"
#include "triage/manager_commands.hpp"

namespace complaintd::daemon {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

triage::Due due_of(const std::string& at, const std::string& date, const triage::Zone& zone) {
  triage::Due d;
  if (auto t = triage::parse_iso_instant(at)) {
    d.at = *t;
    d.date = zone.local_date(*t - std::chrono::seconds(1));
  }
  if (auto t = triage::parse_iso_instant(date)) d.date = std::chrono::floor<std::chrono::days>(*t);
  return d;
}

triage::Instant instant_or(const std::string& text, triage::Instant fallback) {
  auto t = triage::parse_iso_instant(text);
  return t ? *t : fallback;
}

std::string one_line(const std::string& list) {
  std::string s;
  for (const auto& item : lines(list)) s += (s.empty() ? "" : ", ") + item;
  return s;
}

/// The categories stored on a case (names, one per line) as people read them.
std::string labels(const Runtime& rt, const std::string& names) {
  std::string s;
  for (const auto& name : lines(names)) {
    std::string label = name;
    for (const auto& c : rt.triager->rules().categories)
      if (c.name == name && !c.label.empty()) label = c.label;
    s += (s.empty() ? "" : ", ") + label;
  }
  return s;
}

/// Fields every letter may use; the plan's own fields are laid over these.
std::map<std::string, std::string> case_fields(const Runtime& rt, const store::CaseRow& c) {
  const auto received = triage::parse_iso_instant(c.received_at);
  const auto respond_by = triage::parse_iso_instant(c.respond_by_date);
  const std::string reply_address =
      rt.config.mailboxes.empty() ? rt.config.smtp.from_address : rt.config.mailboxes.front().address;
  std::map<std::string, std::string> f{
      {"reference", c.reference},
      {"service_name", rt.config.service.name},
      {"procedure_name", rt.config.procedure.name},
      // Letters greet by name; "customer" when the sender gave none.
      {"customer_name",
       c.customer_name.empty() ? std::string("customer") : outbound::sanitize_header_text(c.customer_name, 100)},
      {"customer_address", c.customer_address},
      {"subject", outbound::sanitize_header_text(c.subject, 200)},
      {"kind", c.kind},
      {"stage", c.stage},
      {"received_date", received ? triage::long_date(rt.zone.local_date(*received)) : std::string()},
      {"respond_by_date", respond_by ? triage::long_date(std::chrono::floor<std::chrono::days>(*respond_by)) : ""},
      {"handler", c.handler_name.empty() ? rt.config.smtp.from_name : c.handler_name},
      {"handler_name", c.handler_name.empty() ? c.handler_address : c.handler_name},
      {"handler_address", c.handler_address},
      {"reply_address", reply_address},
      {"summary", c.summary},
      {"categories", labels(rt, c.categories)},
      {"flags", one_line(c.flags)},
      {"department", c.department},
  };
  const auto& stage = rt.config.stages.at(static_cast<std::size_t>(
      std::clamp(c.stage_index, 0, static_cast<int>(rt.config.stages.size()) - 1)));
  f["respond_within"] = config::to_string(c.complex && stage.respond_within_complex ? *stage.respond_within_complex
                                                                                     : stage.respond_within);
  return f;
}

/// The subject line of a letter: customers see "[REF] their subject"; staff see what the
/// letter is for first, so a reminder is not mistaken for the referral.
std::string subject_for(const triage::LetterSpec& l, const store::CaseRow& c) {
  if (l.to.customer) return outbound::tagged_subject(c.reference, c.subject);
  static const std::map<std::string, std::string> kTitles{
      {"referral", "New case for you"},        {"reminder", "Reminder: response due"},
      {"escalation", "Overdue case"},          {"withdrawn", "Case withdrawn"},
      {"compliment_forward", "A compliment"},  {"comment_forward", "A comment"},
      {"flag", "Triage flag"},                 {"fast_track", "URGENT fast-track incident"},
      {"staff_confirmation", "Your reply"},    {"customer_followup", "The customer wrote again"},
  };
  const auto it = kTitles.find(l.event);
  const std::string title = it == kTitles.end() ? l.event : it->second;
  return outbound::tagged_subject(c.reference, title + ": " + c.subject);
}

/// The referral carries what the customer sent with the complaint, up to a size a mail
/// server accepts; what is left out is listed, and stays on the case.
void attach_customer_files(store::Tx& tx, const Runtime& rt, std::int64_t case_id, outbound::Letter& letter,
                           std::map<std::string, std::string>& fields) {
  constexpr std::uint64_t kMaxAttached = 10 * 1024 * 1024;
  const auto root = store::AttachmentFiles::beside(rt.config.service.database.string());
  std::uint64_t total = 0;
  std::string listed;
  for (const auto& a : tx.case_attachments(case_id)) {
    const std::string name = outbound::sanitize_header_text(a.filename.empty() ? "(no name)" : a.filename, 100);
    listed += "  " + name + " (" + a.content_type + ", " + std::to_string(a.size) + " bytes)";
    if (root.empty() || total + a.size > kMaxAttached) {
      listed += ": too large to send by email, kept on the case\n";
      continue;
    }
    auto bytes = store::AttachmentFiles(root).get(a.sha256);
    if (!bytes) {
      listed += ": could not be read, kept on the case\n";
      continue;
    }
    total += a.size;
    letter.attachments.push_back(outbound::LetterAttachment{a.filename, a.content_type, std::move(*bytes)});
    listed += "\n";
  }
  fields["attachments"] = listed;
}

/// Whether an automatic answer (`event`) to `to` may be queued now, under [auto_replies]
/// (triage/answer_limit.hpp). When it may not, the case's timeline and the log say so, once:
/// the case is open all the same, and the coordinator sees why the customer heard nothing.
bool answer_allowed(store::Tx& tx, const Runtime& rt, const store::CaseRow& c, const std::string& event,
                    const std::string& to, triage::Instant now) {
  const auto& limit = rt.config.auto_replies;
  if (limit.max_per_address <= 0 || !triage::is_automatic_answer(event)) return true;
  const auto verdict = triage::decide_answer(limit, letters_within(tx, to, triage::answer_window(limit), now), now);
  if (verdict.send) return true;
  const std::string within = config::to_string(limit.within);
  const std::string resumes = verdict.resumes_at ? triage::iso_instant(*verdict.resumes_at) : std::string("?");
  tx.insert_event(c.id, triage::iso_instant(now), "letter-withheld",
                  event + " to " + to + " not sent: " + std::to_string(verdict.in_window) +
                      " automatic letters to this address within " + within + " already (limit " +
                      std::to_string(limit.max_per_address) + ", [auto_replies]); the next may go from " + resumes);
  spdlog::warn("case={} event=letter-withheld kind={} to={} in_window={} limit={} within=\"{}\" resumes_at={}",
               c.reference, event, to, verdict.in_window, limit.max_per_address, within, resumes);
  return false;
}

}  // namespace

std::vector<triage::EarlierLetter> letters_within(store::Tx& tx, const std::string& to, std::chrono::seconds window,
                                                  triage::Instant now) {
  std::vector<triage::EarlierLetter> earlier;
  for (const auto& [kind, at] : tx.letters_to(to, triage::iso_instant(now - window)))
    if (auto t = triage::parse_iso_instant(at)) earlier.push_back({kind, *t});
  return earlier;
}

std::string new_message_id(const std::string& reference, const std::string& kind, const std::string& from_address) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char rand[17];
  std::snprintf(rand, sizeof rand, "%016llx", static_cast<unsigned long long>(rng()));
  std::string ref;
  for (char c : reference)
    ref.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-');
  const auto at = from_address.rfind('@');
  const std::string domain = at == std::string::npos ? "complaintd.invalid" : from_address.substr(at + 1);
  return ref + "." + kind + "." + rand + "@" + domain;
}

triage::Context lifecycle_context(const Runtime& rt, triage::Instant now) {
  return triage::Context{rt.config, rt.calendar, rt.zone, now, [] {
                           static thread_local std::mt19937_64 rng{std::random_device{}()};
                           return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
                         }};
}

triage::CaseFacts facts_of(const store::CaseRow& row) {
  // Dates were stored from the same zone; the local date of a deadline is stored beside it.
  static const triage::Zone utc = triage::Zone::utc();
  triage::CaseFacts f;
  f.kind = triage::case_kind_from(row.kind).value_or(triage::CaseKind::kComplaint);
  f.state = triage::case_state_from(row.state).value_or(triage::CaseState::kOpen);
  f.stage = row.stage_index;
  f.complex = row.complex;
  f.serious = row.serious;
  f.received_at = instant_or(row.received_at, triage::Instant{});
  f.stage_opened_at = instant_or(row.stage_opened_at, f.received_at);
  f.stage_due = due_of(row.stage_due.empty() ? row.respond_by : row.stage_due,
                       row.stage_due_date.empty() ? row.respond_by_date : row.stage_due_date, utc);
  f.respond_by = due_of(row.respond_by, row.respond_by_date, utc);
  if (!row.responded_at.empty()) f.responded_at = instant_or(row.responded_at, triage::Instant{});
  f.handler = config::Person{row.handler_name, row.handler_address};
  f.past_handlers = lines(row.past_handlers);
  return f;
}

namespace {

/// Renders the plan's letters into the outbox; returns the acknowledgement's row, if one
/// went. `changed`: the plan changed the case row, so letters must read it again.
Result<std::optional<std::int64_t>> queue_letters(store::Tx& tx, const Runtime& rt, const store::CaseRow& current,
                                                  const triage::Plan& plan, bool changed, triage::Instant now) {
  const std::string now_iso = triage::iso_instant(now);
  const std::int64_t case_id = current.id;
  std::optional<std::int64_t> acknowledgement_id;
  // Letters show the case as the plan left it (a reminder changes nothing: no re-read).
  std::optional<store::CaseRow> reread;
  if (changed && !(reread = tx.case_by_id(case_id))) return Error{"case #" + std::to_string(case_id) + " vanished"};
  const store::CaseRow* after = reread ? &*reread : &current;
  auto common = case_fields(rt, *after);
  for (const auto& l : plan.letters) {
    const auto tpl = rt.templates.find(l.template_name);
    if (tpl == rt.templates.end()) {
      // check-config loads every template the procedure can use, so this is a bug.
      return Error{"letter template \"" + l.template_name + "\" is not loaded"};
    }
    auto fields = common;
    for (const auto& [k, v] : l.fields) fields[k] = v;

    outbound::Letter letter;
    letter.from_name = rt.config.smtp.from_name;
    letter.from_address = rt.config.smtp.from_address;
    letter.to_name = l.to.customer ? after->customer_name : l.to.person.name;
    letter.to_address = l.to.customer ? after->customer_address : l.to.person.address;
    if (letter.to_address.empty()) {
      tx.insert_event(case_id, now_iso, "letter-skipped", l.event + ": nobody to send it to");
      continue;
    }
    // Only letters to the customer are limited: staff letters go to people we know, and
    // a loop needs a machine on the other end.
    if (l.to.customer && !answer_allowed(tx, rt, *after, l.event, letter.to_address, now)) continue;
    if (!l.to.customer) {
      // Staff answer by replying: the reply address carries their authority over the case.
      letter.reply_to_address = staff_reply_address(tx, rt, *after, letter.to_address);
      if (!letter.reply_to_address.empty()) fields["reply_instructions"] = triage::command_help();
    } else if (!rt.config.mailboxes.empty() && rt.config.mailboxes.front().address != rt.config.smtp.from_address) {
      letter.reply_to_address = rt.config.mailboxes.front().address;
    }
    if (!l.to.customer && l.event == "referral") attach_customer_files(tx, rt, case_id, letter, fields);
    auto body = tpl->second.render(fields);
    if (!body) return body.error();
    letter.subject = subject_for(l, *after);
    letter.message_id = new_message_id(after->reference, l.event, rt.config.smtp.from_address);
    if (l.to.customer && !after->origin_message_id.empty()) {
      // Threads under the customer's own message in their mail client.
      letter.in_reply_to = after->origin_message_id;
      letter.references = {after->origin_message_id};
    }
    letter.is_reply = l.to.customer;
    letter.date_unix = now.time_since_epoch().count();
    letter.body = std::move(*body);
    const auto id = tx.insert_outbox(case_id, l.event, letter.message_id, rt.config.smtp.from_address,
                                     letter.to_address, outbound::to_mime(letter), now_iso);
    if (l.to.customer && l.event == "acknowledgement") acknowledgement_id = id;
    tx.insert_event(case_id, now_iso, "letter-queued", l.event + " to " + letter.to_address);
  }
  return acknowledgement_id;
}

}  // namespace

Result<void> apply_plan(store::Tx& tx, const Runtime& rt, std::int64_t case_id, const triage::Plan& plan,
                        triage::Instant now) {
  if (plan.refused) return {};
  const auto current = tx.case_by_id(case_id);
  if (!current) return Error{"case #" + std::to_string(case_id) + " vanished"};
  return apply_plan(tx, rt, *current, plan, now);
}

Result<void> apply_plan(store::Tx& tx, const Runtime& rt, const store::CaseRow& current, const triage::Plan& plan,
                        triage::Instant now) {
  if (plan.refused) return {};
  const std::string now_iso = triage::iso_instant(now);
  const std::int64_t case_id = current.id;
  const store::CaseRow* before = &current;

  store::CaseUpdate u;
  if (plan.state) u.state = triage::to_string(*plan.state);
  // A stage moved on: the case row describes the new one, which has no response yet.
  const bool stage_moved = plan.stage && *plan.stage != before->stage_index;
  if (plan.stage) {
    u.stage_index = *plan.stage;
    u.stage_name = rt.config.stages.at(static_cast<std::size_t>(*plan.stage)).name;
    if (*plan.stage != before->stage_index || before->stage_opened_at.empty()) u.stage_opened_at = now_iso;
    if (*plan.stage == 0 && before->stage_opened_at.empty()) u.stage_opened_at = before->received_at;
  }
  if (plan.complex) u.complex = *plan.complex;
  if (plan.stage_due) {
    u.stage_due = triage::iso_instant(plan.stage_due->at);
    u.stage_due_date = triage::iso_date(plan.stage_due->date);
  }
  if (plan.respond_by) {
    u.respond_by = triage::iso_instant(plan.respond_by->at);
    u.respond_by_date = triage::iso_date(plan.respond_by->date);
  }
  if (plan.expected_by) u.expected_by_date = triage::iso_date(plan.expected_by->date);
  if (plan.handler && plan.handler->address != before->handler_address) {
    if (!before->handler_address.empty()) {
      u.past_handlers = before->past_handlers + (before->past_handlers.empty() ? "" : "\n") + before->handler_address;
    }
    u.handler_name = plan.handler->name;
    u.handler_address = plan.handler->address;
  }
  if (plan.acknowledge_by) u.acknowledge_by = triage::iso_instant(plan.acknowledge_by->at);
  if (stage_moved) u.responded_at = "";
  if (plan.responded_at) u.responded_at = triage::iso_instant(*plan.responded_at);
  if (plan.closed_at) u.closed_at = triage::iso_instant(*plan.closed_at);
  if (!u.empty()) tx.update_case(case_id, u);

  if (plan.cancel_open_deadlines) tx.cancel_open_deadlines(case_id, now_iso);
  const int stage = plan.stage.value_or(before->stage_index);
  for (const auto& d : plan.deadlines) tx.insert_deadline(case_id, d.kind, stage, d.ordinal, triage::iso_instant(d.due));
  for (const auto& [kind, detail] : plan.events) tx.insert_event(case_id, now_iso, kind, detail);

  const bool complaint = before->kind == "complaint";
  if (stage_moved && complaint) tx.end_stage(case_id, before->stage_index, now_iso);

  std::optional<std::int64_t> acknowledgement_id;
  if (!plan.letters.empty()) {
    auto queued = queue_letters(tx, rt, current, plan, !u.empty(), now);
    if (!queued) return queued.error();
    acknowledgement_id = *queued;
  }
  if (complaint && (!u.empty() || acknowledgement_id)) {
    // The report's per-stage figures: this stage as it stands after the plan.
    const auto pick = [](const std::optional<std::string>& changed, const std::string& was) {
      return changed ? *changed : was;
    };
    store::StageRow st;
    st.stage_index = stage;
    st.stage = pick(u.stage_name, before->stage);
    st.opened_at = pick(u.stage_opened_at, before->stage_opened_at);
    if (st.opened_at.empty()) st.opened_at = before->received_at;
    st.acknowledge_by = u.acknowledge_by;  // set when the stage opens, kept after
    st.acknowledgement_id = acknowledgement_id;
    st.respond_by = pick(u.respond_by, before->respond_by);
    st.responded_at = pick(u.responded_at, before->responded_at);
    st.ended_at = pick(u.closed_at, before->closed_at);
    tx.record_stage(case_id, st);
  }
  return {};
}

}  // namespace complaintd::daemon
