#pragma once
// Composing letters: templates → text → RFC 5322 message bytes. Pure: no clock (the
// date is an argument), no I/O. Everything that came from a customer passes through
// sanitize_header_text before it reaches a header, so a subject with CR/LF can never
// inject a header (RFC 5322 §2.2).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace complaintd::outbound {

/// Removes CR, LF and every other control character, collapses runs of whitespace,
/// trims, and cuts at `max_chars` code points (on a UTF-8 boundary, "…" appended).
/// Invalid UTF-8 bytes become U+FFFD.
std::string sanitize_header_text(std::string_view text, std::size_t max_chars = 200);

/// An RFC 5322 header value, folded to lines of at most 78 characters; RFC 2047 B-encoded
/// when not plain ASCII, when it holds "=?" (so text that reads as an encoded word is shown
/// as written, never decoded a second time), or when a word is too long to fold.
/// `header_name_length` is the length of "Subject" etc.
std::string encode_unstructured(std::string_view utf8, std::size_t header_name_length);

/// "Display Name <addr>" with the name quoted or RFC 2047-encoded as needed (as for
/// encode_unstructured), the address on a line of its own when the name fills the line; the
/// name is sanitised; the address must already be validated (config::is_plausible_address).
std::string format_mailbox(std::string_view name, std::string_view address);

/// RFC 5322 date, e.g. "Mon, 07 Dec 2026 09:30:00 +0000", from seconds since the epoch.
std::string rfc5322_date(long long unix_seconds);

/// Quoted-printable (RFC 2045 §6.7) of UTF-8 text with LF or CRLF line ends; output has
/// CRLF line ends and lines of at most 76 characters.
std::string quoted_printable(std::string_view text);

/// A file sent with a letter (the customer's attachments, with the referral).
struct LetterAttachment {
  std::string filename;      ///< sanitised and RFC 2231-encoded by to_mime
  std::string content_type;  ///< e.g. "application/pdf"; anything implausible becomes application/octet-stream
  std::string content;       ///< the bytes
};

struct Letter {
  std::string from_name, from_address;
  std::string to_name, to_address;
  /// Where replies go, when not to From: a staff letter's token address (triage/reply_token.hpp).
  std::string reply_to_address;
  std::string subject;                  ///< sanitised here, not by the caller
  std::string message_id;               ///< without angle brackets
  std::string in_reply_to;              ///< without angle brackets; left out unless a plain msg-id
  std::vector<std::string> references;  ///< without angle brackets; those not plain msg-ids left out
  long long date_unix = 0;
  bool auto_submitted = true;           ///< "Auto-Submitted: auto-replied" (RFC 3834 §5)
  bool is_reply = true;                 ///< false: "auto-generated" (reminders, referrals)
  std::string body;                     ///< UTF-8 text
  std::vector<LetterAttachment> attachments;  ///< none: a single text/plain part
};

/// The complete message, CRLF line ends, ready for SMTP.
std::string to_mime(const Letter& letter);

/// "[REF] subject", sanitised, so the reference survives every reply.
std::string tagged_subject(std::string_view reference, std::string_view customer_subject);

/// A mustache letter template, parsed once when the configuration loads and rendered for
/// every letter of its kind (parsing was a quarter of the scheduler's time). Plain-text
/// semantics: no HTML escaping; fields are strings, a missing or empty one is false in a
/// section and renders empty. Copies share the parse; rendering is serialised, because
/// kainjow's renderer keeps its error state in the parsed template.
class LetterTemplate {
 public:
  /// Errors name the template and the problem.
  static Result<LetterTemplate> compile(std::string name, std::string_view text);
  Result<std::string> render(const std::map<std::string, std::string>& fields) const;
  const std::string& name() const;

 private:
  struct Parsed;
  explicit LetterTemplate(std::shared_ptr<Parsed> parsed) : parsed_(std::move(parsed)) {}
  std::shared_ptr<Parsed> parsed_;
};

/// Compiles and renders in one step (a template used once).
Result<std::string> render_template(std::string_view template_name, std::string_view template_text,
                                    const std::map<std::string, std::string>& fields);

}  // namespace complaintd::outbound
