#include "daemon/ingest.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "daemon/case_actions.hpp"
#include "daemon/case_replies.hpp"
#include "daemon/parse_limits.hpp"
#include "daemon/store/attachment_files.hpp"
#include "daemon/triage_report.hpp"
#include "outbound/letter.hpp"
#include "parser/parse.hpp"
#include "triage/classify.hpp"
#include "triage/new_case.hpp"

namespace complaintd::daemon {
namespace {

/// The start of the complaint, for letters to staff (the whole message stays in the store).
std::string summary_of(const std::string& text) {
  constexpr std::size_t kMax = 4000;
  if (text.size() <= kMax) return text;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return text.substr(0, cut) + "\n[…]";
}

// Attachment bytes are written before the transaction, and synced (`pending`) before it
// commits, so a committed row always finds its file; a failed write fails the ingest (the
// MTA or the next poll tries again). The decoded bytes are dropped once written: a batch
// keeps its parsed messages until it commits, and they are most of a message's size.
Result<void> store_attachment_files(const Runtime& rt, parser::InboundMessage& msg, store::PendingSync& pending) {
  const auto root = store::AttachmentFiles::beside(rt.config.service.database.string());
  if (root.empty()) return {};
  const store::AttachmentFiles files(root);
  for (auto& a : msg.attachments) {
    if (auto r = files.put(a.sha256, a.content, &pending); !r) return Error{"storing attachment: " + r.error().message};
    std::string().swap(a.content);
  }
  return {};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The persistent-complainant window as a span of time. Working days are counted as
/// calendar days at 7 for 5: the flag only asks a person to look, so a day either way
/// does not matter, and the count needs no calendar walk per message.
std::chrono::seconds window_of(const config::Duration& d) {
  long long days = d.count;
  if (d.unit == config::Duration::Unit::kWorkingDays) days = (d.count * 7 + 4) / 5;
  if (d.unit == config::Duration::Unit::kHours) return std::chrono::hours(d.count);
  return std::chrono::hours(24 * days);
}

template <typename T, typename F>
std::string joined(const std::vector<T>& items, F name) {
  std::string s;
  for (const auto& i : items) s.append(s.empty() ? "" : "\n").append(name(i));
  return s;
}

void record_attachments(store::Tx& tx, std::int64_t message_row, const parser::InboundMessage& msg) {
  for (const auto& a : msg.attachments) {
    tx.insert_attachment(message_row, store::NewAttachment{a.filename, a.content_type, a.size, a.sha256, a.is_inline});
  }
}

}  // namespace

const char* to_string(IngestOutcome::Kind k) {
  switch (k) {
    case IngestOutcome::Kind::kAlreadyStored: return "already-stored";
    case IngestOutcome::Kind::kNewCase: return "new-case";
    case IngestOutcome::Kind::kFollowUp: return "follow-up";
    case IngestOutcome::Kind::kDuplicate: return "duplicate";
    case IngestOutcome::Kind::kNotAnswered: return "not-answered";
  }
  return "unknown";
}

namespace {

/// The transaction's part of ingesting `msg` (parsed from `raw`, its attachment files
/// written): everything the store records about it, in `tx`.
Result<IngestOutcome> record(store::Tx& tx, const Runtime& rt, const store::MessageLocation& location,
                             const std::string& raw, const parser::InboundMessage& msg, triage::Instant now) {
  const std::string now_iso = triage::iso_instant(now);
  IngestOutcome out;
  out.message_id = msg.message_id;
  auto result = [&]() -> Result<void> {
    const bool from_imap = !location.mailbox.empty();
    if (from_imap) {
      auto state = tx.mailbox_state(location.mailbox).value_or(store::MailboxState{location.uidvalidity, 0});
      state.uidvalidity = location.uidvalidity;
      state.last_uid = std::max(state.last_uid, location.uid);
      tx.set_mailbox_state(location.mailbox, state);
      if (tx.has_location(location)) {
        out.kind = IngestOutcome::Kind::kAlreadyStored;
        out.reason = "this mailbox UID was stored before";
        return {};
      }
    }

    store::NewMessage m{location, msg.message_id, msg.from ? msg.from->address : "", msg.subject, now_iso, raw};
    if (auto earlier = tx.find_duplicate(m)) {
      out.kind = IngestOutcome::Kind::kDuplicate;
      out.reason = "same Message-ID, sender and subject as stored message #" + std::to_string(*earlier);
      record_attachments(tx, tx.insert_message(m, "duplicate", out.reason), msg);
      return {};
    }
    const auto row = tx.insert_message(m, "pending", "");
    record_attachments(tx, row, msg);

    // What only the store knows, looked up here and passed to the pure triage.
    triage::AssessInput in;
    auto& ctx = in.ctx;
    ctx.own_addresses = rt.config.own_addresses();
    for (const auto& ref : rt.references.find_tagged(msg.subject)) {
      if (auto c = tx.find_case(ref)) ctx.known_references.push_back(c->reference);
    }
    std::vector<std::string> thread = msg.references;
    if (!msg.in_reply_to.empty()) thread.push_back(msg.in_reply_to);
    if (auto ref = tx.case_for_message_ids(thread)) ctx.thread_references.push_back(*ref);
    for (const auto& ref : rt.references.find_in_text(triage::triage_text(msg))) {
      if (auto c = tx.find_case(ref)) ctx.body_references.push_back(c->reference);
    }
    for (const auto& role : rt.config.roles)
      for (const auto& p : role.people) ctx.staff_addresses.push_back(lower(p.address));
    in.mailbox = location.mailbox;
    const std::string sender = msg.from ? msg.from->address : std::string();
    if (!sender.empty()) {
      const std::string since = triage::iso_instant(now - window_of(rt.config.triage.persistent.within));
      in.sender_cases = tx.count_sender_cases(sender, since);
      in.sender_messages = std::max(0, tx.count_sender_messages(sender, since) - 1);  // not this one
    }
    const auto a = rt.triager->assess(rt.config, msg, in);
    const auto& t = a.intent;
    out.reason = t.reason;
    const auto record = [&](std::optional<std::int64_t> case_id) {
      for (const auto& r : triage_rows(a)) tx.insert_triage(row, case_id, r);
    };

    // A reply to one of our letters to staff carries a token in its address: it is about
    // that case whatever its wording, and acts only if the token is genuine.
    const bool machine = t.intent == triage::Intent::kMachineMail || t.intent == triage::Intent::kFromOurselves ||
                         t.intent == triage::Intent::kNoSender;
    const auto tokens = machine ? std::vector<triage::ReplyToken>{} : reply_tokens(rt, msg);
    const bool about_case = t.intent == triage::Intent::kFollowUp || t.intent == triage::Intent::kNextStage ||
                            t.intent == triage::Intent::kWithdrawal || t.intent == triage::Intent::kManagerReply;
    if (!tokens.empty() || about_case) {
      std::optional<std::int64_t> triaged;
      if (t.case_reference) {
        if (auto c = tx.find_case(*t.case_reference)) triaged = c->id;
      }
      auto handled = handle_case_message(tx, rt, msg, a, triaged, tokens, now);
      if (!handled) return handled.error();
      std::optional<std::int64_t> case_id;
      if (auto c = handled->reference.empty() ? std::nullopt : tx.find_case(handled->reference)) case_id = c->id;
      tx.set_message_outcome(row, handled->disposition, handled->reason, case_id);
      if (case_id) {
        for (const auto& f : a.flags) tx.insert_event(*case_id, now_iso, "flag", std::string(f.label) + " (in a later message)");
      }
      record(case_id);
      out.kind = IngestOutcome::Kind::kFollowUp;
      out.reference = handled->reference;
      out.reason = handled->reason;
      return {};
    }

    switch (t.intent) {
      case triage::Intent::kFollowUp:
      case triage::Intent::kNextStage:
      case triage::Intent::kWithdrawal:
      case triage::Intent::kManagerReply:
        return {};  // handled above
      case triage::Intent::kNewComplaint:
      case triage::Intent::kCompliment:
      case triage::Intent::kComment:
      case triage::Intent::kOutOfScope: {
        const bool out_of_scope = t.intent == triage::Intent::kOutOfScope;
        const auto& stage = rt.config.stages.front();
        const auto plan = triage::plan_new_case(msg, t, stage, rt.calendar, rt.zone, now);
        const auto local = std::chrono::year_month_day{rt.zone.local_date(now)};
        const int year = static_cast<int>(local.year());
        const auto seq = tx.next_sequence(rt.references.counter_key(year));
        const auto reference = rt.references.format(year, static_cast<unsigned>(local.month()), seq);

        store::NewCase c;
        c.kind = out_of_scope ? "out_of_scope" : triage::to_string(a.kind);
        c.stage = plan.stage;
        c.customer_address = plan.customer_address;
        c.customer_name = plan.customer_name;
        c.subject = plan.subject;
        c.received_at = triage::iso_instant(plan.received_at);
        c.acknowledge_by = triage::iso_instant(plan.acknowledge_by.at);
        c.respond_by = triage::iso_instant(plan.respond_by.at);
        c.respond_by_date = triage::iso_date(plan.respond_by.date);
        c.message_row = row;
        const auto case_id = tx.insert_case(reference, c, now_iso);
        store::CaseUpdate decided;
        decided.summary = summary_of(msg.text);
        decided.categories = joined(a.categories, [](const triage::Decision& d) { return d.name; });
        decided.flags = joined(a.flags, [](const triage::FlagDecision& f) { return f.name; });
        if (msg.needs_person) {
          // Over a size, depth or part limit, or unreadable: the raw message is stored whole,
          // but what complaintd read of it may be incomplete, so a person must look.
          decided.flags = *decided.flags + (decided.flags->empty() ? "" : "\n") + "needs-person";
        }
        decided.department = a.routing.department;
        decided.complainant_type = a.complainant_type ? std::string(a.complainant_type->name) : std::string();
        decided.serious = a.serious;
        tx.update_case(case_id, decided);
        tx.set_message_outcome(row, out_of_scope ? "out-of-scope" : "new-case", std::string(t.reason), case_id);
        tx.insert_event(case_id, now_iso, "received",
                        std::string(out_of_scope ? "message" : triage::to_string(a.kind)) + " received from " +
                            plan.customer_address + " (message " +
                            (msg.message_id.empty() ? "without Message-ID" : "<" + msg.message_id + ">") + ")");
        for (const auto& [kind, detail] : triage::triage_events(a)) tx.insert_event(case_id, now_iso, kind, detail);
        if (msg.needs_person) {
          tx.insert_event(case_id, now_iso, "needs-person", msg.needs_person_reason);
          spdlog::warn("case={} event=needs-person reason=\"{}\"", reference, msg.needs_person_reason);
        }
        record(case_id);

        // The procedure takes it from here: stage 1, its handler, deadlines and letters;
        // and whoever must hear about a flag hears now, whatever the hour.
        triage::Plan opened;
        if (out_of_scope) {
          opened = triage::out_of_scope_plan(a, now);
        } else {
          triage::CaseFacts facts;
          facts.kind = a.kind;
          facts.complex = a.complex;
          facts.serious = a.serious;
          facts.routed_manager = a.routing.manager;
          facts.conflicted = a.conflicted;
          facts.alternate_reviewer = a.alternate_reviewer;
          facts.received_at = plan.received_at;
          facts.stage_opened_at = plan.received_at;
          opened = triage::decide(facts, triage::Open{}, lifecycle_context(rt, now));
        }
        for (auto& l : triage::flag_letters(rt.config, a)) opened.letters.push_back(std::move(l));
        if (auto applied = apply_plan(tx, rt, case_id, opened, now); !applied) return applied.error();
        out.kind = IngestOutcome::Kind::kNewCase;
        out.reference = reference;
        return {};
      }
      case triage::Intent::kMachineMail:
      case triage::Intent::kFromOurselves:
      case triage::Intent::kNoSender: {
        std::optional<std::int64_t> case_id;
        // An out-of-office reply or a bounce of one of our letters still belongs on the
        // case's timeline: a coordinator wants to know the acknowledgement bounced.
        if (!ctx.known_references.empty()) {
          const auto c = tx.find_case(ctx.known_references.front());
          case_id = c->id;
          out.reference = c->reference;
          tx.insert_event(c->id, now_iso, "automatic-message", "not answered: " + std::string(t.reason));
        }
        tx.set_message_outcome(row, triage::to_string(t.intent), std::string(t.reason), case_id);
        record(case_id);
        out.kind = IngestOutcome::Kind::kNotAnswered;
        return {};
      }
    }
    return {};
  }();
  if (!result) return result.error();
  return out;
}

/// Parsed, with its attachment files written (not yet synced), or why not.
Result<parser::InboundMessage> prepare(const Runtime& rt, const std::string& raw, store::PendingSync& pending) {
  // Outside the transaction: parsing is pure and may take a while for big messages.
  auto msg = parser::parse(raw, parse_limits(rt.config.parser));
  if (auto stored = store_attachment_files(rt, msg, pending); !stored) return stored.error();
  return msg;
}

/// record(), with a database error that this message's data causes (a constraint it breaks,
/// a value too big) turned into a failure of the message: it would fail the same way on
/// every retry, holding up the mailbox (or, by pipe, bouncing after the MTA's queue
/// lifetime), so it is quarantined like any message that cannot be processed. Errors of the
/// database's state (busy, full, read-only, I/O) propagate: those are retried.
Result<IngestOutcome> record_or_refuse(store::Tx& tx, const Runtime& rt, const store::MessageLocation& location,
                                       const std::string& raw, const parser::InboundMessage& msg,
                                       triage::Instant now) {
  try {
    return record(tx, rt, location, raw, msg, now);
  } catch (const store::StoreError& e) {
    if (!e.about_the_data()) throw;
    return Error{std::string("the database refused it: ") + e.what()};
  }
}

// A transaction holds the database's write lock, which `complaintd ingest` from the MTA
// and the CLI wait for (5 s): a batch commits at least every 8 MB of mail.
constexpr std::size_t kMaxTransactionBytes = 8 << 20;

}  // namespace

Result<IngestOutcome> ingest_message(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now) {
  store::PendingSync pending;
  auto msg = prepare(rt, raw, pending);
  if (!msg) return msg.error();
  if (auto synced = pending.sync(); !synced) return Error{"storing attachment: " + synced.error().message};
  IngestOutcome out;
  auto result = store.transaction([&](store::Tx& tx) -> Result<void> {
    auto r = record_or_refuse(tx, rt, location, raw, *msg, now);
    if (!r) return r.error();
    out = std::move(*r);
    return {};
  });
  if (!result) return result.error();
  return out;
}

BatchResult ingest_batch(store::Store& store, const Runtime& rt, const std::string& mailbox, std::uint32_t uidvalidity,
                         const std::vector<BatchMessage>& messages, triage::Instant now) {
  BatchResult result;
  std::size_t next = 0;
  while (next < messages.size()) {
    // One chunk: at least one message, at most kMaxTransactionBytes unless one is bigger.
    std::size_t end = next;
    std::size_t bytes = 0;
    while (end < messages.size() && (end == next || bytes + messages[end].raw->size() <= kMaxTransactionBytes))
      bytes += messages[end++].raw->size();

    store::PendingSync pending;
    std::vector<Result<parser::InboundMessage>> prepared;
    prepared.reserve(end - next);
    for (std::size_t i = next; i < end; ++i) {
      try {
        auto msg = parser::parse(*messages[i].raw, parse_limits(rt.config.parser));
        // An attachment file that cannot be written is the disk's fault (full, read-only),
        // not the message's: like a database failure it fails the batch, which stays unseen
        // on the server for the next poll, instead of quarantining mail that is fine.
        if (auto stored = store_attachment_files(rt, msg, pending); !stored) {
          result.failure = stored.error();
          return result;
        }
        prepared.emplace_back(std::move(msg));
      } catch (const std::exception& e) {
        prepared.emplace_back(Error{std::string("internal error: ") + e.what()});
      }
    }
    if (auto synced = pending.sync(); !synced) {
      result.failure = Error{"storing attachments: " + synced.error().message};
      return result;
    }

    std::vector<BatchEntry> entries(end - next);
    auto committed = store.transaction([&](store::Tx& tx) -> Result<void> {
      for (std::size_t i = next; i < end; ++i) {
        const store::MessageLocation location{mailbox, uidvalidity, messages[i].uid};
        auto& entry = entries[i - next];
        entry = BatchEntry{};
        entry.uid = messages[i].uid;
        auto& msg = prepared[i - next];
        if (msg) {
          // A savepoint per message: one that cannot be processed is undone alone and
          // quarantined below, and the rest of the batch goes on.
          auto done = tx.savepoint([&](store::Tx& inner) -> Result<void> {
            try {
              auto r = record_or_refuse(inner, rt, location, *messages[i].raw, *msg, now);
              if (!r) return r.error();
              entry.outcome = std::move(*r);
              return {};
            } catch (const store::StoreError&) {
              throw;
            } catch (const std::exception& e) {
              return Error{std::string("internal error: ") + e.what()};
            }
          });
          if (done) continue;
          entry.error = done.error().message;
        } else {
          entry.error = msg.error().message;
        }
        // The headers as far as the parser read them, for the list; the raw bytes are
        // what count.
        store::NewMessage m{location, "", "", "", triage::iso_instant(now), *messages[i].raw};
        if (msg) {
          m.message_id = msg->message_id;
          m.from_address = msg->from ? msg->from->address : "";
          m.subject = msg->subject;
        }
        entry.quarantined = tx.quarantine(m, entry.error);
        if (entry.quarantined == 0) {
          // That UID was stored after all: the message was processed before.
          entry.error.clear();
          entry.outcome.kind = IngestOutcome::Kind::kAlreadyStored;
        }
      }
      return {};
    });
    if (!committed) {
      result.failure = committed.error();
      return result;
    }
    const auto at = std::chrono::steady_clock::now();
    for (auto& e : entries) {
      e.committed_at = at;
      result.committed.push_back(std::move(e));
    }
    next = end;
  }
  return result;
}

}  // namespace complaintd::daemon
