#include "triage/new_case.hpp"

namespace complaintd::triage {

NewCasePlan plan_new_case(const parser::InboundMessage& msg, const Triage& triage, const config::StageConfig& stage,
                          const WorkingCalendar& cal, const Zone& zone, Instant received_at) {
  NewCasePlan p;
  if (triage.reply_to) {
    p.customer_address = triage.reply_to->address;
    p.customer_name = triage.reply_to->name;
  }
  // The name a letter greets is the author's, even when replies go elsewhere.
  if (msg.from && !msg.from->name.empty()) p.customer_name = msg.from->name;
  p.subject = msg.subject;
  p.stage = stage.name;
  p.received_at = received_at;
  p.acknowledge_by = due_after(received_at, stage.acknowledge_within, cal, zone);
  p.respond_by = due_after(received_at, stage.respond_within, cal, zone);
  return p;
}

}  // namespace complaintd::triage
