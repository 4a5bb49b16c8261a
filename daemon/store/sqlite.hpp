#pragma once
// A thin RAII layer over SQLite: connections, cached prepared statements with bound
// parameters (never string-built SQL), and a StoreError for failures. Inspired by
// PowerDNS's SSQLite3.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace complaintd::store {

/// Raised inside the store; converted to Result at its public boundary.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }
  /// Disk full, read-only file system, database locked: may succeed later.
  [[nodiscard]] bool transient() const;
  /// A constraint, or a value too big or of the wrong kind: the statement's data, not the
  /// database's state, so the same data fails the same way however often it is tried.
  [[nodiscard]] bool about_the_data() const;

 private:
  int code_;
};

/// A cached statement in use; reset when it goes out of scope. A statement left part-way
/// through its rows keeps its connection's read transaction open after COMMIT, and while
/// one is open no checkpoint can move the WAL back into the database: the WAL then grows
/// without bound (640 MB after 10,000 messages, before this reset).
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() {
    if (stmt_) sqlite3_reset(stmt_);
  }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, const std::optional<std::string>& text);
  /// Advances; true while there is a row.
  bool step();
  /// Runs to completion (for statements without rows).
  void run();
  [[nodiscard]] std::int64_t integer(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::string blob(int col) const;
  [[nodiscard]] bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  /// Opens (creating if needed) with WAL, foreign keys and a busy timeout.
  explicit Connection(const std::string& path, bool read_only = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const char* sql);
  /// A cached statement, reset and with bindings cleared.
  Statement prepare(const char* sql);
  [[nodiscard]] std::int64_t last_insert_id() const;
  [[nodiscard]] int changes() const;
  /// SQLite opened the file read-only although writing was asked for (no write permission,
  /// an immutable file, a read-only file system): it stays so until reopened.
  [[nodiscard]] bool read_only() const;
  [[noreturn]] void fail(const std::string& context) const;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace complaintd::store
