#include "daemon/ingest.hpp"

#include <algorithm>
#include <random>

#include "daemon/parse_limits.hpp"
#include "daemon/store/attachment_files.hpp"
#include "outbound/letter.hpp"
#include "parser/parse.hpp"
#include "triage/classify.hpp"
#include "triage/new_case.hpp"

namespace complaintd::daemon {
namespace {

std::map<std::string, std::string> letter_fields(const Runtime& rt, const std::string& reference,
                                                 const triage::NewCasePlan& plan) {
  return {
      {"reference", reference},
      {"service_name", rt.config.service.name},
      // Letters greet by name; "customer" when the sender gave none.
      {"customer_name", plan.customer_name.empty() ? std::string("customer")
                                                   : outbound::sanitize_header_text(plan.customer_name, 100)},
      {"customer_address", plan.customer_address},
      {"subject", outbound::sanitize_header_text(plan.subject, 200)},
      {"stage", plan.stage},
      {"received_date", triage::long_date(rt.zone.local_date(plan.received_at))},
      {"respond_by_date", triage::long_date(plan.respond_by.date)},
      {"respond_within", config::to_string(rt.config.stages.front().respond_within)},
      {"handler", rt.config.smtp.from_name},
      {"reply_address", rt.config.mailboxes.empty() ? rt.config.smtp.from_address : rt.config.mailboxes.front().address},
  };
}

// Attachment bytes are written before the transaction, so a committed row always finds
// its file; a failed write fails the ingest (the MTA or the next poll tries again).
Result<void> store_attachment_files(const Runtime& rt, const parser::InboundMessage& msg) {
  const auto root = store::AttachmentFiles::beside(rt.config.service.database.string());
  if (root.empty()) return {};
  const store::AttachmentFiles files(root);
  for (const auto& a : msg.attachments) {
    if (auto r = files.put(a.sha256, a.content); !r) return Error{"storing attachment: " + r.error().message};
  }
  return {};
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

std::string new_message_id(const std::string& reference, const std::string& kind, const std::string& from_address) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char rand[17];
  std::snprintf(rand, sizeof rand, "%016llx", static_cast<unsigned long long>(rng()));
  std::string ref;
  for (char c : reference) ref.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-');
  const auto at = from_address.rfind('@');
  const std::string domain = at == std::string::npos ? "complaintd.invalid" : from_address.substr(at + 1);
  return ref + "." + kind + "." + rand + "@" + domain;
}

Result<IngestOutcome> ingest_message(store::Store& store, const Runtime& rt, const store::MessageLocation& location,
                                     const std::string& raw, triage::Instant now) {
  // Parse outside the transaction: it is pure and may take a while for big messages.
  const auto msg = parser::parse(raw, parse_limits(rt.config.parser));
  const std::string now_iso = triage::iso_instant(now);
  IngestOutcome out;
  out.message_id = msg.message_id;
  if (auto stored = store_attachment_files(rt, msg); !stored) return stored.error();

  auto result = store.transaction([&](store::Tx& tx) -> Result<void> {
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

    triage::TriageContext ctx;
    ctx.own_addresses = rt.config.own_addresses();
    for (const auto& ref : rt.references.find_tagged(msg.subject)) {
      if (auto c = tx.find_case(ref)) ctx.known_references.push_back(c->reference);
    }
    const auto t = triage::classify(msg, ctx);
    out.reason = t.reason;

    switch (t.intent) {
      case triage::Intent::kNewComplaint: {
        const auto& stage = rt.config.stages.front();
        const auto plan = triage::plan_new_case(msg, t, stage, rt.calendar, rt.zone, now);
        const auto local = std::chrono::year_month_day{rt.zone.local_date(now)};
        const int year = static_cast<int>(local.year());
        const auto seq = tx.next_sequence(rt.references.counter_key(year));
        const auto reference = rt.references.format(year, static_cast<unsigned>(local.month()), seq);

        store::NewCase c;
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
        tx.set_message_outcome(row, "new-case", t.reason, case_id);
        tx.insert_event(case_id, now_iso, "received",
                        "complaint received from " + plan.customer_address + " (message " +
                            (msg.message_id.empty() ? "without Message-ID" : "<" + msg.message_id + ">") + ")");
        tx.insert_deadline(case_id, "respond", c.respond_by);

        auto body = outbound::render_template("acknowledgement", rt.templates.at("acknowledgement"),
                                              letter_fields(rt, reference, plan));
        if (!body) return body.error();
        outbound::Letter letter;
        letter.from_name = rt.config.smtp.from_name;
        letter.from_address = rt.config.smtp.from_address;
        letter.to_name = plan.customer_name;
        letter.to_address = plan.customer_address;
        letter.subject = outbound::tagged_subject(reference, plan.subject);
        letter.message_id = new_message_id(reference, "ack", rt.config.smtp.from_address);
        letter.in_reply_to = msg.message_id;
        letter.references = msg.references;
        if (!msg.message_id.empty()) letter.references.push_back(msg.message_id);
        letter.date_unix = now.time_since_epoch().count();
        letter.body = std::move(*body);
        tx.insert_outbox(case_id, "acknowledgement", letter.message_id, rt.config.smtp.from_address,
                         plan.customer_address, outbound::to_mime(letter), now_iso);
        tx.insert_event(case_id, now_iso, "letter-queued",
                        "acknowledgement to " + plan.customer_address + "; response due " + c.respond_by_date);
        out.kind = IngestOutcome::Kind::kNewCase;
        out.reference = reference;
        return {};
      }
      case triage::Intent::kFollowUp: {
        const auto c = tx.find_case(*t.case_reference);
        tx.set_message_outcome(row, "follow-up", t.reason, c->id);
        tx.insert_event(c->id, now_iso, "customer-message",
                        "message from " + (msg.from ? msg.from->address : std::string("unknown sender")) + ": " +
                            outbound::sanitize_header_text(msg.subject, 200));
        out.kind = IngestOutcome::Kind::kFollowUp;
        out.reference = c->reference;
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
          tx.insert_event(c->id, now_iso, "automatic-message", "not answered: " + t.reason);
        }
        tx.set_message_outcome(row, triage::to_string(t.intent), t.reason, case_id);
        out.kind = IngestOutcome::Kind::kNotAnswered;
        return {};
      }
    }
    return {};
  });
  if (!result) return result.error();
  return out;
}

}  // namespace complaintd::daemon
