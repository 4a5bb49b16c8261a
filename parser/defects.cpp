#include "parser/defects.hpp"

#include <algorithm>
#include <utility>

namespace complaintd::parser {

void Defects::add(std::string message) {
  if (std::find(out_->begin(), out_->end(), message) != out_->end()) return;
  if (out_->size() >= kMaxDefects) {
    if (!overflowed_) {
      overflowed_ = true;
      out_->push_back("further defects were not recorded");
    }
    return;
  }
  out_->push_back(std::move(message));
}

}  // namespace complaintd::parser
