#pragma once
// The plan for a new complaint: who it is from, and when acknowledgement and response
// fall due on the procedure's first stage.

#include <string>

#include "config/config.hpp"
#include "parser/inbound_message.hpp"
#include "triage/calendar.hpp"
#include "triage/classify.hpp"

namespace complaintd::triage {

struct NewCasePlan {
  std::string customer_address;
  std::string customer_name;
  std::string subject;  ///< as the customer wrote it (letters sanitise it)
  std::string stage;
  Instant received_at;
  Due acknowledge_by;
  Due respond_by;
};

NewCasePlan plan_new_case(const parser::InboundMessage& msg, const Triage& triage, const config::StageConfig& stage,
                          const WorkingCalendar& cal, const Zone& zone, Instant received_at);

}  // namespace complaintd::triage
