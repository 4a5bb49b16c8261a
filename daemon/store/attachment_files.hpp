#pragma once
// Attachment bytes, content-addressed beside the database: <database>.attachments/ab/abcd…
// (the SHA-256 in hex). A file is written whole (temporary file, fsync, rename, fsync of
// the directory) before the transaction that records it commits, so a committed row
// always finds its file after a crash; identical content is stored once.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace complaintd::store {

class AttachmentFiles {
 public:
  /// The directory for the database at `database_path`: "<database>.attachments".
  /// Empty for ":memory:" (tests), where files are not kept.
  static std::filesystem::path beside(const std::string& database_path);

  explicit AttachmentFiles(std::filesystem::path root) : root_(std::move(root)) {}

  /// Where the file named `sha256` lives (whether or not it exists).
  [[nodiscard]] std::filesystem::path path_of(std::string_view sha256) const;

  /// Stores `bytes` as `sha256` (64 lower-case hex digits, else an error) unless a file of
  /// that name and size is there already. Durable when it returns ok.
  Result<void> put(std::string_view sha256, std::string_view bytes) const;

  /// The bytes stored as `sha256`.
  Result<std::string> get(std::string_view sha256) const;

 private:
  std::filesystem::path root_;
};

}  // namespace complaintd::store
