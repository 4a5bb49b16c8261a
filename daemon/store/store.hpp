#pragma once
// complaintd's durable state in SQLite (WAL): raw messages, cases, events, deadlines
// and the outbox. Every change to a case happens in one transaction together with the
// raw message that caused it and the letters it queues, so a crash at any instant
// leaves either all of it or none of it (docs/ARCHITECTURE.md, "nothing lost").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "daemon/store/sqlite.hpp"

namespace complaintd::store {

struct MailboxState {
  std::uint32_t uidvalidity = 0;
  std::uint32_t last_uid = 0;
};

struct MessageLocation {
  std::string mailbox;  ///< "" for messages delivered by `complaintd ingest`
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
};

struct NewMessage {
  MessageLocation location;
  std::string message_id;
  std::string from_address;
  std::string subject;
  std::string received_at;  ///< ISO 8601 UTC
  std::string raw;
};

struct NewCase {
  std::string kind = "complaint";
  std::string stage;
  std::string customer_address;
  std::string customer_name;
  std::string subject;
  std::string received_at;
  std::string acknowledge_by;
  std::string respond_by;       ///< the deadline instant, ISO 8601 UTC
  std::string respond_by_date;  ///< the local date people are told
  std::int64_t message_row = 0;
};

struct OutboxRow {
  std::int64_t id = 0;
  std::optional<std::int64_t> case_id;
  std::string kind;
  std::string message_id;
  std::string mail_from;
  std::string rcpt;
  std::string raw;
  std::string status;
  int attempts = 0;
  std::string next_attempt_at;
  std::string last_error;
  std::string created_at;
  std::string sent_at;
};

struct CaseRow {
  std::int64_t id = 0;
  std::string reference, kind, state, stage, customer_address, customer_name, subject, received_at, respond_by,
      respond_by_date, created_at;
  int stage_index = 0;
  bool complex = false;
  bool serious = false;
  std::string handler_name, handler_address;
  std::string past_handlers;  ///< earlier stages' handler addresses, one per line
  std::string stage_opened_at, stage_due, stage_due_date, expected_by_date, responded_at, closed_at;
  std::string summary;            ///< the start of the customer's first message, for letters to staff
  std::string origin_message_id;  ///< the Message-ID of the message that opened the case
  // Triage's decisions (schema 4): names one per line, the department and complainant type.
  std::string categories, flags, department, complainant_type;
  std::string advocate_address;  ///< someone acting for the customer (schema 5); may write about the case
};

/// Changes to a case; unset fields stay as they are.
struct CaseUpdate {
  std::optional<std::string> state, stage_name;
  std::optional<int> stage_index;
  std::optional<bool> complex, serious;
  std::optional<std::string> handler_name, handler_address, past_handlers, stage_opened_at, stage_due,
      stage_due_date, respond_by, respond_by_date, expected_by_date, responded_at, closed_at, summary;
  std::optional<std::string> acknowledge_by;
  std::optional<std::string> categories, flags, department, complainant_type, advocate_address;

  [[nodiscard]] bool empty() const {
    return !state && !stage_name && !stage_index && !complex && !serious && !handler_name && !handler_address &&
           !past_handlers && !stage_opened_at && !stage_due && !stage_due_date && !respond_by && !respond_by_date &&
           !expected_by_date && !responded_at && !closed_at && !summary && !categories && !flags && !department &&
           !complainant_type && !advocate_address && !acknowledge_by;
  }
};

/// One stage a complaint reached (schema 8), for the report's per-stage figures.
struct StageRow {
  int stage_index = 0;
  std::string stage;
  std::string opened_at;
  std::optional<std::string> acknowledge_by;        ///< unknown for stages reached before schema 8
  std::optional<std::int64_t> acknowledgement_id;   ///< its outbox row
  std::string respond_by;                           ///< as it stands, extensions included
  std::string responded_at, ended_at;               ///< '' while not
};

/// A message that could not be processed, kept whole with the reason (quarantine).
struct QuarantinedRow {
  std::int64_t id = 0;  ///< the messages row
  std::string mailbox;
  std::uint32_t uid = 0;
  std::string message_id, from_address, subject, received_at, reason, disposition;
  std::int64_t size = 0;
  std::string raw;  ///< filled by quarantined() only
};

struct DeadlineRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string kind;
  int stage_index = 0;
  int ordinal = 0;
  std::string due_at;
  std::string done_at;  ///< empty while open
  std::string outcome;  ///< "sent", "skipped", "cancelled", …
};

/// An attachment of a stored message; its bytes are in AttachmentFiles under `sha256`.
struct NewAttachment {
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;  ///< lower-case hex
  bool is_inline = false;
};

struct AttachmentRow {
  std::int64_t id = 0;
  std::int64_t message_row = 0;
  std::string filename, content_type;
  std::uint64_t size = 0;
  std::string sha256;
  bool is_inline = false;
};

struct EventRow {
  std::string at, kind, detail;
};

/// One rule that fired for a message: what it decided and the text that made it.
struct TriageRow {
  std::string decision;  ///< "intent", "category", "complexity", "flag", "routing", …
  std::string value;     ///< "new-complaint", "service_delivery", "fast_track", …
  std::string rule;
  std::string how;       ///< keyword, pattern, domain, address, mailbox, count, reference …
  std::string matched;
};

/// What a transaction can do. Obtained only inside Store::transaction().
class Tx {
 public:
  explicit Tx(Connection& c) : c_(c) {}

  /// Runs `body` under a savepoint: an error or exception from it undoes what it did and
  /// nothing else, so one message of a batch can fail without the others. A StoreError
  /// still fails the whole transaction.
  Result<void> savepoint(const std::function<Result<void>(Tx&)>& body);

  std::optional<MailboxState> mailbox_state(const std::string& mailbox);
  void set_mailbox_state(const std::string& mailbox, MailboxState state);

  /// True when this exact mailbox location was ingested before.
  bool has_location(const MessageLocation& loc);
  /// The earlier message that `m` repeats (same Message-ID, sender and subject), if any.
  std::optional<std::int64_t> find_duplicate(const NewMessage& m);
  std::int64_t insert_message(const NewMessage& m, const std::string& disposition, const std::string& reason);
  void set_message_outcome(std::int64_t row, const std::string& disposition, const std::string& reason,
                           std::optional<std::int64_t> case_id);

  /// The next gap-free sequence number of `counter_key` (a year, or 0).
  std::int64_t next_sequence(int counter_key);
  std::int64_t insert_case(const std::string& reference, const NewCase& c, const std::string& now);
  std::optional<CaseRow> find_case(const std::string& reference);
  void insert_event(std::int64_t case_id, const std::string& at, const std::string& kind, const std::string& detail);
  std::optional<CaseRow> case_by_id(std::int64_t id);
  void update_case(std::int64_t id, const CaseUpdate& update);
  /// Records the stage a case is at as it stands now (inserted when it opens, updated after).
  /// The acknowledgement, once recorded, stays: a stage has one.
  void record_stage(std::int64_t case_id, const StageRow& stage);
  /// The stage `stage_index` of the case ended at `at` (the next one opened), if it had not.
  void end_stage(std::int64_t case_id, int stage_index, const std::string& at);

  void insert_deadline(std::int64_t case_id, const std::string& kind, int stage_index, int ordinal,
                       const std::string& due_at);
  void cancel_open_deadlines(std::int64_t case_id, const std::string& now);
  /// Open deadlines due by `now`, earliest first.
  std::vector<DeadlineRow> due_deadlines(const std::string& now, int limit);
  /// True when a later deadline of the same case, kind and stage is also due by `now`.
  bool later_deadline_due(const DeadlineRow& d, const std::string& now);
  /// Marks a deadline done; false when it was done already.
  bool finish_deadline(std::int64_t id, const std::string& now, const std::string& outcome);
  /// Records an attachment of the message `message_row`. Its bytes must already be in
  /// AttachmentFiles (written before the commit, so a committed row always has its file).
  std::int64_t insert_attachment(std::int64_t message_row, const NewAttachment& a);
  /// Records why triage decided what it did about the message `message_row`.
  void insert_triage(std::int64_t message_row, std::optional<std::int64_t> case_id, const TriageRow& row);
  /// Cases opened from `address` since `since`, and messages from it (duplicates not counted).
  int count_sender_cases(const std::string& address, const std::string& since);
  int count_sender_messages(const std::string& address, const std::string& since);
  /// The case a message with one of these Message-IDs belongs to: one we sent (outbox) or
  /// one we received for a case.
  std::optional<std::string> case_for_message_ids(const std::vector<std::string>& message_ids);
  /// The meta table (key → value): e.g. the reply-token key made on first use.
  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);
  void insert_learning(std::int64_t case_id, const std::string& category, const std::string& text,
                       const std::string& at, const std::string& by);
  int count_learning(std::int64_t case_id);
  /// True when a message with this Message-ID already carried staff commands that acted.
  bool message_acted(const std::string& message_id);
  /// The attachments of the message that opened the case (what the customer sent with it).
  std::vector<AttachmentRow> case_attachments(std::int64_t case_id);
  /// The kind of letter ("referral", "staff_confirmation", …) we sent with this Message-ID.
  std::optional<std::string> outbox_kind(const std::string& message_id);
  /// Stores `m` as quarantined with `reason` and advances its mailbox past it; returns the
  /// row, or 0 when that mailbox location was stored already.
  std::int64_t quarantine(const NewMessage& m, const std::string& reason);
  /// (kind, created_at) of the letters queued to `rcpt` (any case) after `since`, oldest
  /// first, whatever became of them: what the limit on automatic answers counts.
  std::vector<std::pair<std::string, std::string>> letters_to(const std::string& rcpt, const std::string& since);
  std::int64_t insert_outbox(std::optional<std::int64_t> case_id, const std::string& kind,
                             const std::string& message_id, const std::string& mail_from, const std::string& rcpt,
                             const std::string& raw, const std::string& now);

 private:
  Connection& c_;
  // Meta values read or written in this transaction. It holds the write lock, so nobody
  // else changes them before it ends; the reply key was read for every staff letter. A
  // savepoint that rolls back forgets them all.
  std::map<std::string, std::optional<std::string>, std::less<>> meta_;
};

/// What the metrics endpoint reports from the database at each scrape.
struct Gauges {
  std::vector<std::pair<std::string, int>> open_by_stage;     ///< open or responded
  std::vector<std::pair<std::string, int>> overdue_by_stage;  ///< open and past the deadline
  int outbox_pending = 0, outbox_failed = 0;
  int quarantined = 0;
  std::string oldest_unflagged;  ///< received_at of the oldest message not yet \Seen/moved on its server
};

class Store {
 public:
  /// Opens or creates the database at `path` (":memory:" for tests) and migrates it.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  /// The database could only be opened for reading (see Connection::read_only).
  [[nodiscard]] bool read_only() const;

  /// How a commit reaches the disk. kDurable (synchronous = FULL): the commit survives a
  /// power cut once transaction() returns. kRelaxed (NORMAL): it survives a crash of the
  /// process, and a power cut only once a later durable commit or checkpoint has synced the
  /// WAL. Relaxed is only for recording what already happened outside (a letter the SMTP
  /// server accepted, a message flagged on the IMAP server), where losing the record means
  /// doing it once more, never losing anything; docs/OPERATIONS.md, "Durability".
  enum class Commit { kDurable, kRelaxed };

  /// Runs `body` in one IMMEDIATE transaction; commits when it returns ok, rolls back on
  /// an error or exception. Database failures come back as an Error naming the cause
  /// (starting "database:"); other exceptions propagate after the rollback.
  Result<void> transaction(const std::function<Result<void>(Tx&)>& body, Commit commit = Commit::kDurable);

  // Mail server bookkeeping: messages committed but not yet flagged or moved.
  Result<std::vector<std::uint32_t>> pending_server_actions(const std::string& mailbox, std::uint32_t uidvalidity);
  Result<void> mark_server_actions_done(const std::string& mailbox, std::uint32_t uidvalidity,
                                        const std::vector<std::uint32_t>& uids);

  // Outbox.
  Result<std::vector<OutboxRow>> due_outbox(const std::string& now, int limit);
  Result<void> mark_sent(std::int64_t id, const std::string& now);
  Result<void> mark_attempt_failed(std::int64_t id, const std::string& error, const std::string& next_attempt_at,
                                   bool permanent);
  Result<std::optional<std::string>> next_outbox_attempt();
  Result<std::vector<OutboxRow>> list_outbox(const std::string& status);

  // Quarantine: messages that could not be processed, kept for a person and a replay.
  /// Stores `m` as quarantined with `reason` and advances the mailbox past it, so the
  /// messages after it are not held up. Fails only when the database does.
  Result<std::int64_t> quarantine(const NewMessage& m, const std::string& reason);
  Result<std::vector<QuarantinedRow>> list_quarantine(bool include_replayed);
  Result<std::optional<QuarantinedRow>> quarantined(std::int64_t id);
  /// After a successful replay: the row says what became of it.
  Result<void> mark_replayed(std::int64_t id, const std::string& outcome);

  // Reading, for people.
  /// Cases matching every filter that is set (`complaintd cases list` options).
  struct CaseFilter {
    bool open_only = false;                 ///< open or responded (not closed, not withdrawn)
    std::optional<std::string> overdue_at;  ///< open with the response deadline before this instant
    std::optional<std::string> stage, handler, category, kind;
  };
  Result<std::vector<CaseRow>> list_cases(const CaseFilter& filter);
  Result<std::vector<CaseRow>> list_cases() { return list_cases(CaseFilter{}); }
  Result<Gauges> gauges(const std::string& now);
  /// Failed (or all pending, with `id`) letters are tried again now; the count of rows.
  Result<int> retry_outbox(std::optional<std::int64_t> id, const std::string& now);
  Result<std::optional<CaseRow>> find_case(const std::string& reference);
  Result<std::vector<EventRow>> case_events(std::int64_t case_id);
  /// Why triage decided what it did about the case's messages, in order.
  Result<std::vector<TriageRow>> case_triage(std::int64_t case_id);
  Result<std::vector<OutboxRow>> case_letters(std::int64_t case_id);
  Result<std::vector<DeadlineRow>> case_deadlines(std::int64_t case_id);
  /// The stages the case reached, first first.
  Result<std::vector<StageRow>> case_stages(std::int64_t case_id);
  /// The earliest open deadline, if any: where the scheduler's timer is armed.
  Result<std::optional<std::string>> next_deadline();
  Result<std::vector<AttachmentRow>> message_attachments(std::int64_t message_row);

  static constexpr int kSchemaVersion = 8;
  /// The SQL that brings the schema from `version - 1` to `version` (1 … kSchemaVersion).
  static const char* migration(int version);

 private:
  explicit Store(std::unique_ptr<Connection> c) : c_(std::move(c)) {}
  void migrate();
  template <typename F>
  auto guarded(const char* what, F&& f) -> Result<decltype(f())>;

  std::unique_ptr<Connection> c_;
};

}  // namespace complaintd::store
