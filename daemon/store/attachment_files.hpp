#pragma once
// Attachment bytes, content-addressed beside the database: <database>.attachments/ab/abcd…
// (the SHA-256 in hex). A file is written whole (temporary file, fsync, rename, fsync of
// the directory) before the transaction that records it commits, so a committed row
// always finds its file after a crash; identical content is stored once.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace complaintd::store {

/// Attachment files written but not yet synced to disk. A batch of messages hands one of
/// these to put() and calls sync() once before its transaction commits: with fsync costing
/// milliseconds, syncing one file after another as each is written was most of the cost of
/// a message with an attachment.
class PendingSync {
 public:
  /// fsync of every file and of every directory that got a new name, several at once
  /// (a few threads). Empties the lists either way: an error fails the whole batch.
  Result<void> sync();
  [[nodiscard]] bool empty() const { return files_.empty() && directories_.empty(); }

 private:
  friend class AttachmentFiles;
  std::vector<std::filesystem::path> files_;
  std::vector<std::filesystem::path> directories_;
};

class AttachmentFiles {
 public:
  /// The directory for the database at `database_path`: "<database>.attachments".
  /// Empty for ":memory:" (tests), where files are not kept.
  static std::filesystem::path beside(const std::string& database_path);

  explicit AttachmentFiles(std::filesystem::path root) : root_(std::move(root)) {}

  /// Where the file named `sha256` lives (whether or not it exists).
  [[nodiscard]] std::filesystem::path path_of(std::string_view sha256) const;

  /// Stores `bytes` as `sha256` (64 lower-case hex digits, else an error) unless a file of
  /// that name and size is there already. Durable when it returns ok; with `pending`,
  /// durable once pending->sync() succeeds (a file found already there is synced too: it
  /// may be the unsynced leftover of a batch that never committed).
  Result<void> put(std::string_view sha256, std::string_view bytes, PendingSync* pending = nullptr) const;

  /// The bytes stored as `sha256`.
  Result<std::string> get(std::string_view sha256) const;

 private:
  std::filesystem::path root_;
};

}  // namespace complaintd::store
