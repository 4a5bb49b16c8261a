#pragma once
// What the rest of complaintd knows about one inbound email. Everything here is
// decoded to UTF-8; nothing is trusted: text may be echoed into letters only after
// outbound/ sanitises it.

#include <cstddef>
#include <optional>
#include <string>
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
  std::size_t size = 0;      ///< decoded bytes
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
  std::string text;                     ///< the body as UTF-8 text (text/plain preferred)
  std::vector<Attachment> attachments;

  /// Raw header values the triage needs for machine-mail detection, unfolded and trimmed.
  std::string auto_submitted;   ///< Auto-Submitted
  std::string precedence;       ///< Precedence
  std::string list_id;          ///< List-Id
  std::optional<std::string> return_path;  ///< Return-Path as written; present-but-empty is "<>"
  std::vector<std::pair<std::string, std::string>> other_auto_headers;  ///< X-Autoreply, X-Autorespond, X-Auto-Response-Suppress...
  std::string content_type;     ///< top-level media type, lower-case (e.g. "multipart/report")

  /// Problems found while parsing; the message is still usable, a person may want to look.
  std::vector<std::string> defects;
};

/// Result of parsing: never fails outright. A message too broken to read still yields an
/// InboundMessage (possibly mostly empty) with the reasons in `defects`.
}  // namespace complaintd::parser
