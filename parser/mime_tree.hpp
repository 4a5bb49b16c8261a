#pragma once
// The MIME structure of a message (RFC 2045, RFC 2046 §5), built iteratively under
// ParseLimits so that hostile nesting or part counts cannot exhaust the stack or memory.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "parser/defects.hpp"
#include "parser/header_fields.hpp"
#include "parser/mime_params.hpp"
#include "parser/parse.hpp"

namespace complaintd::parser {

struct Entity {
  HeaderFields headers;
  std::string_view body;           ///< still transfer-encoded; points into the input or MimeTree::owned
  MediaType type;                  ///< effective type, RFC 2045 §5.2 defaults applied
  std::string declared_type;       ///< "type/subtype" as declared, lower-case; empty if absent/invalid
  HeaderValue content_type;        ///< parsed Content-Type (for charset, name, format...)
  HeaderValue disposition;         ///< parsed Content-Disposition; token empty when absent
  std::size_t depth = 0;           ///< 0 for the message itself
  std::size_t parent = 0;          ///< index of the enclosing entity (0 for the message itself)
  std::vector<std::size_t> children;  ///< indices into MimeTree::entities, in order
};

struct MimeTree {
  std::vector<Entity> entities;  ///< [0] is the message
  std::deque<std::string> owned;  ///< decoded message/rfc822 bodies that entities point into
  bool limit_exceeded = false;    ///< some structure was not read: too deep or too many parts
};

/// Builds the tree of `raw`. With `headers_only`, only the top-level header section is read.
MimeTree build_mime_tree(std::string_view raw, const ParseLimits& limits, Defects& defects,
                         bool headers_only);

/// Nesting deeper than this is never walked, whatever ParseLimits says: the body walk is
/// recursive and must stay far from the end of the stack.
inline constexpr std::size_t kHardMaxDepth = 200;

}  // namespace complaintd::parser
