#pragma once
// RFC 3676 format=flowed: soft line breaks in text/plain, undone for reading.

#include <string>
#include <string_view>

namespace complaintd::parser {

/// Joins flowed lines (those ending in a space) with the line that follows at the same
/// quote depth, removes space-stuffing, and with `delsp` removes the soft-break space itself.
/// `text` uses LF line endings.
std::string unflow(std::string_view text, bool delsp);

}  // namespace complaintd::parser
