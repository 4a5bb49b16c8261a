#pragma once
// What a person reads in a message: the best text (RFC 2046 §5.1.4: of alternatives, we
// prefer text/plain) and the list of attachments.

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

Content extract_content(const MimeTree& tree, Defects& defects);

}  // namespace complaintd::parser
