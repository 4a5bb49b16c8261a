#pragma once
// Everything derived from one loaded config that the daemon needs to act: the config
// itself, the calendar, the zone, the reference format and the letter templates. Built
// once per (re)load and shared immutably, so a reload swaps it whole or not at all.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "outbound/letter.hpp"
#include "triage/assess.hpp"
#include "triage/calendar.hpp"
#include "triage/reference.hpp"

namespace complaintd::daemon {

struct Runtime {
  config::Config config;
  triage::WorkingCalendar calendar;
  triage::Zone zone;
  triage::ReferenceFormat references;
  std::map<std::string, outbound::LetterTemplate> templates;  ///< letter kind → its template, parsed
  std::shared_ptr<const triage::Triager> triager;  ///< [triage] compiled

  /// Loads the config file and the templates; every problem is listed, none is fatal
  /// until all are known (check-config prints them all).
  static Result<std::shared_ptr<const Runtime>> load(const std::filesystem::path& config_path,
                                                     std::vector<std::string>& errors);
};


}  // namespace complaintd::daemon
