#pragma once
// Separates what a sender wrote this time from what their mail client added: the quoted
// history of the conversation and the signature. A coordinator reads the new text first;
// the full text stays in InboundMessage::text.

#include <string>
#include <string_view>

namespace complaintd::parser {

/// The new text of `text` (UTF-8, LF line endings). Cut at the first history marker:
/// "-----Original Message-----" and its translations, "Begin forwarded message:",
/// an Outlook "From: … Sent: … To:/Subject:" block (English, German, French, Spanish,
/// Italian, Dutch, Portuguese, Scandinavian, Polish labels), or an "On … wrote:" line
/// (and its translations) followed only by quoted lines. Quoted "> " lines are dropped
/// wherever they are (interleaved replies keep the answers between them). Then the
/// signature goes: from an RFC 3676 §4.3 "-- " line, a "Sent from my …" line near the
/// end, or a closing ("Kind regards,", "Mit freundlichen Grüßen") followed by a few short
/// lines. Text without any of these is returned trimmed but otherwise unchanged.
std::string reply_text(std::string_view text);

}  // namespace complaintd::parser
