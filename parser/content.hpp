#pragma once
// What a person reads in a message: the best text (RFC 2046 §5.1.4: of alternatives, we
// prefer text/plain) and the list of attachments.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "parser/defects.hpp"
#include "parser/inbound_message.hpp"
#include "parser/mime_tree.hpp"

namespace complaintd::parser {

struct Content {
  std::string text;  ///< UTF-8, LF line endings, trimmed
  std::vector<Attachment> attachments;
};

/// The text and attachments of `tree`. Attachments keep their decoded bytes and SHA-256;
/// TNEF files (winmail.dat) are listed, followed by the files inside them (at most
/// `max_parts` attachments come from TNEF in all).
Content extract_content(const MimeTree& tree, std::size_t max_parts, Defects& defects);

/// The text a person reads in the entity `index` and below (the whole message for 0),
/// chosen as for InboundMessage::text.
std::string readable_text(const MimeTree& tree, std::size_t index, Defects& defects);

/// The decoded file name of a part (Content-Disposition filename, else Content-Type name).
std::optional<std::string> part_filename(const Entity& e, Defects& defects);

}  // namespace complaintd::parser
