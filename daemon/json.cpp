#include "daemon/json.hpp"

#include "common/json.hpp"

namespace complaintd::daemon {

std::string json_string(std::string_view s) { return complaintd::json_string(s); }

}  // namespace complaintd::daemon
