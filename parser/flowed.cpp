#include "parser/flowed.hpp"

namespace complaintd::parser {

std::string unflow(std::string_view text, bool delsp) {
  std::string out;
  out.reserve(text.size());
  bool joining = false;          // the previous line was flowed
  std::size_t joining_depth = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    const bool last = nl == std::string_view::npos;
    if (last) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (last && line.empty()) break;

    std::size_t depth = 0;  // RFC 3676 §4.5: leading '>' give the quote depth
    while (depth < line.size() && line[depth] == '>') ++depth;
    line.remove_prefix(depth);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);  // §4.4 space-stuffing

    // §4.3: the signature separator "-- " is never flowed.
    const bool flowed = !line.empty() && line.back() == ' ' && line != "-- ";
    if (joining && depth != joining_depth) out.push_back('\n');  // §4.5: depth changed, hard break
    if (!joining || depth != joining_depth) {
      if (depth > 0) out.append(std::string(depth, '>')).push_back(' ');
    }
    std::string_view content = line;
    if (flowed && delsp) content.remove_suffix(1);
    out.append(content);
    if (!flowed) out.push_back('\n');
    joining = flowed;
    joining_depth = depth;
    if (last) break;
  }
  if (joining) out.push_back('\n');
  return out;
}

}  // namespace complaintd::parser
