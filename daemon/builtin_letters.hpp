#pragma once
// Letters complaintd can write without a template file, so a config written before staff
// could reply by email keeps working. A file of the same name in the letters folder
// (service.letters) replaces each; the examples ship their own "response".

#include <map>
#include <string>

namespace complaintd::daemon {

/// Template name → mustache text.
const std::map<std::string, std::string>& builtin_letters();

}  // namespace complaintd::daemon
