#pragma once
// Collects the human-readable problems found while parsing into InboundMessage::defects.
// A hostile message can repeat one fault a million times; the list stays short and unique.

#include <cstddef>
#include <string>
#include <vector>

namespace complaintd::parser {

class Defects {
 public:
  static constexpr std::size_t kMaxDefects = 50;

  explicit Defects(std::vector<std::string>& out) : out_(&out) {}

  /// Records `message` once; after kMaxDefects distinct messages, notes that more were dropped.
  void add(std::string message);

 private:
  std::vector<std::string>* out_;
  bool overflowed_ = false;
};

}  // namespace complaintd::parser
