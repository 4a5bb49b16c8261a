#pragma once
// The limit on automatic answers to one address ([auto_replies], docs/CONFIG.md). RFC 3834
// headers catch well-behaved responders (parser/machine_mail.cpp); this catches the rest: an
// auto-responder without those headers that answers every acknowledgement with a new
// message (a mail loop, one case per round), or a person or script sending over and over.
// Every message is still stored and triaged, and opens its case; only the letter back is
// withheld. Pure: the letters already sent and `now` are arguments.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "triage/calendar.hpp"

namespace complaintd::triage {

/// True for letters to the customer that only answer a message of theirs and that no person
/// decided: acknowledgements (of any stage), thanks for a compliment or a comment, "outside
/// the window", "handled elsewhere" and the confirmation of a withdrawal. These are what a
/// loop multiplies. A response, an extension, a holding letter or a survey is not: a person
/// or the procedure's clock sends it, once per case, whatever the customer writes.
bool is_automatic_answer(std::string_view event);

/// A letter queued earlier to the same address (from the outbox, whatever its status).
struct EarlierLetter {
  std::string kind;  ///< the outbox kind: the letter's event, e.g. "acknowledgement"
  Instant at;        ///< when it was queued
};

struct AnswerVerdict {
  bool send = true;
  int in_window = 0;                 ///< automatic answers queued within the window before this one
  std::optional<Instant> resumes_at; ///< when withheld: when the next one would be allowed
};

/// The window as a span of time: hours, or days of 24 hours (a rolling window, not
/// calendar days; working days are refused by the config).
std::chrono::seconds answer_window(const config::AutoRepliesConfig& limit);

/// Whether another automatic answer to an address may go now, given the letters queued to
/// it before (any order; letters that are not automatic answers, or older than the window,
/// are ignored). At most `max_per_address` in any window of `within`: the (max+1)th inside
/// a window is withheld, until the oldest of those in it falls out. 0 means no limit.
AnswerVerdict decide_answer(const config::AutoRepliesConfig& limit, const std::vector<EarlierLetter>& earlier,
                            Instant now);

/// How many confirmations (the "staff_confirmation" letter: what a staff reply did, or why
/// it did nothing) one address may get within an hour in answer to replies to our own
/// confirmations. A plain note in answer to a confirmation is never answered; this bounds
/// the rest: a responder at a manager's address that answers every letter by quoting it (no
/// text, so refused) or with words that read as commands, and complaintd answering each.
/// A person correcting a refused command twice or three times in an hour is still answered.
inline constexpr config::AutoRepliesConfig kConfirmationLimit{3, {1, config::Duration::Unit::kHours}};

/// Whether a confirmation to an address may go now, in answer to a reply to one of our
/// confirmations: `earlier` as for decide_answer, of which only confirmations count.
AnswerVerdict decide_confirmation(const std::vector<EarlierLetter>& earlier, Instant now);

}  // namespace complaintd::triage
