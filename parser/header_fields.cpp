#include "parser/header_fields.hpp"

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

// RFC 5322 §3.6.8: ftext is printable US-ASCII except ':'.
bool is_ftext(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && c != ':';
}

// Length of the field name when `line` starts a field, else 0. Whitespace between the name
// and the colon is obsolete syntax (RFC 5322 §4.5) that we still accept.
std::size_t field_name_length(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_ftext(line[i])) ++i;
  const std::size_t name_len = i;
  if (name_len == 0) return 0;
  while (i < line.size() && is_wsp(line[i])) ++i;
  return (i < line.size() && line[i] == ':') ? name_len : 0;
}

struct Line {
  std::string_view text;  // without the line ending
  std::size_t next = 0;   // offset of the following line
};

Line line_at(std::string_view s, std::size_t pos) {
  const std::size_t nl = s.find('\n', pos);
  const std::size_t end = nl == std::string_view::npos ? s.size() : nl;
  std::string_view text = s.substr(pos, end - pos);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return {text, nl == std::string_view::npos ? s.size() : nl + 1};
}

}  // namespace

const HeaderField* HeaderFields::find(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

std::size_t HeaderFields::count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) ++n;
  }
  return n;
}

std::vector<const HeaderField*> HeaderFields::find_all(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) out.push_back(&f);
  }
  return out;
}

SplitEntity split_entity(std::string_view entity, Defects& defects, bool message) {
  SplitEntity out;
  std::size_t pos = 0;
  if (message && entity.substr(0, 5) == "From ") pos = line_at(entity, 0).next;  // mbox envelope

  std::string name;
  std::string value;
  bool have_field = false;
  auto finish_field = [&]() {
    if (have_field) out.headers.add({std::move(name), std::string(trim(value))});
    name.clear();
    value.clear();
    have_field = false;
  };

  while (pos < entity.size()) {
    const Line line = line_at(entity, pos);
    if (line.text.empty()) {  // the empty line that ends the header section
      finish_field();
      out.body = entity.substr(line.next);
      return out;
    }
    if (is_wsp(line.text.front())) {
      // Unfolding removes the line break and keeps the whitespace (RFC 5322 §2.2.3).
      if (have_field) {
        value.append(line.text);
      } else if (!message && out.headers.empty()) {
        out.body = entity.substr(pos);  // a part with no header section, starting indented
        return out;
      } else {
        defects.add("header section starts with a folded line; ignored it");
      }
      pos = line.next;
      continue;
    }
    const std::size_t name_len = field_name_length(line.text);
    if (name_len == 0) {
      finish_field();
      // A part that starts straight with content is common and harmless (RFC 2046 §5.1.1
      // allows a part with no header fields only with the empty line, but senders skip it).
      if (message || !out.headers.empty()) {
        defects.add("header line without a colon; treated it as the start of the body");
      }
      out.body = entity.substr(pos);
      return out;
    }
    finish_field();
    name = std::string(line.text.substr(0, name_len));
    const std::size_t colon = line.text.find(':', name_len);
    value = std::string(line.text.substr(colon + 1));
    have_field = true;
    pos = line.next;
  }
  finish_field();
  out.body = entity.substr(entity.size());
  return out;
}

}  // namespace complaintd::parser
