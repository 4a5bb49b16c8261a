#include "daemon/builtin_letters.hpp"

namespace complaintd::daemon {

const std::map<std::string, std::string>& builtin_letters() {
  static const std::map<std::string, std::string> letters{
      // To the customer: the handler's response, then what they can do next.
      {"response", R"(Dear {{customer_name}},

Your complaint {{reference}}: our response at {{stage}}

{{response_text}}

{{#closed}}
{{#final_stage}}
{{final_text}}
{{/final_stage}}
{{^final_stage}}
We have now closed your complaint. Thank you for taking the time to tell us about it.
{{/final_stage}}
{{/closed}}
{{^closed}}
If you are not satisfied with this response, you can ask for your complaint to go to
{{next_stage}}. Reply to this email by {{next_stage_by_date}}, keeping [{{reference}}] in
the subject, and tell us what you are still unhappy about and what you would like us to do.
{{/closed}}

Yours sincerely,

{{handler_name}}
{{service_name}}
)"},
      // To a member of staff: what their reply did, or why it did nothing.
      {"staff_confirmation", R"(Dear {{recipient_name}},

{{#ok}}
Your reply on case {{reference}} ({{subject}}) was applied:

{{changes}}
{{/ok}}
{{^ok}}
Your reply on case {{reference}} ({{subject}}) changed nothing:

{{problems}}
Correct it and reply again; nothing from your earlier reply was applied.
{{/ok}}

The case is now {{state}} at {{stage}}{{#open}}; a response is due by {{respond_by_date}}{{/open}}.

{{reply_instructions}}
{{service_name}}
)"},
      // To the handler (or, once the case is over, the coordinator): the customer wrote again.
      {"customer_followup", R"(Dear {{recipient_name}},

{{customer_name}} <{{message_from}}> wrote again about case {{reference}} ({{subject}}),
which is {{state}} at {{stage}}; a response is due by {{respond_by_date}}.

Subject: {{message_subject}}

{{message_text}}

The message is on the case's timeline (complaintd cases show {{reference}}).

{{reply_instructions}}
{{service_name}}
)"},
  };
  return letters;
}

}  // namespace complaintd::daemon
