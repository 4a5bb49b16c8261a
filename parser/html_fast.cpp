// A one-pass reader for the plain HTML that mail is made of, giving exactly the text that
// gumbo's tree would (html_render.hpp), about ten times faster (issue 3: gumbo was 66% of
// the time of an HTML-only message).
//
// It follows the HTML Standard's tokenizer (§13.2.5) and the parts of tree construction
// (§13.2.6, "in body", "in table", "in row", "in cell") that well-formed and mildly sloppy
// mail needs: implied </p> and </li>, headings, tables with implied <tbody>, cells and rows
// closed by the next one. Wherever the tree builder would do something a stack cannot
// (the adoption agency for misnested <b>/<a>, reconstructing formatting elements, foster
// parenting text out of a table, quirks-mode tables, foreign content, forms, <pre>'s first
// newline …) or the input holds something it does not decode (an entity outside its
// table, NUL, invalid UTF-8), it gives up and gumbo reads the whole part. Giving up is
// always safe; guessing is not. tests/parser/html_fast_test.cpp holds the two readers to
// the same output over the fixtures, the shared corpus and a catalogue of edge cases.

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/html_render.hpp"
#include "parser/text_util.hpp"

namespace complaintd::parser::html {
namespace {

// HTML's whitespace (§13.2.5: tab, LF, FF, CR, space), not is_space().
constexpr bool is_html_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

struct Entity {
  std::string_view name;
  char32_t cp;
  bool legacy;  // also recognised without the ';' (the HTML 4 Latin-1 set and a few more)
};

// Named character references this reader decodes: every one that is also valid without
// its ';' (so a bare "&copy" or "&amp" can be told from plain text, §13.2.5.73) and the
// punctuation mail uses. Any other name sends the part to gumbo, which has all 2,231.
constexpr std::array<Entity, 127> kEntities = {{
    {"amp", '&', true},       {"AMP", '&', true},       {"lt", '<', true},        {"LT", '<', true},
    {"gt", '>', true},        {"GT", '>', true},        {"quot", '"', true},      {"QUOT", '"', true},
    {"COPY", 0xA9, true},     {"REG", 0xAE, true},      {"nbsp", 0xA0, true},     {"iexcl", 0xA1, true},
    {"cent", 0xA2, true},     {"pound", 0xA3, true},    {"curren", 0xA4, true},   {"yen", 0xA5, true},
    {"brvbar", 0xA6, true},   {"sect", 0xA7, true},     {"uml", 0xA8, true},      {"copy", 0xA9, true},
    {"ordf", 0xAA, true},     {"laquo", 0xAB, true},    {"not", 0xAC, true},      {"shy", 0xAD, true},
    {"reg", 0xAE, true},      {"macr", 0xAF, true},     {"deg", 0xB0, true},      {"plusmn", 0xB1, true},
    {"sup2", 0xB2, true},     {"sup3", 0xB3, true},     {"acute", 0xB4, true},    {"micro", 0xB5, true},
    {"para", 0xB6, true},     {"middot", 0xB7, true},   {"cedil", 0xB8, true},    {"sup1", 0xB9, true},
    {"ordm", 0xBA, true},     {"raquo", 0xBB, true},    {"frac14", 0xBC, true},   {"frac12", 0xBD, true},
    {"frac34", 0xBE, true},   {"iquest", 0xBF, true},   {"Agrave", 0xC0, true},   {"Aacute", 0xC1, true},
    {"Acirc", 0xC2, true},    {"Atilde", 0xC3, true},   {"Auml", 0xC4, true},     {"Aring", 0xC5, true},
    {"AElig", 0xC6, true},    {"Ccedil", 0xC7, true},   {"Egrave", 0xC8, true},   {"Eacute", 0xC9, true},
    {"Ecirc", 0xCA, true},    {"Euml", 0xCB, true},     {"Igrave", 0xCC, true},   {"Iacute", 0xCD, true},
    {"Icirc", 0xCE, true},    {"Iuml", 0xCF, true},     {"ETH", 0xD0, true},      {"Ntilde", 0xD1, true},
    {"Ograve", 0xD2, true},   {"Oacute", 0xD3, true},   {"Ocirc", 0xD4, true},    {"Otilde", 0xD5, true},
    {"Ouml", 0xD6, true},     {"times", 0xD7, true},    {"Oslash", 0xD8, true},   {"Ugrave", 0xD9, true},
    {"Uacute", 0xDA, true},   {"Ucirc", 0xDB, true},    {"Uuml", 0xDC, true},     {"Yacute", 0xDD, true},
    {"THORN", 0xDE, true},    {"szlig", 0xDF, true},    {"agrave", 0xE0, true},   {"aacute", 0xE1, true},
    {"acirc", 0xE2, true},    {"atilde", 0xE3, true},   {"auml", 0xE4, true},     {"aring", 0xE5, true},
    {"aelig", 0xE6, true},    {"ccedil", 0xE7, true},   {"egrave", 0xE8, true},   {"eacute", 0xE9, true},
    {"ecirc", 0xEA, true},    {"euml", 0xEB, true},     {"igrave", 0xEC, true},   {"iacute", 0xED, true},
    {"icirc", 0xEE, true},    {"iuml", 0xEF, true},     {"eth", 0xF0, true},      {"ntilde", 0xF1, true},
    {"ograve", 0xF2, true},   {"oacute", 0xF3, true},   {"ocirc", 0xF4, true},    {"otilde", 0xF5, true},
    {"ouml", 0xF6, true},     {"divide", 0xF7, true},   {"oslash", 0xF8, true},   {"ugrave", 0xF9, true},
    {"uacute", 0xFA, true},   {"ucirc", 0xFB, true},    {"uuml", 0xFC, true},     {"yacute", 0xFD, true},
    {"thorn", 0xFE, true},    {"yuml", 0xFF, true},     {"apos", '\'', false},    {"euro", 0x20AC, false},
    {"trade", 0x2122, false}, {"ndash", 0x2013, false}, {"mdash", 0x2014, false}, {"lsquo", 0x2018, false},
    {"rsquo", 0x2019, false}, {"sbquo", 0x201A, false}, {"ldquo", 0x201C, false}, {"rdquo", 0x201D, false},
    {"bdquo", 0x201E, false}, {"hellip", 0x2026, false}, {"bull", 0x2022, false}, {"dagger", 0x2020, false},
    {"ensp", 0x2002, false},  {"emsp", 0x2003, false},  {"thinsp", 0x2009, false}, {"zwnj", 0x200C, false},
    {"zwj", 0x200D, false},   {"lrm", 0x200E, false},   {"rlm", 0x200F, false},
}};

const Entity* find_entity(std::string_view name) {
  for (const auto& e : kEntities) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// A numeric reference this reader decodes as is: printable, not a C1 control (those map
// through windows-1252), surrogate, noncharacter or out of range (§13.2.5.80).
bool plain_code_point(char32_t cp) {
  if (cp == '\t' || cp == '\n') return true;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;
  if ((cp & 0xFFFE) == 0xFFFE) return false;
  return cp <= 0x10FFFF;
}

// Input the tokenizer's preprocessing (§13.2.3.5) and gumbo's UTF-8 reader take as it is:
// valid UTF-8 without a byte order mark, CR, FF, NUL, other controls or noncharacters
// (which gumbo may replace or report). Mail reaches html_to_text with LF line ends, so CR is rare.
bool plain_input(std::string_view s) {
  if (!is_valid_utf8(s) || s.substr(0, 3) == "\xEF\xBB\xBF") return false;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    // Eight printable ASCII bytes at a time (no byte below 0x20 or above 0x7E).
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
      constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
      const std::uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
      const std::uint64_t del_or_high = ((w + 0x01 * kOnes) | w) & kHigh;
      if ((below_space | del_or_high) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c < 0x20) {
      // Form feed is HTML whitespace but not is_space(): where gumbo drops whitespace (before
      // <body>) it would still be written, so it is left to gumbo.
      if (c != '\t' && c != '\n') return false;
    } else if (c == 0x7F) {
      return false;
    } else if (c == 0xC2 && i + 1 < n && p[i + 1] < 0xA0) {
      return false;  // C1 controls
    } else if (c == 0xEF && i + 2 < n && p[i + 1] == 0xB7 && p[i + 2] >= 0x90 && p[i + 2] <= 0xAF) {
      return false;  // U+FDD0..U+FDEF
    } else if (c >= 0xEF) {
      // U+xFFFE and U+xFFFF in any plane: the last two bytes are BF BE or BF BF, and the
      // bits above them all ones.
      const std::size_t last = i + (c == 0xEF ? 2 : 3);
      if (last < n && p[last - 1] == 0xBF && (p[last] == 0xBE || p[last] == 0xBF) &&
          (c == 0xEF || (p[i + 1] & 0x0F) == 0x0F)) {
        return false;
      }
    }
  }
  return true;
}

enum class Mode { kBody, kTable, kTableBody, kRow, kCell };

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  std::optional<std::string> run() {
    if (!plain_input(in_)) return std::nullopt;
    while (ok_ && pos_ < in_.size()) {
      if (in_[pos_] == '<') {
        markup();
      } else {
        std::size_t end = in_.find('<', pos_);
        if (end == std::string_view::npos) end = in_.size();
        characters(in_.substr(pos_, end - pos_));
        pos_ = end;
      }
    }
    if (!ok_) return std::nullopt;
    while (!open_.empty()) pop();
    b_.breaks(1);  // </body>: gumbo's tree always ends with it
    return b_.take();
  }

 private:
  struct Open {
    GumboTag tag;
    std::string name;  // lower-case, for unknown elements
    std::size_t text_start;
    std::optional<std::string> href;
  };
  struct Tag {
    std::string name;  // lower-case
    GumboTag tag = GUMBO_TAG_UNKNOWN;
    bool end = false;
    std::optional<std::string> href;
  };

  bool fail() {
    ok_ = false;
    return false;
  }

  // ---- tokenizer ----

  void markup() {
    const std::string_view rest = in_.substr(pos_);
    if (rest.size() < 2) return literal_lt();
    const char next = rest[1];
    if (next == '!') return declaration();
    if (next == '?') return skip_to_gt(pos_ + 2);  // bogus comment, e.g. <?xml:namespace …>
    if (next == '/') {
      if (rest.size() < 3 || !is_alpha(rest[2])) return void(fail());  // "</>" and "</ …": rare rules
      Tag t;
      if (read_tag(pos_ + 2, true, t)) end_tag(t);
      return;
    }
    if (!is_alpha(next)) return literal_lt();
    Tag t;
    if (read_tag(pos_ + 1, false, t)) start_tag(t);
  }

  void literal_lt() {
    characters("<");
    ++pos_;
  }

  void skip_to_gt(std::size_t from) {
    const std::size_t gt = in_.find('>', from);
    if (gt == std::string_view::npos) return void(fail());
    pos_ = gt + 1;
  }

  void declaration() {
    const std::string_view rest = in_.substr(pos_);
    if (rest.substr(0, 4) == "<!--") {
      const std::string_view body = rest.substr(4);
      // "<!-->" and "<!--->" end at once (§13.2.5.43), "--!>" ends one too: rare, left to gumbo.
      if (body.substr(0, 1) == ">" || body.substr(0, 2) == "->") return void(fail());
      const std::size_t close = body.find("-->");
      if (close == std::string_view::npos || body.substr(0, close).find("--!>") != std::string_view::npos) {
        return void(fail());
      }
      pos_ += 4 + close + 3;
      return;
    }
    // <!DOCTYPE …> (quirks mode only changes whether <table> closes a <p>, which is
    // declined below) and bogus comments such as <![if !mso]> both end at the first '>'.
    skip_to_gt(pos_ + 2);
  }

  // Reads a tag from its name at `from` to its '>' (§13.2.5.6–13.2.5.40). Only a link's
  // href is kept; other attributes are read only to find where the tag ends.
  bool read_tag(std::size_t from, bool end, Tag& t) {
    t.end = end;
    std::size_t i = from;
    const std::size_t n = in_.size();
    while (i < n && !is_html_space(in_[i]) && in_[i] != '/' && in_[i] != '>') t.name.push_back(ascii_lower(in_[i++]));
    t.tag = gumbo_tagn_enum(t.name.data(), static_cast<unsigned>(t.name.size()));
    const bool want_href = !end && t.tag == GUMBO_TAG_A;
    std::vector<std::string_view> names;  // of a link's attributes, to find duplicates
    bool after_duplicate = false;
    for (;;) {
      while (i < n && (is_html_space(in_[i]) || in_[i] == '/')) ++i;
      if (i >= n) return fail();  // EOF in a tag: the tag is dropped, as is everything here
      if (in_[i] == '>') break;
      // Attribute name: a leading '=' belongs to it (§13.2.5.32).
      const std::size_t name_start = i++;
      while (i < n && !is_html_space(in_[i]) && in_[i] != '/' && in_[i] != '>' && in_[i] != '=') ++i;
      const std::string_view name = in_.substr(name_start, i - name_start);
      while (i < n && is_html_space(in_[i])) ++i;
      if (i >= n) return fail();
      std::string_view value;  // empty for an attribute without one
      if (in_[i] == '=') {
        ++i;
        while (i < n && is_html_space(in_[i])) ++i;
        if (i >= n) return fail();
        if (in_[i] == '"' || in_[i] == '\'') {
          const std::size_t close = in_.find(in_[i], i + 1);
          if (close == std::string_view::npos) return fail();
          value = in_.substr(i + 1, close - i - 1);
          i = close + 1;
        } else if (in_[i] != '>') {  // "name=>" has an empty value
          const std::size_t start = i;
          while (i < n && !is_html_space(in_[i]) && in_[i] != '>') ++i;
          value = in_.substr(start, i - start);
        }
      }
      // The spec keeps the first of duplicate attributes (§13.2.5.33), but gumbo 0.10 then
      // also loses the attribute after the duplicate, so such a link is left to gumbo: the
      // two readers must agree byte for byte.
      if (want_href) {
        if (after_duplicate) return fail();
        for (const std::string_view seen : names) after_duplicate = after_duplicate || iequals(seen, name);
        names.push_back(name);
      }
      if (want_href && !t.href && iequals(name, "href")) {
        std::string decoded;
        if (!decode(value, true, decoded)) return false;
        t.href = std::move(decoded);
      }
    }
    pos_ = i + 1;
    return true;
  }

  // Character references (§13.2.5.72–13.2.5.80) in text or an attribute value.
  bool decode(std::string_view s, bool attribute, std::string& out) {
    std::size_t i = 0;
    while (i < s.size()) {
      const std::size_t amp = s.find('&', i);
      out.append(s.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i));
      if (amp == std::string_view::npos) break;
      i = amp + 1;
      if (i < s.size() && s[i] == '#') {
        std::size_t k = i + 1;
        const bool hex = k < s.size() && (s[k] == 'x' || s[k] == 'X');
        if (hex) ++k;
        char32_t cp = 0;
        const std::size_t digits = k;
        for (; k < s.size() && k - digits < 8; ++k) {
          const char c = s[k];
          int d = -1;
          if (c >= '0' && c <= '9') d = c - '0';
          else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
          else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
          if (d < 0) break;
          cp = cp * (hex ? 16u : 10u) + static_cast<char32_t>(d);
        }
        if (k == digits || k >= s.size() || s[k] != ';' || !plain_code_point(cp)) return fail();
        append_utf8(out, cp);
        i = k + 1;
        continue;
      }
      std::size_t k = i;
      while (k < s.size() && is_alnum(s[k])) ++k;
      if (k == i) {
        out.push_back('&');  // not a reference: "&" before a space, "&&"
        continue;
      }
      const std::string_view name = s.substr(i, k - i);
      if (k < s.size() && s[k] == ';') {
        const Entity* e = find_entity(name);
        if (e == nullptr) return fail();
        append_utf8(out, e->cp);
        i = k + 1;
        continue;
      }
      // No ';': only the legacy names count, and in an attribute only when nothing
      // alphanumeric or '=' follows them ("?a=1&copy=2" stays as written).
      if (attribute) {
        const bool eq = k < s.size() && s[k] == '=';
        const Entity* e = find_entity(name);
        if (!eq && e != nullptr && e->legacy) return fail();
      } else {
        for (const auto& e : kEntities) {
          if (e.legacy && name.substr(0, e.name.size()) == e.name) return fail();
        }
      }
      out.push_back('&');
    }
    return true;
  }

  // Script, style and title: their text runs to the matching end tag (§13.2.5.2–13.2.5.4)
  // and is dropped.
  void raw_text(std::string_view name) {
    std::size_t i = pos_;
    for (;;) {
      const std::size_t lt = in_.find("</", i);
      if (lt == std::string_view::npos) {
        pos_ = in_.size();  // runs to the end: everything after is inside it
        return;
      }
      const std::size_t after = lt + 2 + name.size();
      if (after < in_.size() && iequals(in_.substr(lt + 2, name.size()), name) &&
          (is_html_space(in_[after]) || in_[after] == '/' || in_[after] == '>')) {
        // "<!--" inside a script changes where it ends (script data escaped states).
        if (name == "script" && in_.substr(pos_, lt - pos_).find("<!--") != std::string_view::npos) {
          return void(fail());
        }
        Tag t;
        read_tag(lt + 2, true, t);
        return;
      }
      i = lt + 2;
    }
  }

  // ---- tree construction ----

  Mode mode() const {
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      switch (it->tag) {
        case GUMBO_TAG_TD: case GUMBO_TAG_TH: return Mode::kCell;
        case GUMBO_TAG_TR: return Mode::kRow;
        case GUMBO_TAG_TBODY: case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT: return Mode::kTableBody;
        case GUMBO_TAG_TABLE: return Mode::kTable;
        default: break;
      }
    }
    return Mode::kBody;
  }

  void characters(std::string_view s) {
    std::string_view text = s;
    if (s.find('&') != std::string_view::npos) {
      scratch_.clear();
      if (!decode(s, false, scratch_)) return;
      text = scratch_;
    }
    const Mode m = mode();
    if (m == Mode::kTable || m == Mode::kTableBody || m == Mode::kRow) {
      // Text in a table outside its cells is moved before the table (foster parenting).
      if (!std::all_of(text.begin(), text.end(), is_html_space)) return void(fail());
    }
    b_.text(text, false);
  }

  void push(GumboTag tag, std::string_view name, std::optional<std::string> href = std::nullopt) {
    const std::size_t start = enter_element(b_, tag, pre_depth_);
    open_.push_back({tag, std::string(name), start, std::move(href)});
  }

  void pop() {
    Open& o = open_.back();
    std::optional<std::string_view> href;
    if (o.href) href = *o.href;
    leave_element(b_, o.tag, o.text_start, href, pre_depth_);
    open_.pop_back();
  }

  static bool is_formatting(GumboTag t) {
    switch (t) {
      case GUMBO_TAG_A: case GUMBO_TAG_B: case GUMBO_TAG_BIG: case GUMBO_TAG_CODE: case GUMBO_TAG_EM:
      case GUMBO_TAG_FONT: case GUMBO_TAG_I: case GUMBO_TAG_S: case GUMBO_TAG_SMALL: case GUMBO_TAG_STRIKE:
      case GUMBO_TAG_STRONG: case GUMBO_TAG_TT: case GUMBO_TAG_U:
        return true;
      default:
        return false;
    }
  }

  // Block elements whose start tag closes an open <p> and whose end tag closes whatever is
  // open inside them.
  static bool is_block_element(GumboTag t) {
    switch (t) {
      case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_ASIDE: case GUMBO_TAG_BLOCKQUOTE:
      case GUMBO_TAG_CENTER: case GUMBO_TAG_DIV: case GUMBO_TAG_DL: case GUMBO_TAG_FIELDSET:
      case GUMBO_TAG_FOOTER: case GUMBO_TAG_HEADER: case GUMBO_TAG_NAV: case GUMBO_TAG_OL:
      case GUMBO_TAG_SECTION: case GUMBO_TAG_UL:
        return true;
      default:
        return false;
    }
  }

  static bool is_heading(GumboTag t) {
    return t == GUMBO_TAG_H1 || t == GUMBO_TAG_H2 || t == GUMBO_TAG_H3 || t == GUMBO_TAG_H4 ||
           t == GUMBO_TAG_H5 || t == GUMBO_TAG_H6;
  }

  // Phrasing elements with no rules of their own ("any other start tag").
  static bool is_ordinary(GumboTag t) {
    switch (t) {
      case GUMBO_TAG_UNKNOWN: case GUMBO_TAG_SPAN: case GUMBO_TAG_ABBR: case GUMBO_TAG_CITE: case GUMBO_TAG_Q:
      case GUMBO_TAG_SUP: case GUMBO_TAG_SUB: case GUMBO_TAG_INS: case GUMBO_TAG_DEL: case GUMBO_TAG_MARK:
      case GUMBO_TAG_TIME: case GUMBO_TAG_VAR: case GUMBO_TAG_KBD: case GUMBO_TAG_SAMP: case GUMBO_TAG_DFN:
      case GUMBO_TAG_BDO: case GUMBO_TAG_LABEL:
        return true;
      default:
        return false;
    }
  }

  // The "special" category (§13.2.4.2) among the elements this reader keeps open.
  static bool is_special(GumboTag t) {
    return is_block_element(t) || is_heading(t) || t == GUMBO_TAG_P || t == GUMBO_TAG_LI || t == GUMBO_TAG_TABLE ||
           t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT || t == GUMBO_TAG_TR ||
           t == GUMBO_TAG_TD || t == GUMBO_TAG_TH;
  }

  static bool is_table_section(GumboTag t) {
    return t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT;
  }

  // Index of the nearest open element satisfying `match` before a scope boundary (§13.2.4.2:
  // the ones this reader keeps open are table, td and th; list-item scope adds ol and ul),
  // or -1.
  template <class Match>
  long find_in_scope(Match match, bool list_item = false) const {
    for (long k = static_cast<long>(open_.size()) - 1; k >= 0; --k) {
      const GumboTag t = open_[static_cast<std::size_t>(k)].tag;
      if (match(t)) return k;
      if (t == GUMBO_TAG_TABLE || t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) return -1;
      if (list_item && (t == GUMBO_TAG_OL || t == GUMBO_TAG_UL)) return -1;
    }
    return -1;
  }

  // Pops everything above open_[k] and it. A formatting element closed on the way would be
  // reconstructed by the tree builder at the next text: declined.
  void pop_through(long k) {
    for (auto i = static_cast<std::size_t>(k) + 1; i < open_.size(); ++i) {
      if (is_formatting(open_[i].tag)) return void(fail());
    }
    while (static_cast<long>(open_.size()) > k) pop();
  }

  void close_p_in_button_scope() {
    const long k = find_in_scope([](GumboTag t) { return t == GUMBO_TAG_P; });
    if (k >= 0) pop_through(k);
  }

  // Closes the current cell and all it holds: the tree builder clears formatting elements
  // back to the cell's marker, so nothing is reconstructed afterwards.
  void close_cell() {
    while (!open_.empty() && open_.back().tag != GUMBO_TAG_TD && open_.back().tag != GUMBO_TAG_TH) pop();
    if (!open_.empty()) pop();
  }

  void start_tag(const Tag& t) {
    const GumboTag tag = t.tag;
    const Mode m = mode();
    if (m == Mode::kCell && (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH || tag == GUMBO_TAG_TR ||
                             is_table_section(tag))) {
      close_cell();
      return table_start_tag(t, Mode::kRow);
    }
    if (m == Mode::kTable || m == Mode::kTableBody || m == Mode::kRow) return table_start_tag(t, m);
    switch (tag) {
      case GUMBO_TAG_HTML: case GUMBO_TAG_HEAD: case GUMBO_TAG_BODY:
        return;  // the tree always has them; their text goes to <body> whatever the tags say
      case GUMBO_TAG_META: case GUMBO_TAG_LINK: case GUMBO_TAG_BASE: case GUMBO_TAG_IMG: case GUMBO_TAG_WBR:
        return;
      case GUMBO_TAG_BR:
        push(tag, t.name);
        return pop();
      case GUMBO_TAG_STYLE: case GUMBO_TAG_SCRIPT: case GUMBO_TAG_TITLE:
        return raw_text(t.name);
      case GUMBO_TAG_HR:
        close_p_in_button_scope();
        push(tag, t.name);
        return pop();
      case GUMBO_TAG_P:
        close_p_in_button_scope();
        return push(tag, t.name);
      case GUMBO_TAG_LI: {
        // §13.2.6.4.7 "li": an open <li> is closed unless a special element other than
        // address, div or p stands between.
        for (long k = static_cast<long>(open_.size()) - 1; k >= 0; --k) {
          const GumboTag o = open_[static_cast<std::size_t>(k)].tag;
          if (o == GUMBO_TAG_LI) {
            pop_through(k);
            break;
          }
          if (is_special(o) && o != GUMBO_TAG_ADDRESS && o != GUMBO_TAG_DIV && o != GUMBO_TAG_P) break;
        }
        close_p_in_button_scope();
        return push(tag, t.name);
      }
      case GUMBO_TAG_TABLE:
        // Whether <table> closes a <p> depends on the doctype's quirks mode.
        if (find_in_scope([](GumboTag o) { return o == GUMBO_TAG_P; }) >= 0) return void(fail());
        return push(tag, t.name);
      case GUMBO_TAG_A:
        // A second <a> runs the adoption agency.
        if (std::any_of(open_.begin(), open_.end(), [](const Open& o) { return o.tag == GUMBO_TAG_A; })) {
          return void(fail());
        }
        return push(tag, t.name, t.href ? t.href : std::optional<std::string>(std::string()));
      default:
        break;
    }
    if (is_block_element(tag)) {
      close_p_in_button_scope();
      return push(tag, t.name);
    }
    if (is_heading(tag)) {
      close_p_in_button_scope();
      if (!open_.empty() && is_heading(open_.back().tag)) pop();
      return push(tag, t.name);
    }
    if (is_formatting(tag) || is_ordinary(tag)) return push(tag, t.name);
    fail();  // forms, <pre>, lists of definitions, frames, foreign content …
  }

  // "in table", "in table body", "in row" (§13.2.6.4.9, .13, .14).
  void table_start_tag(const Tag& t, Mode m) {
    const GumboTag tag = t.tag;
    if (!ok_) return;
    if (tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_SCRIPT) return raw_text(t.name);
    if (tag == GUMBO_TAG_TR || tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
      if (m == Mode::kRow && tag == GUMBO_TAG_TR) pop();
      if (m == Mode::kTable) push(GUMBO_TAG_TBODY, "tbody");
      if (tag != GUMBO_TAG_TR && m != Mode::kRow) push(GUMBO_TAG_TR, "tr");
      return push(tag, t.name);
    }
    if (is_table_section(tag) && m == Mode::kTable) return push(tag, t.name);
    fail();
  }

  void end_tag(const Tag& t) {
    const GumboTag tag = t.tag;
    const Mode m = mode();
    if (tag == GUMBO_TAG_HTML || tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HEAD) return;
    if (tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_TR || tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH ||
        is_table_section(tag)) {
      if (m == Mode::kBody) return void(fail());
      // The nearest such element, in table scope: only another table bounds it.
      for (long k = static_cast<long>(open_.size()) - 1; k >= 0; --k) {
        const GumboTag o = open_[static_cast<std::size_t>(k)].tag;
        if (o == tag) {
          // Cells close whatever they hold; the formatting list is cleared to their marker.
          while (static_cast<long>(open_.size()) > k) pop();
          return;
        }
        if (o == GUMBO_TAG_TABLE || ((tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) &&
                                     (o == GUMBO_TAG_TD || o == GUMBO_TAG_TH || o == GUMBO_TAG_TR))) {
          break;
        }
      }
      return void(fail());
    }
    if (m == Mode::kTable || m == Mode::kTableBody || m == Mode::kRow) return void(fail());
    if (tag == GUMBO_TAG_P) {
      const long k = find_in_scope([](GumboTag o) { return o == GUMBO_TAG_P; });
      if (k >= 0) return pop_through(k);
      push(tag, t.name);  // "</p>" with no <p> open makes an empty paragraph
      return pop();
    }
    if (tag == GUMBO_TAG_LI) {
      const long k = find_in_scope([](GumboTag o) { return o == GUMBO_TAG_LI; }, true);
      if (k >= 0) pop_through(k);
      return;
    }
    if (is_block_element(tag)) {
      const long k = find_in_scope([tag](GumboTag o) { return o == tag; });
      if (k >= 0) pop_through(k);
      return;  // not open: ignored
    }
    if (is_heading(tag)) {
      const long k = find_in_scope(is_heading);
      if (k >= 0) pop_through(k);
      return;
    }
    if (is_formatting(tag) || is_ordinary(tag)) {
      // Well nested: the current element. Anything else is the adoption agency or the
      // "any other end tag" walk, unless no such element is open below a special one.
      for (long k = static_cast<long>(open_.size()) - 1; k >= 0; --k) {
        const Open& o = open_[static_cast<std::size_t>(k)];
        if (o.tag == tag) {
          if (k + 1 == static_cast<long>(open_.size()) && (tag != GUMBO_TAG_UNKNOWN || o.name == t.name)) {
            return pop();
          }
          return void(fail());
        }
        if (is_special(o.tag)) break;
      }
      if (is_formatting(tag) &&
          std::any_of(open_.begin(), open_.end(), [tag](const Open& o) { return o.tag == tag; })) {
        return void(fail());
      }
      return;  // nothing to close: ignored
    }
    fail();
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
  TextBuilder b_;
  int pre_depth_ = 0;
  std::vector<Open> open_;
  std::string scratch_;
};

}  // namespace

std::optional<std::string> fast_text(std::string_view html) { return Reader(html).run(); }

}  // namespace complaintd::parser::html
