#include "daemon/store/store.hpp"

#include <algorithm>
#include <array>

namespace complaintd::store {
namespace {

// Migrations, applied in order inside one transaction; migration N brings the schema to
// version N. Never edit a released one: add the next. Times are ISO 8601 UTC text
// ("2026-11-23T10:00:00Z"), which sorts.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE mailbox_state (
  mailbox     TEXT PRIMARY KEY,
  uidvalidity INTEGER NOT NULL,
  last_uid    INTEGER NOT NULL
);
CREATE TABLE cases (
  id               INTEGER PRIMARY KEY,
  reference        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  kind             TEXT NOT NULL,
  state            TEXT NOT NULL,
  stage            TEXT NOT NULL,
  customer_address TEXT NOT NULL,
  customer_name    TEXT NOT NULL,
  subject          TEXT NOT NULL,
  received_at      TEXT NOT NULL,
  acknowledge_by   TEXT NOT NULL,
  respond_by       TEXT NOT NULL,
  respond_by_date  TEXT NOT NULL,
  opened_by        INTEGER,
  created_at       TEXT NOT NULL
);
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  mailbox       TEXT NOT NULL,
  uidvalidity   INTEGER NOT NULL,
  uid           INTEGER NOT NULL,
  message_id    TEXT NOT NULL,
  from_address  TEXT NOT NULL,
  subject       TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  size          INTEGER NOT NULL,
  raw           BLOB NOT NULL,
  disposition   TEXT NOT NULL,
  reason        TEXT NOT NULL,
  case_id       INTEGER REFERENCES cases(id),
  server_action TEXT NOT NULL DEFAULT 'pending'
);
-- Pipe-delivered messages have no mailbox location (mailbox ''), so uniqueness of the
-- location applies to IMAP messages only.
CREATE UNIQUE INDEX messages_location ON messages(mailbox, uidvalidity, uid) WHERE mailbox != '';
CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id != '';
CREATE INDEX messages_pending_action ON messages(mailbox, uidvalidity) WHERE server_action = 'pending';
CREATE TABLE reference_counters (counter_key INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  at      TEXT NOT NULL,
  kind    TEXT NOT NULL,
  detail  TEXT NOT NULL
);
CREATE INDEX events_case ON events(case_id);
CREATE TABLE deadlines (
  id      INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  kind    TEXT NOT NULL,
  due_at  TEXT NOT NULL,
  done_at TEXT
);
CREATE INDEX deadlines_open ON deadlines(due_at) WHERE done_at IS NULL;
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  case_id         INTEGER REFERENCES cases(id),
  kind            TEXT NOT NULL,
  message_id      TEXT NOT NULL UNIQUE,
  mail_from       TEXT NOT NULL,
  rcpt            TEXT NOT NULL,
  raw             BLOB NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL,
  sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_case ON outbox(case_id);
)sql";

// Version 2: one row per attachment of a stored message. The bytes live in the
// content-addressed directory beside the database (AttachmentFiles), named by sha256.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE attachments (
  id           INTEGER PRIMARY KEY,
  message_row  INTEGER NOT NULL REFERENCES messages(id),
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  inline       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_message ON attachments(message_row);
CREATE INDEX attachments_sha256 ON attachments(sha256);
)sql";

// Version 3: the procedure's state on each case (stage, handler, deadlines as first set and
// as extended), and deadlines that know their stage and step.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE cases ADD COLUMN stage_index      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN complex          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN serious          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN handler_name     TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN handler_address  TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN past_handlers    TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN stage_opened_at  TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN stage_due        TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN stage_due_date   TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN expected_by_date TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN responded_at     TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN closed_at        TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN summary          TEXT NOT NULL DEFAULT '';
UPDATE cases SET stage_opened_at = received_at, stage_due = respond_by, stage_due_date = respond_by_date;
ALTER TABLE deadlines ADD COLUMN stage_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN ordinal     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN outcome     TEXT NOT NULL DEFAULT '';
CREATE INDEX deadlines_case ON deadlines(case_id) WHERE done_at IS NULL;
)sql";

// Version 4: triage's decisions on each case, why each was made (one row per rule that
// fired, for `cases show` and `explain`), and the lookups of persistent senders.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE cases ADD COLUMN categories       TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN flags            TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN department       TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN complainant_type TEXT NOT NULL DEFAULT '';
CREATE TABLE triage_decisions (
  id          INTEGER PRIMARY KEY,
  message_row INTEGER NOT NULL REFERENCES messages(id),
  case_id     INTEGER REFERENCES cases(id),
  decision    TEXT NOT NULL,
  value       TEXT NOT NULL,
  rule        TEXT NOT NULL,
  how         TEXT NOT NULL,
  matched     TEXT NOT NULL
);
CREATE INDEX triage_decisions_case ON triage_decisions(case_id);
CREATE INDEX cases_customer ON cases(customer_address COLLATE NOCASE, received_at);
CREATE INDEX messages_from ON messages(from_address COLLATE NOCASE, received_at);
)sql";

// Schema 5: staff act by email (issue 6): the advocate a case records, and learning.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE cases ADD COLUMN advocate_address TEXT NOT NULL DEFAULT '';
CREATE TABLE learning (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  category    TEXT NOT NULL,
  text        TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX learning_case ON learning(case_id);
)sql";

// Version 6: a message's raw bytes in a table of their own. In the row they came before
// the columns that change (disposition, case, server action), so every update of those
// rewrote the whole message and every read of them walked its overflow pages: three
// writes of each message's bytes, and sender lookups that read every earlier message.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE message_bodies (
  message_row INTEGER PRIMARY KEY REFERENCES messages(id),
  raw         BLOB NOT NULL
);
INSERT INTO message_bodies(message_row, raw) SELECT id, raw FROM messages;
ALTER TABLE messages DROP COLUMN raw;
)sql";

// Version 7: the letters queued to one address lately, for the limit on automatic answers
// ([auto_replies]); without it every acknowledgement read the whole outbox.
constexpr const char* kSchemaV7 = R"sql(
CREATE INDEX outbox_rcpt ON outbox(rcpt COLLATE NOCASE, created_at);
)sql";

// Version 8: each stage a complaint reached, with its own dates, so that the report counts
// an escalated case under every stage it went through, and a later stage's acknowledgement
// is judged by that stage's deadline rather than the first one's. The case row still holds
// the stage it is at now; apply_plan (daemon/case_actions) keeps this table beside it.
//
// Cases from before are rebuilt from their timelines: each "stage-opened" event starts a
// stage, the "responded" event after it is its response, the last "respond" deadline set
// for it is its deadline, and the acknowledgement queued with it is its acknowledgement.
// A later stage's acknowledgement deadline was never stored: it stays unknown (NULL), and
// the report leaves those stages out of "acknowledged on time" rather than guess.
// The case row's response time is its current stage's from now on; before, it kept an
// earlier stage's after the next one opened.
constexpr const char* kSchemaV8 = R"sql(
CREATE TABLE case_stages (
  case_id            INTEGER NOT NULL REFERENCES cases(id),
  stage_index        INTEGER NOT NULL,
  stage              TEXT NOT NULL,
  opened_at          TEXT NOT NULL,
  acknowledge_by     TEXT,
  acknowledgement_id INTEGER REFERENCES outbox(id),
  respond_by         TEXT NOT NULL,
  responded_at       TEXT NOT NULL DEFAULT '',
  ended_at           TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (case_id, stage_index)
) WITHOUT ROWID;
CREATE INDEX migration_deadlines ON deadlines(case_id, kind, stage_index);
CREATE INDEX migration_events ON events(case_id, kind);
INSERT INTO case_stages(case_id, stage_index, stage, opened_at, acknowledge_by, acknowledgement_id, respond_by,
                        responded_at, ended_at)
WITH opened AS (
  SELECT e.case_id, e.id, e.at, ROW_NUMBER() OVER w - 1 AS k,
         substr(e.detail, 1, instr(e.detail, ' opened; ') - 1) AS name,
         LEAD(e.id) OVER w AS next_id, LEAD(e.at) OVER w AS next_at
  FROM events e JOIN cases c ON c.id = e.case_id
  WHERE e.kind = 'stage-opened' AND c.kind = 'complaint' AND instr(e.detail, ' opened; ') > 1
  WINDOW w AS (PARTITION BY e.case_id ORDER BY e.id))
SELECT o.case_id, o.k, o.name,
       CASE WHEN o.k = 0 THEN c.received_at ELSE o.at END,
       CASE WHEN o.k = 0 THEN c.acknowledge_by END,
       (SELECT MIN(x.id) FROM outbox x WHERE x.case_id = o.case_id AND x.kind = 'acknowledgement'
          AND x.created_at >= o.at AND (o.next_at IS NULL OR x.created_at < o.next_at)),
       COALESCE((SELECT d.due_at FROM deadlines d WHERE d.case_id = o.case_id AND d.kind = 'respond'
                   AND d.stage_index = o.k ORDER BY d.id DESC LIMIT 1), c.respond_by),
       COALESCE((SELECT r.at FROM events r WHERE r.case_id = o.case_id AND r.kind = 'responded' AND r.id > o.id
                   AND (o.next_id IS NULL OR r.id < o.next_id) ORDER BY r.id LIMIT 1), ''),
       COALESCE(o.next_at, c.closed_at)
FROM opened o JOIN cases c ON c.id = o.case_id
WHERE o.k <= c.stage_index;
INSERT OR IGNORE INTO case_stages(case_id, stage_index, stage, opened_at, acknowledge_by, acknowledgement_id,
                                  respond_by, responded_at, ended_at)
SELECT c.id, c.stage_index, c.stage, COALESCE(NULLIF(c.stage_opened_at, ''), c.received_at),
       CASE WHEN c.stage_index = 0 THEN c.acknowledge_by END,
       (SELECT MAX(x.id) FROM outbox x WHERE x.case_id = c.id AND x.kind = 'acknowledgement'),
       c.respond_by,
       CASE WHEN c.responded_at >= COALESCE(NULLIF(c.stage_opened_at, ''), c.received_at) THEN c.responded_at
            ELSE '' END,
       c.closed_at
FROM cases c WHERE c.kind = 'complaint';
UPDATE cases SET responded_at = '' WHERE responded_at != '' AND stage_index > 0 AND responded_at < stage_opened_at;
DROP INDEX migration_deadlines;
DROP INDEX migration_events;
)sql";

constexpr std::array<const char*, Store::kSchemaVersion> kMigrations{
    kSchemaV1,
    kSchemaV2,
    kSchemaV3,
    kSchemaV4,
    kSchemaV5,
    kSchemaV6,
    kSchemaV7,
    kSchemaV8,
};

OutboxRow read_outbox(const Statement& s) {
  OutboxRow r;
  r.id = s.integer(0);
  if (!s.is_null(1)) r.case_id = s.integer(1);
  r.kind = s.text(2);
  r.message_id = s.text(3);
  r.mail_from = s.text(4);
  r.rcpt = s.text(5);
  r.raw = s.blob(6);
  r.status = s.text(7);
  r.attempts = static_cast<int>(s.integer(8));
  r.next_attempt_at = s.text(9);
  r.last_error = s.text(10);
  r.created_at = s.text(11);
  r.sent_at = s.text(12);
  return r;
}
#define OUTBOX_COLUMNS \
  "id, case_id, kind, message_id, mail_from, rcpt, raw, status, attempts, next_attempt_at, last_error, created_at, " \
  "sent_at"

/// id, message_row, filename, content_type, size, sha256, inline
AttachmentRow read_attachment(const Statement& s) {
  return AttachmentRow{s.integer(0), s.integer(1), s.text(2), s.text(3), static_cast<std::uint64_t>(s.integer(4)),
                       s.text(5), s.integer(6) != 0};
}

CaseRow read_case(const Statement& s) {
  CaseRow r;
  r.id = s.integer(0);
  r.reference = s.text(1);
  r.kind = s.text(2);
  r.state = s.text(3);
  r.stage = s.text(4);
  r.customer_address = s.text(5);
  r.customer_name = s.text(6);
  r.subject = s.text(7);
  r.received_at = s.text(8);
  r.respond_by = s.text(9);
  r.respond_by_date = s.text(10);
  r.created_at = s.text(11);
  r.stage_index = static_cast<int>(s.integer(12));
  r.complex = s.integer(13) != 0;
  r.serious = s.integer(14) != 0;
  r.handler_name = s.text(15);
  r.handler_address = s.text(16);
  r.past_handlers = s.text(17);
  r.stage_opened_at = s.text(18);
  r.stage_due = s.text(19);
  r.stage_due_date = s.text(20);
  r.expected_by_date = s.text(21);
  r.responded_at = s.text(22);
  r.closed_at = s.text(23);
  r.summary = s.text(24);
  r.origin_message_id = s.is_null(25) ? std::string() : s.text(25);
  r.categories = s.text(26);
  r.flags = s.text(27);
  r.department = s.text(28);
  r.complainant_type = s.text(29);
  r.advocate_address = s.text(30);
  return r;
}
#define CASE_COLUMNS \
  "c.id, c.reference, c.kind, c.state, c.stage, c.customer_address, c.customer_name, c.subject, c.received_at, " \
  "c.respond_by, c.respond_by_date, c.created_at, c.stage_index, c.complex, c.serious, c.handler_name, "           \
  "c.handler_address, c.past_handlers, c.stage_opened_at, c.stage_due, c.stage_due_date, c.expected_by_date, "     \
  "c.responded_at, c.closed_at, c.summary, (SELECT m.message_id FROM messages m WHERE m.id = c.opened_by), "     \
  "c.categories, c.flags, c.department, c.complainant_type, c.advocate_address"
#define CASES_FROM " FROM cases c "

DeadlineRow read_deadline(const Statement& s) {
  DeadlineRow d;
  d.id = s.integer(0);
  d.case_id = s.integer(1);
  d.kind = s.text(2);
  d.stage_index = static_cast<int>(s.integer(3));
  d.ordinal = static_cast<int>(s.integer(4));
  d.due_at = s.text(5);
  d.done_at = s.is_null(6) ? std::string() : s.text(6);
  d.outcome = s.text(7);
  return d;
}
#define DEADLINE_COLUMNS "id, case_id, kind, stage_index, ordinal, due_at, done_at, outcome"

}  // namespace

// ---- Tx ----

std::optional<MailboxState> Tx::mailbox_state(const std::string& mailbox) {
  auto s = c_.prepare("SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?");
  s.bind(1, mailbox);
  if (!s.step()) return std::nullopt;
  return MailboxState{static_cast<std::uint32_t>(s.integer(0)), static_cast<std::uint32_t>(s.integer(1))};
}

void Tx::set_mailbox_state(const std::string& mailbox, MailboxState state) {
  c_.prepare(
        "INSERT INTO mailbox_state(mailbox, uidvalidity, last_uid) VALUES(?, ?, ?) "
        "ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid")
      .bind(1, mailbox)
      .bind(2, static_cast<std::int64_t>(state.uidvalidity))
      .bind(3, static_cast<std::int64_t>(state.last_uid))
      .run();
}

bool Tx::has_location(const MessageLocation& loc) {
  auto s = c_.prepare("SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ? AND mailbox != ''");
  s.bind(1, loc.mailbox).bind(2, static_cast<std::int64_t>(loc.uidvalidity)).bind(3, static_cast<std::int64_t>(loc.uid));
  return s.step();
}

std::optional<std::int64_t> Tx::find_duplicate(const NewMessage& m) {
  if (m.message_id.empty()) return std::nullopt;
  // The same Message-ID alone is not enough: some mailers reuse IDs, and a complaint
  // must never vanish as a "duplicate" of somebody else's message. A quarantined copy was
  // never processed, so it is no original either (its replay must go through).
  auto s = c_.prepare(
      "SELECT id FROM messages WHERE message_id = ? AND from_address = ? COLLATE NOCASE AND subject = ? "
      "AND disposition NOT IN ('duplicate', 'quarantined', 'replayed') ORDER BY id LIMIT 1");
  s.bind(1, m.message_id).bind(2, m.from_address).bind(3, m.subject);
  if (!s.step()) return std::nullopt;
  return s.integer(0);
}

std::int64_t Tx::insert_message(const NewMessage& m, const std::string& disposition, const std::string& reason) {
  c_.prepare(
        "INSERT INTO messages(mailbox, uidvalidity, uid, message_id, from_address, subject, received_at, size, "
        "disposition, reason, server_action) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, m.location.mailbox)
      .bind(2, static_cast<std::int64_t>(m.location.uidvalidity))
      .bind(3, static_cast<std::int64_t>(m.location.uid))
      .bind(4, m.message_id)
      .bind(5, m.from_address)
      .bind(6, m.subject)
      .bind(7, m.received_at)
      .bind(8, static_cast<std::int64_t>(m.raw.size()))
      .bind(9, disposition)
      .bind(10, reason)
      .bind(11, std::string_view(m.location.mailbox.empty() ? "none" : "pending"))
      .run();
  const auto row = c_.last_insert_id();
  c_.prepare("INSERT INTO message_bodies(message_row, raw) VALUES(?, ?)").bind(1, row).bind_blob(2, m.raw).run();
  return row;
}

void Tx::set_message_outcome(std::int64_t row, const std::string& disposition, const std::string& reason,
                             std::optional<std::int64_t> case_id) {
  auto s = c_.prepare("UPDATE messages SET disposition = ?, reason = ?, case_id = ? WHERE id = ?");
  s.bind(1, disposition).bind(2, reason);
  if (case_id) s.bind(3, *case_id);
  else s.bind_null(3);
  s.bind(4, row).run();
}

std::int64_t Tx::next_sequence(int counter_key) {
  // Inside the caller's write transaction, so two processes can never take one number
  // and a rolled-back case gives its number back (gap-free).
  auto s = c_.prepare(
      "INSERT INTO reference_counters(counter_key, last_seq) VALUES(?, 1) "
      "ON CONFLICT(counter_key) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq");
  s.bind(1, counter_key);
  if (!s.step()) c_.fail("allocating a reference");
  const auto seq = s.integer(0);
  s.run();
  return seq;
}

std::int64_t Tx::insert_case(const std::string& reference, const NewCase& c, const std::string& now) {
  c_.prepare(
        "INSERT INTO cases(reference, kind, state, stage, customer_address, customer_name, subject, received_at, "
        "acknowledge_by, respond_by, respond_by_date, opened_by, created_at) "
        "VALUES(?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, reference)
      .bind(2, c.kind)
      .bind(3, c.stage)
      .bind(4, c.customer_address)
      .bind(5, c.customer_name)
      .bind(6, c.subject)
      .bind(7, c.received_at)
      .bind(8, c.acknowledge_by)
      .bind(9, c.respond_by)
      .bind(10, c.respond_by_date)
      .bind(11, c.message_row)
      .bind(12, now)
      .run();
  return c_.last_insert_id();
}

std::optional<CaseRow> Tx::find_case(const std::string& reference) {
  auto s = c_.prepare("SELECT " CASE_COLUMNS CASES_FROM "WHERE c.reference = ?");
  s.bind(1, reference);
  if (!s.step()) return std::nullopt;
  return read_case(s);
}

std::optional<CaseRow> Tx::case_by_id(std::int64_t id) {
  auto s = c_.prepare("SELECT " CASE_COLUMNS CASES_FROM "WHERE c.id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_case(s);
}

void Tx::update_case(std::int64_t id, const CaseUpdate& u) {
  // One fixed statement (statements are cached by their text): an unset field binds NULL
  // and keeps the column's value.
  auto s = c_.prepare(
      "UPDATE cases SET state = COALESCE(?1, state), stage = COALESCE(?2, stage), "
      "stage_index = COALESCE(?3, stage_index), complex = COALESCE(?4, complex), serious = COALESCE(?5, serious), "
      "handler_name = COALESCE(?6, handler_name), handler_address = COALESCE(?7, handler_address), "
      "past_handlers = COALESCE(?8, past_handlers), stage_opened_at = COALESCE(?9, stage_opened_at), "
      "stage_due = COALESCE(?10, stage_due), stage_due_date = COALESCE(?11, stage_due_date), "
      "respond_by = COALESCE(?12, respond_by), respond_by_date = COALESCE(?13, respond_by_date), "
      "expected_by_date = COALESCE(?14, expected_by_date), responded_at = COALESCE(?15, responded_at), "
      "closed_at = COALESCE(?16, closed_at), summary = COALESCE(?17, summary), "
      "categories = COALESCE(?19, categories), flags = COALESCE(?20, flags), "
      "department = COALESCE(?21, department), complainant_type = COALESCE(?22, complainant_type), "
      "advocate_address = COALESCE(?23, advocate_address), acknowledge_by = COALESCE(?24, acknowledge_by) "
      "WHERE id = ?18");
  auto number = [&](int i, std::optional<std::int64_t> v) {
    if (v) s.bind(i, *v);
    else s.bind_null(i);
  };
  s.bind_optional(1, u.state).bind_optional(2, u.stage_name);
  number(3, u.stage_index ? std::optional<std::int64_t>(*u.stage_index) : std::nullopt);
  number(4, u.complex ? std::optional<std::int64_t>(*u.complex ? 1 : 0) : std::nullopt);
  number(5, u.serious ? std::optional<std::int64_t>(*u.serious ? 1 : 0) : std::nullopt);
  s.bind_optional(6, u.handler_name)
      .bind_optional(7, u.handler_address)
      .bind_optional(8, u.past_handlers)
      .bind_optional(9, u.stage_opened_at)
      .bind_optional(10, u.stage_due)
      .bind_optional(11, u.stage_due_date)
      .bind_optional(12, u.respond_by)
      .bind_optional(13, u.respond_by_date)
      .bind_optional(14, u.expected_by_date)
      .bind_optional(15, u.responded_at)
      .bind_optional(16, u.closed_at)
      .bind_optional(17, u.summary)
      .bind(18, id)
      .bind_optional(19, u.categories)
      .bind_optional(20, u.flags)
      .bind_optional(21, u.department)
      .bind_optional(22, u.complainant_type)
      .bind_optional(23, u.advocate_address)
      .bind_optional(24, u.acknowledge_by)
      .run();
}

void Tx::record_stage(std::int64_t case_id, const StageRow& st) {
  auto s = c_.prepare(
      "INSERT INTO case_stages(case_id, stage_index, stage, opened_at, acknowledge_by, acknowledgement_id, "
      "respond_by, responded_at, ended_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT(case_id, stage_index) DO UPDATE SET stage = excluded.stage, opened_at = excluded.opened_at, "
      "acknowledge_by = COALESCE(excluded.acknowledge_by, acknowledge_by), "
      "acknowledgement_id = COALESCE(acknowledgement_id, excluded.acknowledgement_id), "
      "respond_by = excluded.respond_by, responded_at = excluded.responded_at, ended_at = excluded.ended_at");
  s.bind(1, case_id).bind(2, static_cast<std::int64_t>(st.stage_index)).bind(3, st.stage).bind(4, st.opened_at);
  s.bind_optional(5, st.acknowledge_by);
  if (st.acknowledgement_id) s.bind(6, *st.acknowledgement_id);
  else s.bind_null(6);
  s.bind(7, st.respond_by).bind(8, st.responded_at).bind(9, st.ended_at).run();
}

void Tx::end_stage(std::int64_t case_id, int stage_index, const std::string& at) {
  c_.prepare("UPDATE case_stages SET ended_at = ?3 WHERE case_id = ?1 AND stage_index = ?2 AND ended_at = ''")
      .bind(1, case_id)
      .bind(2, static_cast<std::int64_t>(stage_index))
      .bind(3, at)
      .run();
}

std::optional<std::string> Tx::meta(const std::string& key) {
  if (const auto known = meta_.find(key); known != meta_.end()) return known->second;
  auto s = c_.prepare("SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  std::optional<std::string> value;
  if (s.step()) value = s.text(0);
  meta_.emplace(key, value);
  return value;
}

void Tx::set_meta(const std::string& key, const std::string& value) {
  c_.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)").bind(1, key).bind(2, value).run();
  meta_.insert_or_assign(key, value);
}

void Tx::insert_learning(std::int64_t case_id, const std::string& category, const std::string& text,
                         const std::string& at, const std::string& by) {
  c_.prepare("INSERT INTO learning(case_id, category, text, recorded_at, recorded_by) VALUES(?, ?, ?, ?, ?)")
      .bind(1, case_id)
      .bind(2, category)
      .bind(3, text)
      .bind(4, at)
      .bind(5, by)
      .run();
}

int Tx::count_learning(std::int64_t case_id) {
  auto s = c_.prepare("SELECT COUNT(*) FROM learning WHERE case_id = ?");
  s.bind(1, case_id);
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

bool Tx::message_acted(const std::string& message_id) {
  if (message_id.empty()) return false;
  auto s = c_.prepare("SELECT 1 FROM messages WHERE message_id = ? AND disposition = 'staff-commands' LIMIT 1");
  s.bind(1, message_id);
  return s.step();
}

std::vector<AttachmentRow> Tx::case_attachments(std::int64_t case_id) {
  std::vector<AttachmentRow> rows;
  auto s = c_.prepare(
      "SELECT a.id, a.message_row, a.filename, a.content_type, a.size, a.sha256, a.inline FROM attachments a "
      "JOIN cases c ON c.opened_by = a.message_row WHERE c.id = ? ORDER BY a.id");
  s.bind(1, case_id);
  while (s.step()) rows.push_back(read_attachment(s));
  return rows;
}

std::optional<std::string> Tx::outbox_kind(const std::string& message_id) {
  if (message_id.empty()) return std::nullopt;
  auto s = c_.prepare("SELECT kind FROM outbox WHERE message_id = ? LIMIT 1");
  s.bind(1, message_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}


void Tx::insert_triage(std::int64_t message_row, std::optional<std::int64_t> case_id, const TriageRow& row) {
  auto s = c_.prepare(
      "INSERT INTO triage_decisions(message_row, case_id, decision, value, rule, how, matched) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, message_row);
  if (case_id) s.bind(2, *case_id);
  else s.bind_null(2);
  s.bind(3, row.decision).bind(4, row.value).bind(5, row.rule).bind(6, row.how).bind(7, row.matched).run();
}

int Tx::count_sender_cases(const std::string& address, const std::string& since) {
  auto s = c_.prepare("SELECT count(*) FROM cases WHERE customer_address = ? COLLATE NOCASE AND received_at >= ?");
  s.bind(1, address).bind(2, since);
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

int Tx::count_sender_messages(const std::string& address, const std::string& since) {
  auto s = c_.prepare(
      "SELECT count(*) FROM messages WHERE from_address = ? COLLATE NOCASE AND received_at >= ? "
      "AND disposition != 'duplicate'");
  s.bind(1, address).bind(2, since);
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

std::optional<std::string> Tx::case_for_message_ids(const std::vector<std::string>& message_ids) {
  // Newest first: a reply quotes the latest message of the thread last in References.
  for (auto it = message_ids.rbegin(); it != message_ids.rend(); ++it) {
    if (it->empty()) continue;
    auto sent = c_.prepare(
        "SELECT c.reference FROM outbox o JOIN cases c ON c.id = o.case_id WHERE o.message_id = ? LIMIT 1");
    sent.bind(1, *it);
    if (sent.step()) return sent.text(0);
    // "!= ''" lets SQLite use the partial index messages_message_id: it cannot tell that a
    // bound value is not '', and without the index this read every stored message's bytes.
    auto received = c_.prepare(
        "SELECT c.reference FROM messages m JOIN cases c ON c.id = m.case_id WHERE m.message_id = ? "
        "AND m.message_id != '' ORDER BY m.id LIMIT 1");
    received.bind(1, *it);
    if (received.step()) return received.text(0);
  }
  return std::nullopt;
}

void Tx::cancel_open_deadlines(std::int64_t case_id, const std::string& now) {
  c_.prepare("UPDATE deadlines SET done_at = ?, outcome = 'cancelled' WHERE case_id = ? AND done_at IS NULL")
      .bind(1, now)
      .bind(2, case_id)
      .run();
}

std::vector<DeadlineRow> Tx::due_deadlines(const std::string& now, int limit) {
  std::vector<DeadlineRow> rows;
  auto s = c_.prepare("SELECT " DEADLINE_COLUMNS
                      " FROM deadlines WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?");
  s.bind(1, now).bind(2, limit);
  while (s.step()) rows.push_back(read_deadline(s));
  return rows;
}

bool Tx::later_deadline_due(const DeadlineRow& d, const std::string& now) {
  auto s = c_.prepare(
      "SELECT 1 FROM deadlines WHERE case_id = ? AND kind = ? AND stage_index = ? AND done_at IS NULL "
      "AND id != ? AND due_at <= ? AND (due_at > ? OR (due_at = ? AND ordinal > ?)) LIMIT 1");
  s.bind(1, d.case_id).bind(2, d.kind).bind(3, d.stage_index).bind(4, d.id).bind(5, now).bind(6, d.due_at)
      .bind(7, d.due_at).bind(8, d.ordinal);
  return s.step();
}

bool Tx::finish_deadline(std::int64_t id, const std::string& now, const std::string& outcome) {
  // "done_at IS NULL": a deadline acts once, even if two processes race for it.
  c_.prepare("UPDATE deadlines SET done_at = ?, outcome = ? WHERE id = ? AND done_at IS NULL")
      .bind(1, now)
      .bind(2, outcome)
      .bind(3, id)
      .run();
  return c_.changes() > 0;
}

void Tx::insert_event(std::int64_t case_id, const std::string& at, const std::string& kind, const std::string& detail) {
  c_.prepare("INSERT INTO events(case_id, at, kind, detail) VALUES(?, ?, ?, ?)")
      .bind(1, case_id)
      .bind(2, at)
      .bind(3, kind)
      .bind(4, detail)
      .run();
}

void Tx::insert_deadline(std::int64_t case_id, const std::string& kind, int stage_index, int ordinal,
                         const std::string& due_at) {
  c_.prepare("INSERT INTO deadlines(case_id, kind, stage_index, ordinal, due_at) VALUES(?, ?, ?, ?, ?)")
      .bind(1, case_id)
      .bind(2, kind)
      .bind(3, stage_index)
      .bind(4, ordinal)
      .bind(5, due_at)
      .run();
}

std::int64_t Tx::insert_outbox(std::optional<std::int64_t> case_id, const std::string& kind,
                               const std::string& message_id, const std::string& mail_from, const std::string& rcpt,
                               const std::string& raw, const std::string& now) {
  auto s = c_.prepare(
      "INSERT INTO outbox(case_id, kind, message_id, mail_from, rcpt, raw, next_attempt_at, created_at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  if (case_id) s.bind(1, *case_id);
  else s.bind_null(1);
  s.bind(2, kind).bind(3, message_id).bind(4, mail_from).bind(5, rcpt).bind_blob(6, raw).bind(7, now).bind(8, now).run();
  return c_.last_insert_id();
}

std::vector<std::pair<std::string, std::string>> Tx::letters_to(const std::string& rcpt, const std::string& since) {
  // Addresses differ in case from one message to the next; the index is NOCASE too.
  auto s = c_.prepare(
      "SELECT kind, created_at FROM outbox WHERE rcpt = ? COLLATE NOCASE AND created_at > ? ORDER BY created_at");
  s.bind(1, rcpt).bind(2, since);
  std::vector<std::pair<std::string, std::string>> out;
  while (s.step()) out.emplace_back(s.text(0), s.text(1));
  return out;
}

std::int64_t Tx::insert_attachment(std::int64_t message_row, const NewAttachment& a) {
  c_.prepare(
        "INSERT INTO attachments(message_row, filename, content_type, size, sha256, inline) "
        "VALUES(?, ?, ?, ?, ?, ?)")
      .bind(1, message_row)
      .bind(2, a.filename)
      .bind(3, a.content_type)
      .bind(4, static_cast<std::int64_t>(a.size))
      .bind(5, a.sha256)
      .bind(6, static_cast<std::int64_t>(a.is_inline ? 1 : 0))
      .run();
  return c_.last_insert_id();
}

// ---- Store ----

template <typename F>
auto Store::guarded(const char* what, F&& f) -> Result<decltype(f())> {
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      return Result<void>();
    } else {
      return f();
    }
  } catch (const StoreError& e) {
    return Error{std::string(what) + ": " + e.what()};
  }
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  try {
    std::unique_ptr<Store> s(new Store(std::make_unique<Connection>(path)));
    s->migrate();
    return s;
  } catch (const StoreError& e) {
    return Error{e.what()};
  }
}

bool Store::read_only() const { return c_->read_only(); }

const char* Store::migration(int version) {
  return kMigrations.at(static_cast<std::size_t>(version - 1));
}

void Store::migrate() {
  c_->exec("BEGIN IMMEDIATE");
  try {
    int version = 0;
    {
      // Scoped: a statement part-way through its rows would lock the schema (DROP INDEX).
      auto has_meta = c_->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
      if (has_meta.step()) {
        auto v = c_->prepare("SELECT value FROM meta WHERE key = 'schema_version'");
        if (v.step()) version = std::stoi(v.text(0));
      }
    }
    if (version > kSchemaVersion) {
      throw StoreError("database schema version " + std::to_string(version) +
                           " is newer than this complaintd understands (" + std::to_string(kSchemaVersion) +
                           "); upgrade complaintd",
                       SQLITE_MISMATCH);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      c_->exec(kMigrations[static_cast<std::size_t>(v)]);
      auto set = c_->prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)");
      set.bind(1, std::to_string(v + 1));
      set.step();
    }
    c_->exec("COMMIT");
  } catch (...) {
    c_->exec("ROLLBACK");
    throw;
  }
}

namespace {
// synchronous = NORMAL for one transaction, FULL again after it, however it ends. In WAL
// mode a NORMAL commit is written to the WAL without an fsync: it survives a crash of
// complaintd (the bytes are in the kernel) and becomes durable with the next FULL commit
// or checkpoint; only a power cut before then can lose it.
class RelaxedCommit {
 public:
  RelaxedCommit(Connection& c, bool relaxed) : c_(relaxed ? &c : nullptr) {
    if (c_) c_->exec("PRAGMA synchronous = NORMAL");
  }
  ~RelaxedCommit() {
    if (!c_) return;
    try {
      c_->exec("PRAGMA synchronous = FULL");
    } catch (const StoreError&) {
      // Only fails inside an open transaction, which transaction() never leaves behind.
    }
  }
  RelaxedCommit(const RelaxedCommit&) = delete;
  RelaxedCommit& operator=(const RelaxedCommit&) = delete;

 private:
  Connection* c_;
};
}  // namespace

Result<void> Store::transaction(const std::function<Result<void>(Tx&)>& body, Commit commit) {
  std::optional<RelaxedCommit> relaxed;
  try {
    relaxed.emplace(*c_, commit == Commit::kRelaxed);
    c_->exec("BEGIN IMMEDIATE");
  } catch (const StoreError& e) {
    return Error{std::string("database: ") + e.what()};
  }
  const auto rollback = [&] {
    try {
      c_->exec("ROLLBACK");
    } catch (const StoreError&) {
      // The failed statement or COMMIT may already have rolled back.
    }
  };
  try {
    Tx tx(*c_);
    auto r = body(tx);
    if (!r) {
      c_->exec("ROLLBACK");
      return r;
    }
    c_->exec("COMMIT");
    return {};
  } catch (const StoreError& e) {
    rollback();
    return Error{std::string("database: ") + e.what()};
  } catch (...) {
    // Any other exception is the caller's to handle, but never with the transaction left
    // open: every later BEGIN on this connection would fail.
    rollback();
    throw;
  }
}

Result<void> Tx::savepoint(const std::function<Result<void>(Tx&)>& body) {
  c_.exec("SAVEPOINT part");
  const auto undo = [&] {
    meta_.clear();
    c_.exec("ROLLBACK TO part");
    c_.exec("RELEASE part");
  };
  try {
    auto r = body(*this);
    if (!r) {
      undo();
      return r;
    }
    c_.exec("RELEASE part");
    return r;
  } catch (const StoreError&) {
    throw;  // the whole transaction fails (SQLite may have rolled it back already)
  } catch (...) {
    undo();
    throw;
  }
}

std::int64_t Tx::quarantine(const NewMessage& m, const std::string& reason) {
  if (!m.location.mailbox.empty()) {
    auto state = mailbox_state(m.location.mailbox).value_or(MailboxState{m.location.uidvalidity, 0});
    state.uidvalidity = m.location.uidvalidity;
    state.last_uid = std::max(state.last_uid, m.location.uid);
    set_mailbox_state(m.location.mailbox, state);
    if (has_location(m.location)) return 0;  // stored after all (a retry raced it)
  }
  return insert_message(m, "quarantined", reason);
}

Result<std::vector<std::uint32_t>> Store::pending_server_actions(const std::string& mailbox, std::uint32_t uidvalidity) {
  return guarded("database", [&] {
    std::vector<std::uint32_t> uids;
    auto s = c_->prepare(
        "SELECT uid FROM messages WHERE mailbox = ? AND uidvalidity = ? AND server_action = 'pending' ORDER BY uid");
    s.bind(1, mailbox).bind(2, static_cast<std::int64_t>(uidvalidity));
    while (s.step()) uids.push_back(static_cast<std::uint32_t>(s.integer(0)));
    return uids;
  });
}

Result<void> Store::mark_server_actions_done(const std::string& mailbox, std::uint32_t uidvalidity,
                                             const std::vector<std::uint32_t>& uids) {
  return transaction([&](Tx&) -> Result<void> {
    for (auto uid : uids) {
      // "mailbox != ''" selects the partial index messages_location (see case_for_message_ids).
      c_->prepare(
            "UPDATE messages SET server_action = 'done' "
            "WHERE mailbox = ? AND uidvalidity = ? AND uid = ? AND mailbox != ''")
          .bind(1, mailbox)
          .bind(2, static_cast<std::int64_t>(uidvalidity))
          .bind(3, static_cast<std::int64_t>(uid))
          .run();
    }
    return {};
  }, Commit::kRelaxed);
}

Result<std::vector<OutboxRow>> Store::due_outbox(const std::string& now, int limit) {
  return guarded("database", [&] {
    std::vector<OutboxRow> rows;
    // Ordered by the partial index outbox_due: "ORDER BY id" made SQLite walk every letter
    // ever sent, raw bytes included, for each batch.
    auto s = c_->prepare("SELECT " OUTBOX_COLUMNS
                         " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
                         "ORDER BY next_attempt_at, id LIMIT ?");
    s.bind(1, now).bind(2, limit);
    while (s.step()) rows.push_back(read_outbox(s));
    return rows;
  });
}

Result<void> Store::mark_sent(std::int64_t id, const std::string& now) {
  return transaction([&](Tx&) -> Result<void> {
    c_->prepare("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?")
        .bind(1, now)
        .bind(2, id)
        .run();
    return {};
  }, Commit::kRelaxed);
}

Result<void> Store::mark_attempt_failed(std::int64_t id, const std::string& error, const std::string& next_attempt_at,
                                        bool permanent) {
  return transaction([&](Tx&) -> Result<void> {
    c_->prepare(
          "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?")
        .bind(1, error)
        .bind(2, next_attempt_at)
        .bind(3, std::string_view(permanent ? "failed" : "pending"))
        .bind(4, id)
        .run();
    return {};
  }, Commit::kRelaxed);
}

Result<std::optional<std::string>> Store::next_outbox_attempt() {
  return guarded("database", [&]() -> std::optional<std::string> {
    auto s = c_->prepare("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'");
    if (s.step() && !s.is_null(0)) return s.text(0);
    return std::nullopt;
  });
}

Result<std::vector<OutboxRow>> Store::list_outbox(const std::string& status) {
  return guarded("database", [&] {
    std::vector<OutboxRow> rows;
    auto s = c_->prepare("SELECT " OUTBOX_COLUMNS " FROM outbox WHERE status = ? OR ? = '' ORDER BY id");
    s.bind(1, status).bind(2, status);
    while (s.step()) rows.push_back(read_outbox(s));
    return rows;
  });
}

Result<std::vector<CaseRow>> Store::list_cases(const CaseFilter& f) {
  return guarded("database", [&] {
    std::vector<CaseRow> rows;
    // One fixed statement; an unset filter binds NULL and matches everything.
    auto s = c_->prepare("SELECT " CASE_COLUMNS CASES_FROM
                         "WHERE (?1 = 0 OR c.state IN ('open', 'responded')) "
                         "AND (?2 IS NULL OR (c.state = 'open' AND c.respond_by < ?2)) "
                         "AND (?3 IS NULL OR c.stage = ?3 COLLATE NOCASE) "
                         "AND (?4 IS NULL OR c.handler_address = ?4 COLLATE NOCASE) "
                         "AND (?5 IS NULL OR (char(10) || c.categories || char(10)) LIKE ('%' || char(10) || ?5 || char(10) || '%')) "
                         "AND (?6 IS NULL OR c.kind = ?6) ORDER BY c.id");
    s.bind(1, f.open_only ? 1 : 0)
        .bind_optional(2, f.overdue_at)
        .bind_optional(3, f.stage)
        .bind_optional(4, f.handler)
        .bind_optional(5, f.category)
        .bind_optional(6, f.kind);
    while (s.step()) rows.push_back(read_case(s));
    return rows;
  });
}

Result<Gauges> Store::gauges(const std::string& now) {
  return guarded("database", [&] {
    Gauges g;
    auto open = c_->prepare(
        "SELECT stage, COUNT(*), SUM(state = 'open' AND respond_by < ?) FROM cases "
        "WHERE state IN ('open', 'responded') GROUP BY stage ORDER BY stage");
    open.bind(1, now);
    while (open.step()) {
      g.open_by_stage.emplace_back(open.text(0), static_cast<int>(open.integer(1)));
      g.overdue_by_stage.emplace_back(open.text(0), static_cast<int>(open.integer(2)));
    }
    auto outbox = c_->prepare("SELECT SUM(status = 'pending'), SUM(status = 'failed') FROM outbox");
    if (outbox.step()) {
      g.outbox_pending = outbox.is_null(0) ? 0 : static_cast<int>(outbox.integer(0));
      g.outbox_failed = outbox.is_null(1) ? 0 : static_cast<int>(outbox.integer(1));
    }
    auto q = c_->prepare("SELECT COUNT(*) FROM messages WHERE disposition = 'quarantined'");
    if (q.step()) g.quarantined = static_cast<int>(q.integer(0));
    auto oldest = c_->prepare("SELECT MIN(received_at) FROM messages WHERE server_action = 'pending'");
    if (oldest.step() && !oldest.is_null(0)) g.oldest_unflagged = oldest.text(0);
    return g;
  });
}

Result<int> Store::retry_outbox(std::optional<std::int64_t> id, const std::string& now) {
  int changed = 0;
  auto r = transaction([&](Tx&) -> Result<void> {
    auto s = c_->prepare(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ?1 "
        "WHERE (?2 IS NULL AND status = 'failed') OR (id = ?2 AND status IN ('failed', 'pending'))");
    s.bind(1, now);
    if (id) s.bind(2, *id);
    else s.bind_null(2);
    s.run();
    changed = c_->changes();
    return {};
  });
  if (!r) return r.error();
  return changed;
}

Result<std::optional<CaseRow>> Store::find_case(const std::string& reference) {
  return guarded("database", [&] {
    Tx tx(*c_);
    return tx.find_case(reference);
  });
}

Result<std::vector<EventRow>> Store::case_events(std::int64_t case_id) {
  return guarded("database", [&] {
    std::vector<EventRow> rows;
    auto s = c_->prepare("SELECT at, kind, detail FROM events WHERE case_id = ? ORDER BY id");
    s.bind(1, case_id);
    while (s.step()) rows.push_back(EventRow{s.text(0), s.text(1), s.text(2)});
    return rows;
  });
}

Result<std::vector<TriageRow>> Store::case_triage(std::int64_t case_id) {
  return guarded("database", [&] {
    std::vector<TriageRow> rows;
    auto s = c_->prepare(
        "SELECT decision, value, rule, how, matched FROM triage_decisions WHERE case_id = ? ORDER BY id");
    s.bind(1, case_id);
    while (s.step()) rows.push_back(TriageRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)});
    return rows;
  });
}

Result<std::vector<AttachmentRow>> Store::message_attachments(std::int64_t message_row) {
  return guarded("database", [&] {
    std::vector<AttachmentRow> rows;
    auto s = c_->prepare(
        "SELECT id, message_row, filename, content_type, size, sha256, inline FROM attachments "
        "WHERE message_row = ? ORDER BY id");
    s.bind(1, message_row);
    while (s.step()) rows.push_back(read_attachment(s));
    return rows;
  });
}

Result<std::int64_t> Store::quarantine(const NewMessage& m, const std::string& reason) {
  std::int64_t row = 0;
  auto r = transaction([&](Tx& tx) -> Result<void> {
    row = tx.quarantine(m, reason);
    return {};
  });
  if (!r) return r.error();
  return row;
}

#define QUARANTINE_COLUMNS \
  "id, mailbox, uid, message_id, from_address, subject, received_at, reason, disposition, size"

namespace {
QuarantinedRow read_quarantined(const Statement& s) {
  QuarantinedRow q;
  q.id = s.integer(0);
  q.mailbox = s.text(1);
  q.uid = static_cast<std::uint32_t>(s.integer(2));
  q.message_id = s.text(3);
  q.from_address = s.text(4);
  q.subject = s.text(5);
  q.received_at = s.text(6);
  q.reason = s.text(7);
  q.disposition = s.text(8);
  q.size = s.integer(9);
  return q;
}
}  // namespace

Result<std::vector<QuarantinedRow>> Store::list_quarantine(bool include_replayed) {
  return guarded("database", [&] {
    std::vector<QuarantinedRow> rows;
    auto s = c_->prepare("SELECT " QUARANTINE_COLUMNS
                         " FROM messages WHERE disposition = 'quarantined' OR (?1 AND disposition = 'replayed') "
                         "ORDER BY id");
    s.bind(1, include_replayed ? 1 : 0);
    while (s.step()) rows.push_back(read_quarantined(s));
    return rows;
  });
}

Result<std::optional<QuarantinedRow>> Store::quarantined(std::int64_t id) {
  return guarded("database", [&]() -> std::optional<QuarantinedRow> {
    auto s = c_->prepare("SELECT " QUARANTINE_COLUMNS
                         ", (SELECT b.raw FROM message_bodies b WHERE b.message_row = messages.id) "
                         "FROM messages WHERE id = ? AND disposition IN ('quarantined', 'replayed')");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    auto q = read_quarantined(s);
    q.raw = s.blob(10);
    return q;
  });
}

Result<void> Store::mark_replayed(std::int64_t id, const std::string& outcome) {
  return transaction([&](Tx&) -> Result<void> {
    c_->prepare("UPDATE messages SET disposition = 'replayed', reason = reason || ' | replayed: ' || ? WHERE id = ?")
        .bind(1, outcome)
        .bind(2, id)
        .run();
    return {};
  });
}

Result<std::optional<std::string>> Store::next_deadline() {
  return guarded("database", [&]() -> std::optional<std::string> {
    auto s = c_->prepare("SELECT MIN(due_at) FROM deadlines WHERE done_at IS NULL");
    if (s.step() && !s.is_null(0)) return s.text(0);
    return std::nullopt;
  });
}

Result<std::vector<DeadlineRow>> Store::case_deadlines(std::int64_t case_id) {
  return guarded("database", [&] {
    std::vector<DeadlineRow> rows;
    auto s = c_->prepare("SELECT " DEADLINE_COLUMNS " FROM deadlines WHERE case_id = ? ORDER BY due_at, id");
    s.bind(1, case_id);
    while (s.step()) rows.push_back(read_deadline(s));
    return rows;
  });
}

Result<std::vector<StageRow>> Store::case_stages(std::int64_t case_id) {
  return guarded("database", [&] {
    std::vector<StageRow> rows;
    auto s = c_->prepare(
        "SELECT stage_index, stage, opened_at, acknowledge_by, acknowledgement_id, respond_by, responded_at, ended_at "
        "FROM case_stages WHERE case_id = ? ORDER BY stage_index");
    s.bind(1, case_id);
    while (s.step()) {
      StageRow r;
      r.stage_index = static_cast<int>(s.integer(0));
      r.stage = s.text(1);
      r.opened_at = s.text(2);
      if (!s.is_null(3)) r.acknowledge_by = s.text(3);
      if (!s.is_null(4)) r.acknowledgement_id = s.integer(4);
      r.respond_by = s.text(5);
      r.responded_at = s.text(6);
      r.ended_at = s.text(7);
      rows.push_back(std::move(r));
    }
    return rows;
  });
}

Result<std::vector<OutboxRow>> Store::case_letters(std::int64_t case_id) {
  return guarded("database", [&] {
    std::vector<OutboxRow> rows;
    auto s = c_->prepare("SELECT " OUTBOX_COLUMNS " FROM outbox WHERE case_id = ? ORDER BY id");
    s.bind(1, case_id);
    while (s.step()) rows.push_back(read_outbox(s));
    return rows;
  });
}

}  // namespace complaintd::store
