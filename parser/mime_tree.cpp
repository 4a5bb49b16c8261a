#include "parser/mime_tree.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "parser/text_util.hpp"
#include "parser/transfer_encoding.hpp"

namespace complaintd::parser {
namespace {

struct Split {
  std::vector<std::string_view> parts;
  bool found_delimiter = false;
  bool found_close = false;
  bool truncated = false;  ///< a part beyond max_parts was left unread
};

// RFC 2046 §5.1.1: a delimiter line is "--" boundary, then optional whitespace; the close
// delimiter adds "--". The line break before a delimiter belongs to the delimiter. Anything
// after the close delimiter is epilogue; anything before the first delimiter is preamble.
Split split_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts) {
  Split out;
  std::size_t part_start = std::string_view::npos;  // npos while in the preamble
  std::size_t line = 0;
  while (line < body.size()) {
    std::size_t nl = body.find('\n', line);
    const std::size_t line_end = nl == std::string_view::npos ? body.size() : nl;
    const std::size_t next = nl == std::string_view::npos ? body.size() : nl + 1;
    const std::string_view text = body.substr(line, line_end - line);
    if (text.size() >= 2 + boundary.size() && text[0] == '-' && text[1] == '-' &&
        text.compare(2, boundary.size(), boundary) == 0) {
      std::string_view rest = text.substr(2 + boundary.size());
      const bool close = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
      // Prefix boundaries: "--abc" is not a delimiter for "ab" (the rest must be blank).
      const bool delimiter = close || trim(rest).empty();
      if (delimiter) {
        if (part_start != std::string_view::npos) {
          std::size_t part_end = line;
          if (part_end > part_start && body[part_end - 1] == '\n') --part_end;
          if (part_end > part_start && body[part_end - 1] == '\r') --part_end;
          out.parts.push_back(body.substr(part_start, part_end - part_start));
        }
        out.found_delimiter = true;
        if (close) {
          out.found_close = true;
          return out;
        }
        if (out.parts.size() >= max_parts) {
          out.truncated = true;  // this delimiter opens a part we will not read
          return out;
        }
        part_start = next;
      }
    }
    line = next;
  }
  if (part_start != std::string_view::npos) out.parts.push_back(body.substr(std::min(part_start, body.size())));
  return out;
}

// For a multipart whose boundary parameter was lost (some MTAs fold it away): the first line
// that looks like "--token" and closes as "--token--" later is taken as the delimiter.
std::optional<std::string> guess_boundary(std::string_view body) {
  std::size_t line = 0;
  while (line < body.size()) {
    std::size_t nl = body.find('\n', line);
    if (nl == std::string_view::npos) nl = body.size();
    const std::string_view text = trim(body.substr(line, nl - line));
    line = nl + 1;
    if (text.size() < 3 || text[0] != '-' || text[1] != '-') continue;
    const std::string_view candidate = text.substr(2);
    if (candidate.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
    const std::string close = "\n--" + std::string(candidate) + "--";
    if (body.find(close, line > 0 ? line - 1 : 0) != std::string_view::npos) return std::string(candidate);
    return std::nullopt;  // only the first "--" line is considered: keeps this linear
  }
  return std::nullopt;
}

}  // namespace

MimeTree build_mime_tree(std::string_view raw, const ParseLimits& limits, Defects& defects,
                         bool headers_only) {
  MimeTree tree;
  const std::size_t max_depth = std::min(limits.max_depth, kHardMaxDepth);
  const std::size_t max_parts = std::max<std::size_t>(limits.max_parts, 1);

  {
    SplitEntity root = split_entity(raw, defects, true);
    Entity e;
    e.headers = std::move(root.headers);
    e.body = headers_only ? std::string_view() : root.body;
    tree.entities.push_back(std::move(e));
  }
  // Work list of entity indices whose type is not yet known; children are pushed as found.
  std::vector<std::size_t> pending{0};
  bool depth_reported = false;
  bool parts_reported = false;
  while (!pending.empty()) {
    const std::size_t index = pending.back();
    pending.pop_back();
    // Careful: tree.entities grows below; re-take references after every push_back.
    Entity* e = &tree.entities[index];

    // RFC 2046 §5.1.5: in multipart/digest the default type is message/rfc822.
    const Entity& parent = tree.entities[e->parent];
    const bool in_digest = index != 0 && parent.type.type == "multipart" && parent.type.subtype == "digest";
    if (const HeaderField* ct = e->headers.find("Content-Type")) {
      e->content_type = parse_header_value(ct->value);
      if (auto mt = parse_media_type(e->content_type.token)) {
        e->type = *mt;
        e->declared_type = mt->mime();
      } else {
        defects.add("malformed Content-Type '" + printable_excerpt(ct->value) + "'; treated as text/plain");
      }
    } else if (in_digest) {
      e->type = MediaType{"message", "rfc822"};
    }
    if (const HeaderField* cd = e->headers.find("Content-Disposition")) {
      e->disposition = parse_header_value(cd->value);
    }
    if (headers_only) break;

    if (e->type.type == "multipart") {
      auto boundary = param_value(e->content_type, "boundary");
      if (!boundary || boundary->empty()) {
        boundary = guess_boundary(e->body);
        if (boundary) {
          defects.add(e->type.mime() + " without a boundary parameter; took the boundary from the body");
        } else {
          defects.add(e->type.mime() + " without a boundary parameter; read as text/plain");
          e->type = MediaType{};
          continue;
        }
      }
      if (e->depth >= max_depth) {
        if (!depth_reported) {
          defects.add("MIME nesting deeper than " + std::to_string(max_depth) + " levels; deeper parts ignored");
          depth_reported = true;
        }
        tree.limit_exceeded = true;
        e->body = {};
        continue;
      }
      const std::size_t room = max_parts > tree.entities.size() ? max_parts - tree.entities.size() : 0;
      Split split = split_multipart(e->body, *boundary, room);
      if (!split.found_delimiter) {
        defects.add("no MIME boundary found in " + e->type.mime() + " body; read as text/plain");
        e->type = MediaType{};
        continue;
      }
      if (!split.found_close && !split.truncated) defects.add("missing closing MIME boundary");
      if (split.truncated) {
        if (!parts_reported) {
          defects.add("more than " + std::to_string(max_parts) + " MIME parts; the rest ignored");
          parts_reported = true;
        }
        tree.limit_exceeded = true;
      }
      const std::size_t depth = e->depth + 1;
      std::vector<std::size_t> children;
      for (const std::string_view part : split.parts) {
        if (tree.entities.size() >= max_parts) break;
        SplitEntity s = split_entity(part, defects, false);
        Entity child;
        child.headers = std::move(s.headers);
        child.body = s.body;
        child.depth = depth;
        child.parent = index;
        children.push_back(tree.entities.size());
        tree.entities.push_back(std::move(child));
      }
      tree.entities[index].children = children;
      // Reverse so that the first part is typed first (only matters for defect order).
      for (auto it = children.rbegin(); it != children.rend(); ++it) pending.push_back(*it);
      continue;
    }

    if (e->type.type == "message" && (e->type.subtype == "rfc822" || e->type.subtype == "global")) {
      // Attached messages (disposition attachment) are read too: they are listed as files
      // and summarised in InboundMessage::attached_messages, never mixed into the text.
      if (e->depth >= max_depth) {
        if (!depth_reported) {
          defects.add("MIME nesting deeper than " + std::to_string(max_depth) + " levels; deeper parts ignored");
          depth_reported = true;
        }
        tree.limit_exceeded = true;
        continue;
      }
      if (tree.entities.size() >= max_parts) {
        if (!parts_reported) {
          defects.add("more than " + std::to_string(max_parts) + " MIME parts; the rest ignored");
          parts_reported = true;
        }
        tree.limit_exceeded = true;
        continue;
      }
      std::string_view inner = e->body;
      // RFC 2046 §5.2.1 forbids encoding message/rfc822, but some senders base64 it anyway.
      const HeaderField* cte = e->headers.find("Content-Transfer-Encoding");
      const TransferEncoding enc = cte ? transfer_encoding_from(cte->value) : TransferEncoding::kIdentity;
      if (enc == TransferEncoding::kBase64 || enc == TransferEncoding::kQuotedPrintable) {
        tree.owned.push_back(decode_transfer(inner, enc));
        inner = tree.owned.back();
      }
      const std::size_t depth = e->depth + 1;
      SplitEntity s = split_entity(inner, defects, true);
      Entity child;
      child.headers = std::move(s.headers);
      child.body = s.body;
      child.depth = depth;
      child.parent = index;
      const std::size_t child_index = tree.entities.size();
      tree.entities.push_back(std::move(child));
      tree.entities[index].children = {child_index};
      pending.push_back(child_index);
    }
  }
  return tree;
}

}  // namespace complaintd::parser
