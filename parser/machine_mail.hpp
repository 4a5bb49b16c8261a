#pragma once
// Mail written by a program rather than a person: auto-replies, bounces, list mail. Such
// mail is never answered (RFC 3834 §2), or two auto-responders answer each other for ever.
// One implementation, used by parse() for InboundMessage::machine and by triage.

#include "parser/inbound_message.hpp"

namespace complaintd::parser {

/// Why `msg` was written by a machine. Checks, in order: Auto-Submitted other than "no"
/// (RFC 3834 §5), Precedence bulk/junk/list, List-Id and the other List-* fields
/// (RFC 2919, RFC 2369), the auto-responder headers of common mailers, a delivery or
/// disposition report (RFC 6522 multipart/report), an empty Return-Path (RFC 5321 §4.5.5
/// null reverse-path) and MAILER-DAEMON / postmaster senders.
MachineVerdict machine_verdict(const InboundMessage& msg);

}  // namespace complaintd::parser
