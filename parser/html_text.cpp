#include "parser/html_text.hpp"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <vector>

#include "parser/html_render.hpp"
#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

// gumbo 0.10 checks scope by scanning the stack of open elements, so deeply nested block
// elements cost O(depth²): 100 000 nested <div>s take ~20 s. Beyond these bounds the
// linear stripper below is used instead.
constexpr std::size_t kMaxGumboBytes = 4u * 1024u * 1024u;
constexpr std::size_t kMaxGumboDepth = 1000;

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_ASIDE: case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD: case GUMBO_TAG_DETAILS: case GUMBO_TAG_DIR: case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_FIELDSET: case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE: case GUMBO_TAG_FOOTER: case GUMBO_TAG_FORM: case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP: case GUMBO_TAG_LI: case GUMBO_TAG_MAIN: case GUMBO_TAG_MENU:
    case GUMBO_TAG_NAV: case GUMBO_TAG_SECTION: case GUMBO_TAG_TR: case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_SUMMARY: case GUMBO_TAG_BODY:
      return true;
    default:
      return false;
  }
}

// Elements that read as separate paragraphs: a blank line before and after.
bool is_paragraph(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE:
    case GUMBO_TAG_TABLE: case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_HR:
      return true;
    default:
      return false;
  }
}

std::string link_target(std::string_view href) {
  const std::string url(trim(href));
  // Only targets a person could follow; "javascript:" and fragments say nothing.
  for (const std::string_view scheme : {"http://", "https://", "mailto:", "ftp://"}) {
    if (istarts_with(url, scheme)) return url;
  }
  return {};
}

// Rough nesting depth of `html`: start tags minus end tags, ignoring void elements and
// elements whose end tag is implied by a sibling (so sloppy "<p>x<p>y" does not count).
std::size_t estimate_depth(std::string_view html) {
  static constexpr std::array<std::string_view, 22> kUncounted = {
      "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
      "source", "track", "wbr", "p", "li", "td", "th", "tr", "option", "dt", "dd"};
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    ++i;
    const bool closing = i < html.size() && html[i] == '/';
    if (closing) ++i;
    std::size_t j = i;
    while (j < html.size() && ((html[j] >= 'a' && html[j] <= 'z') || (html[j] >= 'A' && html[j] <= 'Z') ||
                               (html[j] >= '0' && html[j] <= '9'))) {
      ++j;
    }
    if (j == i) continue;
    const std::string_view name = html.substr(i, j - i);
    i = j;
    // No allocation per tag: this runs over every HTML part before it is read.
    if (name.size() <= 6) {
      std::array<char, 6> buf{};
      for (std::size_t k = 0; k < name.size() && k < buf.size(); ++k) buf[k] = ascii_lower(name[k]);
      const std::string_view lower(buf.data(), name.size());
      if (std::find(kUncounted.begin(), kUncounted.end(), lower) != kUncounted.end()) continue;
    }
    if (closing) {
      if (depth > 0) --depth;
    } else {
      max_depth = std::max(max_depth, ++depth);
    }
  }
  return max_depth;
}

void decode_entity(std::string_view html, std::size_t& i, std::string& out) {
  // `i` is at '&'. Only the entities that matter in mail; others stay as written.
  struct Named {
    std::string_view name;
    char32_t cp;
  };
  static constexpr std::array<Named, 8> kNamed = {{{"amp", '&'}, {"lt", '<'}, {"gt", '>'},
                                                   {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
                                                   {"euro", 0x20AC}, {"copy", 0xA9}}};
  const std::size_t semi = html.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) {
    out.push_back('&');
    ++i;
    return;
  }
  const std::string_view name = html.substr(i + 1, semi - i - 1);
  if (!name.empty() && name[0] == '#') {
    char32_t cp = 0;
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    bool ok = name.size() > (hex ? 2u : 1u);
    for (std::size_t k = hex ? 2 : 1; ok && k < name.size(); ++k) {
      const char c = name[k];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) ok = false;
      else cp = cp * (hex ? 16u : 10u) + static_cast<char32_t>(d);
    }
    if (ok && cp > 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF)) {
      append_utf8(out, cp);
      i = semi + 1;
      return;
    }
  } else {
    for (const auto& e : kNamed) {
      if (iequals(name, e.name)) {
        append_utf8(out, e.cp);
        i = semi + 1;
        return;
      }
    }
  }
  out.push_back('&');
  ++i;
}

// Linear fallback: drops tags (and script/style content), turns block tags into line
// breaks, decodes common entities.
std::string strip_tags(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      decode_entity(html, i, out);
      continue;
    }
    const char next = i + 1 < html.size() ? html[i + 1] : '\0';
    const bool starts_tag = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
                            next == '/' || next == '!';
    if (c != '<' || !starts_tag) {
      out.push_back(is_space(c) ? ' ' : c);
      ++i;
      continue;
    }
    const std::size_t close = html.find('>', i);
    if (close == std::string_view::npos) break;
    std::string_view tag = html.substr(i + 1, close - i - 1);
    i = close + 1;
    const bool end_tag = !tag.empty() && tag[0] == '/';
    if (end_tag) tag.remove_prefix(1);
    std::size_t n = 0;
    while (n < tag.size() && !is_space(tag[n]) && tag[n] != '/' && tag[n] != '>') ++n;
    const std::string name = to_lower_ascii(tag.substr(0, n));
    if (!end_tag && (name == "script" || name == "style")) {
      const std::size_t end = html.find("</", i);
      // Skip to the matching end tag (case-insensitive search by hand).
      std::size_t k = end;
      while (k != std::string_view::npos && !istarts_with(html.substr(k + 2), name)) k = html.find("</", k + 2);
      if (k == std::string_view::npos) break;
      const std::size_t gt = html.find('>', k);
      i = gt == std::string_view::npos ? html.size() : gt + 1;
      continue;
    }
    static constexpr std::array<std::string_view, 14> kBreaking = {
        "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"};
    if (std::find(kBreaking.begin(), kBreaking.end(), name) != kBreaking.end()) out.push_back('\n');
  }
  // Collapse runs of spaces and of blank lines.
  std::string collapsed;
  collapsed.reserve(out.size());
  int newlines = 0;
  bool space = false;
  for (const char c : out) {
    if (c == '\n') {
      ++newlines;
      space = false;
      continue;
    }
    if (c == ' ') {
      space = true;
      continue;
    }
    if (newlines > 0 && !collapsed.empty()) collapsed.append(newlines > 1 ? "\n\n" : "\n");
    else if (space && !collapsed.empty()) collapsed.push_back(' ');
    newlines = 0;
    space = false;
    collapsed.push_back(c);
  }
  return collapsed;
}

struct Frame {
  const GumboNode* node;
  bool entered;
  std::size_t text_start;  // for links: where their text began
};

}  // namespace

namespace html {

bool is_dropped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_HEAD: case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TITLE: case GUMBO_TAG_IFRAME: case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_SELECT: case GUMBO_TAG_SVG: case GUMBO_TAG_MATH:
      return true;
    default:
      return false;
  }
}

void TextBuilder::text(std::string_view s, bool preformatted) {
  if (preformatted) {
    for (const char c : s) {
      if (c == '\n') {
        newline();
      } else {
        put(c);
      }
    }
    return;
  }
  // Whole stretches at a time: a single ' ' between two words is already what collapsing
  // would write, so only other whitespace (runs, tabs, newlines, the ends) breaks a stretch.
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    if (is_space(s[i])) {
      space_ = true;
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < n) {
      if (!is_space(s[end])) {
        ++end;
      } else if (s[end] == ' ' && end + 1 < n && !is_space(s[end + 1])) {
        end += 2;
      } else {
        break;
      }
    }
    if (space_ && !out_.empty() && out_.back() != '\n') out_.push_back(' ');
    space_ = false;
    out_.append(s.substr(i, end - i));
    i = end;
  }
}

void TextBuilder::breaks(int n) {
  space_ = false;
  if (out_.empty()) return;
  int have = 0;
  for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
  for (; have < n; ++have) out_.push_back('\n');
}

std::string TextBuilder::take() {
  if (out_.find("\xC2\xA0") == std::string::npos) return std::move(out_);
  std::string out;
  out.reserve(out_.size());
  for (std::size_t k = 0; k < out_.size(); ++k) {
    if (out_[k] == '\xC2' && k + 1 < out_.size() && out_[k + 1] == '\xA0') {
      out.push_back(' ');
      ++k;
    } else {
      out.push_back(out_[k]);
    }
  }
  out_.clear();
  return out;
}

std::size_t enter_element(TextBuilder& b, GumboTag tag, int& pre_depth) {
  if (is_paragraph(tag)) b.breaks(2);
  else if (is_block(tag)) b.breaks(1);
  if (tag == GUMBO_TAG_BR) b.newline();
  if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) b.cell_separator();
  if (tag == GUMBO_TAG_LI) b.text("- ", false);
  if (tag == GUMBO_TAG_PRE) ++pre_depth;
  return b.size();
}

void leave_element(TextBuilder& b, GumboTag tag, std::size_t text_start, std::optional<std::string_view> href,
                   int& pre_depth) {
  if (tag == GUMBO_TAG_A) {
    const std::string url = href ? link_target(*href) : std::string();
    const std::string_view label = trim(b.since(text_start));
    std::string_view bare = url;
    if (istarts_with(bare, "mailto:")) bare.remove_prefix(7);
    if (!url.empty() && !label.empty() && label != url && label != bare) {
      b.text(" (" + url + ")", false);
    }
  }
  if (tag == GUMBO_TAG_PRE) --pre_depth;
  if (is_paragraph(tag)) b.breaks(2);
  else if (is_block(tag)) b.breaks(1);
}

std::string gumbo_text(std::string_view html) {
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // we never look at parse errors; do not collect them
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  if (output == nullptr) return strip_tags(html);

  TextBuilder b;
  int pre_depth = 0;
  // Iterative walk: the tree can be a thousand levels deep.
  std::vector<Frame> stack{{output->root, false, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const GumboNode* node = f.node;
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
        node->type == GUMBO_NODE_WHITESPACE) {
      b.text(node->v.text.text, pre_depth > 0);
      stack.pop_back();
      continue;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT &&
        node->type != GUMBO_NODE_TEMPLATE) {
      stack.pop_back();  // comments
      continue;
    }
    const GumboVector& children =
        node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
    const GumboTag tag = node->type == GUMBO_NODE_DOCUMENT ? GUMBO_TAG_UNKNOWN : node->v.element.tag;
    if (!f.entered) {
      f.entered = true;
      if (node->type != GUMBO_NODE_DOCUMENT && is_dropped(tag)) {
        stack.pop_back();
        continue;
      }
      f.text_start = enter_element(b, tag, pre_depth);
      // Push children in reverse so the first child is handled first.
      for (unsigned k = children.length; k > 0; --k) {
        stack.push_back({static_cast<const GumboNode*>(children.data[k - 1]), false, 0});
      }
      continue;
    }
    // Leaving the element.
    std::optional<std::string_view> href;
    if (tag == GUMBO_TAG_A) {
      const GumboAttribute* a = gumbo_get_attribute(&node->v.element.attributes, "href");
      if (a != nullptr && a->value != nullptr) href = a->value;
    }
    leave_element(b, tag, f.text_start, href, pre_depth);
    stack.pop_back();
  }
  gumbo_destroy_output(&options, output);
  return b.take();
}

}  // namespace html

std::string html_to_text(std::string_view html, Defects& defects) {
  std::string text;
  if (html.size() > kMaxGumboBytes) {
    defects.add("HTML part too large to render; tags were stripped instead");
    text = strip_tags(html);
  } else if (estimate_depth(html) > kMaxGumboDepth) {
    defects.add("HTML part nested too deeply to render; tags were stripped instead");
    text = strip_tags(html);
  } else {
    // The streaming reader covers the plain HTML that mail is made of, ten times faster;
    // gumbo reads whatever it declines (issue 3).
    auto fast = html::fast_text(html);
    text = fast ? std::move(*fast) : html::gumbo_text(html);
  }
  // Trailing spaces on lines and blank runs longer than one line are layout noise.
  std::string out;
  out.reserve(text.size());
  std::size_t blank = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line = std::string_view(text).substr(start, nl - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) {
      ++blank;
    } else {
      if (!out.empty()) out.append(blank > 0 ? "\n\n" : "\n");
      blank = 0;
      out.append(line);
    }
    start = nl + 1;
  }
  return out;
}

std::string sniff_html_charset(std::string_view html) {
  const std::string head = to_lower_ascii(html.substr(0, 2048));
  std::size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    const std::size_t end = head.find('>', pos);
    const std::string_view tag =
        std::string_view(head).substr(pos, (end == std::string::npos ? head.size() : end) - pos);
    pos += 5;
    const std::size_t cs = tag.find("charset");
    if (cs == std::string_view::npos) continue;
    std::size_t k = cs + 7;
    while (k < tag.size() && (is_space(tag[k]) || tag[k] == '=' || tag[k] == '"' || tag[k] == '\'')) ++k;
    std::size_t e = k;
    while (e < tag.size() && !is_space(tag[e]) && tag[e] != '"' && tag[e] != '\'' && tag[e] != ';' &&
           tag[e] != '/' && tag[e] != '>') {
      ++e;
    }
    if (e > k) return std::string(tag.substr(k, e - k));
  }
  return {};
}

}  // namespace complaintd::parser
