#pragma once
// Case registration numbers: "CMP-{year}-{seq:06}" → "CMP-2026-000042". Unique and
// gap-free per year; the store allocates the sequence number in the transaction that
// creates the case.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complaintd::triage {

class ReferenceFormat {
 public:
  /// `format` must have been validated by config (exactly one {seq}).
  explicit ReferenceFormat(std::string format);

  /// The counter a reference's sequence belongs to: the year when the format has
  /// {year} or {yy}, else 0 (one counter forever).
  [[nodiscard]] int counter_key(int year) const;
  [[nodiscard]] std::string format(int year, unsigned month, long long seq) const;
  /// True when `text` is exactly a reference of this format.
  [[nodiscard]] bool matches(std::string_view text) const;
  /// References found in "[...]" tags in `text` (e.g. a reply's subject), in order.
  [[nodiscard]] std::vector<std::string> find_tagged(std::string_view text) const;
  /// References anywhere in `text` (a customer quoting "my reference is CMP-2026-000042."),
  /// in order, at most `limit`.
  [[nodiscard]] std::vector<std::string> find_in_text(std::string_view text, std::size_t limit = 8) const;

 private:
  struct Token {
    enum class Kind { kLiteral, kYear, kYY, kMonth, kSeq } kind;
    std::string literal;
    int width = 0;
  };
  std::vector<Token> tokens_;
  bool has_year_ = false;
};

}  // namespace complaintd::triage
