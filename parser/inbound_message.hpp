#pragma once
// What the rest of complaintd knows about one inbound email. Everything here is
// decoded to UTF-8; nothing is trusted: text may be echoed into letters only after
// outbound/ sanitises it.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace complaintd::parser {

struct Address {
  std::string name;     ///< display name, RFC 2047-decoded, may be empty
  std::string address;  ///< addr-spec, e.g. "alice@example.test"; lower-cased domain
  bool operator==(const Address&) const = default;
};

struct Attachment {
  std::string filename;      ///< decoded (RFC 2047/2231), may be empty
  std::string content_type;  ///< lower-case, e.g. "application/pdf"
  std::size_t size = 0;      ///< decoded bytes (== content.size())
  std::string sha256;        ///< lower-case hex SHA-256 of the decoded bytes
  /// Shown in the body rather than offered as a file: Content-Disposition inline, or a
  /// Content-ID part of multipart/related (RFC 2387; the images HTML mail shows).
  bool is_inline = false;
  std::string content_id;    ///< without angle brackets; empty when absent
  /// The attachment that held this file when it was not a MIME part of its own: the
  /// TNEF file's name (e.g. "winmail.dat"). Empty for ordinary parts.
  std::string container;
  std::string content;       ///< the decoded bytes
};

/// A message carried inside this one (message/rfc822, RFC 2046 §5.2.1): a forward or an
/// attached .eml. Summarised, not parsed to the last detail; nested ones appear in order.
struct AttachedMessage {
  std::string subject;
  std::optional<Address> from;
  std::vector<Address> to;
  std::string date;        ///< as written
  std::string message_id;  ///< without angle brackets
  std::string text;        ///< its body as UTF-8 text, chosen like the outer message's
  std::string filename;    ///< when it was attached as a file (e.g. "old.eml")
  std::size_t depth = 1;   ///< 1 for a message inside the message, 2 inside that one...
};

/// Why a message was judged to come from a machine, not a person (RFC 3834 and friends).
struct MachineVerdict {
  bool is_machine = false;
  std::string reason;  ///< e.g. "Auto-Submitted: auto-replied", empty when a person wrote it
};

struct InboundMessage {
  std::string message_id;               ///< without angle brackets; empty when absent
  std::string subject;                  ///< decoded, unfolded; may hold control characters
  std::optional<Address> from;
  std::vector<Address> reply_to;
  std::optional<Address> sender;
  std::vector<Address> to;
  std::vector<Address> cc;
  std::string in_reply_to;              ///< first msg-id, without angle brackets
  std::vector<std::string> references;  ///< msg-ids, without angle brackets, in order
  std::string date;                     ///< the Date header as written
  /// The Date header as an instant (RFC 5322 §3.3, obsolete forms of §4.3 included);
  /// nullopt when absent or unreadable.
  std::optional<std::chrono::sys_seconds> date_utc;
  std::string text;        ///< the body as UTF-8 text (text/plain preferred), everything in it
  /// Only what the sender wrote this time: `text` without quoted history ("On … wrote:",
  /// "> " lines, forwarded or "Original Message" blocks) and without the signature.
  std::string reply_text;
  std::vector<Attachment> attachments;
  std::vector<AttachedMessage> attached_messages;
  /// Every top-level header field in order: name as written, value decoded to UTF-8
  /// (RFC 2047 words decoded, 8-bit bytes read in the message's charset).
  std::vector<std::pair<std::string, std::string>> headers;

  /// Raw header values the triage needs for machine-mail detection, unfolded and trimmed.
  std::string auto_submitted;   ///< Auto-Submitted
  std::string precedence;       ///< Precedence
  std::string list_id;          ///< List-Id
  std::optional<std::string> return_path;  ///< Return-Path as written; present-but-empty is "<>"
  /// X-Autoreply, X-Autorespond, X-Auto-Response-Suppress… and the List-* fields other
  /// than List-Id (RFC 2369), as written.
  std::vector<std::pair<std::string, std::string>> other_auto_headers;
  std::string content_type;     ///< top-level media type, lower-case (e.g. "multipart/report")
  MachineVerdict machine;       ///< parser::machine_verdict of this message

  /// Problems found while parsing; the message is still usable, a person may want to look.
  std::vector<std::string> defects;
  /// Part of the message was not read because it is over a ParseLimits limit.
  bool limit_exceeded = false;
  /// A person should look at the raw message: it is over a limit or could not be read
  /// (the reason is the first entry of `defects` that says so, and `needs_person_reason`).
  bool needs_person = false;
  std::string needs_person_reason;
};

/// Result of parsing: never fails outright. A message too broken to read still yields an
/// InboundMessage (possibly mostly empty) with the reasons in `defects`.
}  // namespace complaintd::parser
