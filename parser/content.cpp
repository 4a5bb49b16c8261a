#include "parser/content.hpp"

#include <array>
#include <optional>

#include "parser/addresses.hpp"
#include "parser/charset.hpp"
#include "parser/digest.hpp"
#include "parser/flowed.hpp"
#include "parser/html_text.hpp"
#include "parser/text_util.hpp"
#include "parser/tnef.hpp"
#include "parser/transfer_encoding.hpp"

namespace complaintd::parser {
namespace {

enum class TextKind { kNone, kPlain, kHtml };

struct Picked {
  std::string text;
  TextKind kind = TextKind::kNone;
};

bool blank(std::string_view s) { return trim(s).empty(); }

std::string decoded_body(const Entity& e, Defects& defects) {
  const HeaderField* cte = e.headers.find("Content-Transfer-Encoding");
  if (cte == nullptr) return std::string(e.body);
  const TransferEncoding enc = transfer_encoding_from(cte->value);
  if (enc == TransferEncoding::kUnknown) {
    defects.add("unknown Content-Transfer-Encoding '" + printable_excerpt(trim(cte->value)) +
                "'; used the body as is");
  }
  if (enc == TransferEncoding::kBase64 && !looks_like_base64(e.body)) {
    defects.add("a " + e.type.mime() + " part declared base64 is not base64; used it as is");
    return std::string(e.body);
  }
  bool malformed = false;
  std::string out = decode_transfer(e.body, enc, &malformed);
  if (malformed) {
    defects.add(std::string(enc == TransferEncoding::kBase64 ? "malformed base64" : "malformed quoted-printable") +
                " in a " + e.type.mime() + " part");
  }
  return out;
}

std::optional<std::string> filename(const Entity& e, Defects& defects) {
  auto name = text_param(e.disposition, "filename", defects);
  if (!name || trim(*name).empty()) name = text_param(e.content_type, "name", defects);
  if (name) *name = std::string(trim(*name));
  if (name && name->empty()) return std::nullopt;
  return name;
}

// A message sent as a file (an attached .eml): listed as an attachment and summarised in
// InboundMessage::attached_messages, never read into the text.
bool is_attached_message(const Entity& e) {
  return e.type.type == "message" && e.disposition.token == "attachment";
}

bool is_container(const Entity& e) {
  return e.type.type == "multipart" || (!e.children.empty() && e.type.type == "message");
}

// RFC 2183: disposition "attachment", or anything with a file name, or media no one reads
// inline. The message itself counts only when it is such a medium (a bare PDF, say).
bool is_attachment(const Entity& e, bool root, Defects& defects) {
  if (!root && is_attached_message(e)) return true;
  if (is_container(e)) return false;
  static constexpr std::array<std::string_view, 6> kBinary = {"application", "image", "audio",
                                                              "video", "font", "model"};
  bool binary = false;
  for (const auto t : kBinary) binary = binary || e.type.type == t;
  if (root) return binary;
  return binary || e.disposition.token == "attachment" || filename(e, defects).has_value();
}

// Text media that are data for programs rather than prose (RFC 5545, RFC 6350, RFC 6522...).
bool structured_text(std::string_view subtype) {
  static constexpr std::array<std::string_view, 14> kStructured = {
      "calendar", "x-vcalendar", "vcard", "x-vcard", "directory", "rfc822-headers", "css",
      "javascript", "ecmascript", "xml", "csv", "tab-separated-values", "rtf", "x-amp-html"};
  for (const auto s : kStructured) {
    if (subtype == s) return true;
  }
  return false;
}

bool readable_plain(const MediaType& t, bool root) {
  if (t.type != "text" || t.subtype == "html") return false;
  if (root) return true;  // a message of type text/anything is meant to be read
  return !structured_text(t.subtype);  // RFC 2046 §4.1.4: unknown text subtypes read as plain
}

std::string leaf_text(const Entity& e, bool html, Defects& defects) {
  const std::string bytes = decoded_body(e, defects);
  std::string charset = param_value(e.content_type, "charset").value_or("");
  if (html && trim(charset).empty()) charset = sniff_html_charset(bytes);
  std::string text = normalize_newlines(charset_to_utf8(bytes, charset, defects, "a " + e.type.mime() + " part"));
  if (html) return html_to_text(text, defects);
  // RFC 3676: format=flowed [; delsp=yes].
  if (iequals(trim(param_value(e.content_type, "format").value_or("")), "flowed")) {
    text = unflow(text, iequals(trim(param_value(e.content_type, "delsp").value_or("")), "yes"));
  }
  return text;
}

class Picker {
 public:
  /// `lenient`: also read inline text parts that carry a file name (some clients name every
  /// part, e.g. Content-Type: text/plain; name="msg.txt"); used when nothing else was found.
  Picker(const MimeTree& tree, Defects& defects, bool lenient)
      : tree_(tree), defects_(defects), lenient_(lenient) {}

  // Recursion depth is bounded by the tree depth, itself at most kHardMaxDepth.
  Picked pick(std::size_t index) {
    const Entity& e = tree_.entities[index];
    const bool root = index == 0;
    const bool named_inline_text = lenient_ && e.type.type == "text" && e.disposition.token != "attachment";
    if (!named_inline_text && is_attachment(e, root, defects_)) return {};
    if (e.type.type == "multipart") return pick_multipart(e);
    if (e.type.type == "message") {
      if (e.children.empty()) return {};
      return pick(e.children.front());
    }
    if (e.type.type == "text" && e.type.subtype == "html") return {leaf_text(e, true, defects_), TextKind::kHtml};
    if (readable_plain(e.type, root)) return {leaf_text(e, false, defects_), TextKind::kPlain};
    return {};
  }

 private:
  Picked pick_multipart(const Entity& e) {
    const std::string& sub = e.type.subtype;
    if (e.children.empty()) return {};
    if (sub == "alternative") {
      std::optional<Picked> html;
      for (const std::size_t child : e.children) {
        Picked p = pick(child);
        if (p.kind == TextKind::kNone || blank(p.text)) continue;
        if (p.kind == TextKind::kPlain) return p;
        if (p.kind == TextKind::kHtml && !html) html = std::move(p);
      }
      return html ? std::move(*html) : Picked{};
    }
    if (sub == "encrypted") {
      defects_.add("encrypted message; its text cannot be read");
      return {};
    }
    // RFC 2387 related: the root is the first part. RFC 1847 signed: the first part is the
    // content. RFC 6522 report: the first part is the human-readable explanation.
    if (sub == "related" || sub == "signed" || sub == "report") return pick(e.children.front());
    // mixed, digest, parallel and unknown subtypes (RFC 2046 §5.1.7: treat as mixed).
    Picked all;
    for (const std::size_t child : e.children) {
      Picked p = pick(child);
      if (p.kind == TextKind::kNone || blank(p.text)) continue;
      if (!all.text.empty()) all.text += "\n\n";
      all.text += trim(p.text);
      if (all.kind != TextKind::kPlain) all.kind = p.kind;
    }
    return all;
  }

  const MimeTree& tree_;
  Defects& defects_;
  bool lenient_;
};

std::string tidy(std::string_view text) {
  // Leading blank lines and trailing whitespace carry nothing; inner layout is kept.
  std::size_t start = 0;
  while (true) {
    std::size_t k = start;
    while (k < text.size() && is_wsp(text[k])) ++k;
    if (k < text.size() && text[k] == '\n') {
      start = k + 1;
    } else {
      break;
    }
  }
  text.remove_prefix(std::min(start, text.size()));
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool is_tnef_part(const Attachment& a) {
  return a.content_type == "application/ms-tnef" || a.content_type == "application/vnd.ms-tnef" ||
         iequals(a.filename, "winmail.dat");
}

// Files inside TNEF carry only a name; the type follows from the extension for the files
// complainants send most, so a coordinator sees "application/pdf" rather than a guess.
std::string type_from_extension(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes = {{
      {"pdf", "application/pdf"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"png", "image/png"},
      {"gif", "image/gif"}, {"txt", "text/plain"}, {"rtf", "application/rtf"}, {"htm", "text/html"},
      {"html", "text/html"}, {"doc", "application/msword"}, {"zip", "application/zip"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xls", "application/vnd.ms-excel"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"eml", "message/rfc822"}, {"msg", "application/vnd.ms-outlook"},
  }};
  const auto dot = name.rfind('.');
  if (dot != std::string_view::npos) {
    const std::string ext = to_lower_ascii(name.substr(dot + 1));
    for (const auto& [e, type] : kTypes) {
      if (ext == e) return std::string(type);
    }
  }
  return "application/octet-stream";
}

std::vector<Attachment> tnef_files(const Attachment& tnef, std::size_t max_files, Defects& defects) {
  std::vector<Attachment> out;
  const std::string label = tnef.filename.empty() ? std::string("winmail.dat") : tnef.filename;
  auto contents = read_tnef(tnef.content, max_files);
  if (!contents) {
    defects.add("attachment '" + printable_excerpt(label) + "' is labelled TNEF but is not; kept as it is");
    return out;
  }
  if (!contents->problem.empty()) defects.add(contents->problem + " in '" + printable_excerpt(label) + "'");
  for (auto& f : contents->files) {
    Attachment a;
    a.content_type = type_from_extension(f.name);
    a.filename = std::move(f.name);
    a.content = std::move(f.content);
    a.size = a.content.size();
    a.sha256 = sha256_hex(a.content);
    a.container = label;
    out.push_back(std::move(a));
  }
  return out;
}

std::string content_id(const Entity& e, Defects& defects) {
  const HeaderField* f = e.headers.find("Content-ID");
  if (f == nullptr) return {};
  // 8-bit bytes in an identifier are damage, but the rest of it still matches the cid:
  // reference in the HTML; read them like other raw header bytes.
  bool guessed = false;
  const std::string value = guess_to_utf8(f->value, &guessed);
  if (guessed) defects.add("Content-ID is not UTF-8; read as windows-1252");
  auto ids = parse_msg_ids(value);
  if (!ids.empty()) return ids.front();
  return std::string(trim(value));
}

// RFC 2183 inline, or (without a disposition) a part HTML refers to by Content-ID inside
// multipart/related (RFC 2387): the images of HTML mail.
bool shown_inline(const MimeTree& tree, std::size_t index, const std::string& cid) {
  const Entity& e = tree.entities[index];
  if (e.disposition.token == "inline") return true;
  if (!e.disposition.token.empty() || cid.empty() || index == 0) return false;
  const Entity& parent = tree.entities[e.parent];
  return parent.type.type == "multipart" && parent.type.subtype == "related";
}

}  // namespace

std::string readable_text(const MimeTree& tree, std::size_t index, Defects& defects) {
  if (index >= tree.entities.size()) return {};
  std::string text = tidy(Picker(tree, defects, false).pick(index).text);
  if (text.empty()) text = tidy(Picker(tree, defects, true).pick(index).text);
  return text;
}

std::optional<std::string> part_filename(const Entity& e, Defects& defects) { return filename(e, defects); }

Content extract_content(const MimeTree& tree, std::size_t max_parts, Defects& defects) {
  Content out;
  if (tree.entities.empty()) return out;
  out.text = readable_text(tree, 0, defects);

  // Attachments in document order: an explicit stack keeps this walk iterative.
  std::vector<std::size_t> stack{0};
  while (!stack.empty()) {
    const std::size_t index = stack.back();
    stack.pop_back();
    const Entity& e = tree.entities[index];
    if (is_attachment(e, index == 0, defects)) {
      Attachment a;
      a.filename = filename(e, defects).value_or("");
      a.content_type = e.type.mime();
      a.content = decoded_body(e, defects);
      a.size = a.content.size();
      a.sha256 = sha256_hex(a.content);
      a.content_id = content_id(e, defects);
      a.is_inline = shown_inline(tree, index, a.content_id);
      std::vector<Attachment> inside;
      if (is_tnef_part(a)) {
        const std::size_t room = max_parts > out.attachments.size() ? max_parts - out.attachments.size() - 1 : 0;
        inside = tnef_files(a, room, defects);
      }
      out.attachments.push_back(std::move(a));
      for (auto& f : inside) out.attachments.push_back(std::move(f));
      continue;
    }
    for (auto it = e.children.rbegin(); it != e.children.rend(); ++it) stack.push_back(*it);
  }
  return out;
}

}  // namespace complaintd::parser
