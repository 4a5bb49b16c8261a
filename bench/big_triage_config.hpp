#pragma once
// The 200-rule config of triage_bench, shared with triage_dump so that the decisions
// compared before and after a matcher change are those of the configuration measured.

#include <string>

#include "config/config.hpp"

namespace complaintd::bench {

/// The built-in rules (about 20) plus generated categories, routes and complainant types
/// with keywords and RE2 patterns, to 200 rules: a large organisation's config.
inline config::Config big_triage_config() {
  using namespace complaintd::config;
  Config cfg;
  cfg.roles = {{"coordinator", {{"Team", "team@example.org"}}}};
  cfg.procedure.coordinator = "coordinator";
  const char* services[] = {"housing", "parking", "waste", "libraries", "leisure", "planning", "licensing",
                            "highways", "revenues", "benefits", "environmental health", "trading standards",
                            "cemeteries", "markets", "allotments", "pest control", "noise", "school transport",
                            "registrars", "electoral services"};
  int n = 0;
  while (cfg.triage.categories.size() + cfg.triage.routes.size() + cfg.triage.complainant_types.size() < 184) {
    const std::string service = services[n % 20];
    const std::string suffix = std::to_string(n);
    MatchRule m;
    m.keywords = {service + " team " + suffix, service + " officer*", service + " department " + suffix,
                  "the " + service + " service", service + " " + suffix + " issue*", "zz" + suffix + " " + service};
    m.patterns = {"(?i)\\b" + service + "\\s+(?:ref|case)\\s*#?" + suffix + "\\d{3}\\b"};
    if (n % 3 == 0) cfg.triage.categories.push_back({"cat_" + suffix, service, m});
    else if (n % 3 == 1) cfg.triage.routes.push_back({"route_" + suffix, service, Target{"coordinator", {}}, m});
    else cfg.triage.complainant_types.push_back({"type_" + suffix, m});
    ++n;
  }
  return cfg;
}

}  // namespace complaintd::bench
