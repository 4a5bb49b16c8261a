#include "daemon/store/sqlite.hpp"

namespace complaintd::store {

bool StoreError::transient() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
         primary == SQLITE_IOERR || primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN;
}

bool StoreError::about_the_data() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_CONSTRAINT || primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH ||
         primary == SQLITE_RANGE;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    throw StoreError(std::string("bind: ") + sqlite3_errmsg(db_), sqlite3_errcode(db_));
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) != SQLITE_OK)
    throw StoreError(std::string("bind: ") + sqlite3_errmsg(db_), sqlite3_errcode(db_));
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw StoreError(std::string(sqlite3_errmsg(db_)), sqlite3_extended_errcode(db_));
}

void Statement::run() {
  while (step()) {
  }
}

std::int64_t Statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::string Statement::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Connection::Connection(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    const int code = db_ ? sqlite3_extended_errcode(db_) : SQLITE_NOMEM;
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database " + path + ": " + msg, code);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process (the CLI, a second `run --once`) may hold the write lock briefly.
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA foreign_keys = ON");
  if (!read_only) {
    // Takes effect only in a database without tables yet: an existing one keeps its page
    // size. With 16 KB pages instead of SQLite's 4 KB, a scheduler tick of 10,000 reminders
    // (20,000 letters of ~2 KB) writes a quarter as many WAL frames, with two write calls
    // each, and as many pages again at checkpoints: ~30% less CPU, and a 17% smaller file
    // (docs/PERFORMANCE.md, "Scheduler").
    exec("PRAGMA page_size = 16384");
    exec("PRAGMA journal_mode = WAL");
    // FULL: a commit survives power loss, not only a crash of complaintd. The cost is
    // one fsync per transaction; docs/PERFORMANCE.md has the numbers.
    exec("PRAGMA synchronous = FULL");
    // A batch of messages is one transaction with a savepoint per message: its sub-journal
    // (the pages a savepoint may have to restore) stays in memory instead of temporary
    // files, and the page cache holds a whole batch (up to 8 MB of mail) without spilling
    // pages into the WAL before the commit only to write them again at it.
    exec("PRAGMA temp_store = MEMORY");
    exec("PRAGMA cache_size = -32768");
  }
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close(db_);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(msg, sqlite3_extended_errcode(db_));
  }
}

Statement Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      fail(std::string("prepare: ") + sql);
    it = cache_.emplace(sql, stmt).first;
  }
  sqlite3_reset(it->second);
  sqlite3_clear_bindings(it->second);
  return Statement(db_, it->second);
}

std::int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }
bool Connection::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

void Connection::fail(const std::string& context) const {
  throw StoreError(context + ": " + sqlite3_errmsg(db_), sqlite3_extended_errcode(db_));
}

}  // namespace complaintd::store
