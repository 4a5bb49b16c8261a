#pragma once
// Splits an entity (a whole message or one MIME part) into its header fields and body
// (RFC 5322 §2.1–2.2), tolerating the ways real mail breaks that syntax.

#include <string>
#include <string_view>
#include <vector>

#include "parser/defects.hpp"

namespace complaintd::parser {

struct HeaderField {
  std::string name;   ///< as written (case preserved)
  std::string value;  ///< raw bytes, unfolded (RFC 5322 §2.2.3) and trimmed
};

class HeaderFields {
 public:
  void add(HeaderField field) { fields_.push_back(std::move(field)); }

  /// First field called `name` (case-insensitive), or nullptr.
  [[nodiscard]] const HeaderField* find(std::string_view name) const;
  /// How many fields are called `name`.
  [[nodiscard]] std::size_t count(std::string_view name) const;
  /// All fields called `name`, in order.
  [[nodiscard]] std::vector<const HeaderField*> find_all(std::string_view name) const;

  [[nodiscard]] const std::vector<HeaderField>& fields() const { return fields_; }
  [[nodiscard]] bool empty() const { return fields_.empty(); }

 private:
  std::vector<HeaderField> fields_;
};

struct SplitEntity {
  HeaderFields headers;
  std::string_view body;  ///< points into the input
};

/// Splits `entity` at the first empty line. `message` is true for a whole message, where an
/// mbox "From " envelope line may come first. A line that is neither a field nor a folded
/// continuation starts the body (RFC 5322 requires the empty line; many senders omit it).
SplitEntity split_entity(std::string_view entity, Defects& defects, bool message);

}  // namespace complaintd::parser
