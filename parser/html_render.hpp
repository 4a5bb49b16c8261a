#pragma once
// What an HTML element contributes to the text, shared by the two ways of reading HTML
// (html_text.cpp's gumbo tree walk and html_fast.cpp's streaming reader), so that both
// produce the same text from the same elements by construction. Internal to the parser.

#include <gumbo.h>

#include <optional>
#include <string>
#include <string_view>

namespace complaintd::parser::html {

/// Element contents that never reach the text (script, style, head …).
bool is_dropped(GumboTag tag);

/// Builds the text: collapses whitespace and keeps track of pending line breaks.
class TextBuilder {
 public:
  void text(std::string_view s, bool preformatted);
  void newline() {
    out_.push_back('\n');
    space_ = false;
  }
  /// Ends the current line and makes sure `n` line breaks separate it from what follows.
  void breaks(int n);
  void cell_separator() {
    if (!out_.empty() && out_.back() != '\n') space_ = true;
  }
  [[nodiscard]] std::size_t size() const { return out_.size(); }
  [[nodiscard]] std::string_view since(std::size_t pos) const { return std::string_view(out_).substr(pos); }
  /// The text, with U+00A0 (&nbsp;) turned into a plain space: it is layout, not content.
  std::string take();

 private:
  void put(char c) {
    if (space_ && !out_.empty() && out_.back() != '\n') out_.push_back(' ');
    space_ = false;
    out_.push_back(c);
  }
  std::string out_;
  bool space_ = false;
};

/// An element opens: its line breaks, list bullet or cell gap. Not for dropped elements.
/// Returns where the element's own text starts (for links).
std::size_t enter_element(TextBuilder& b, GumboTag tag, int& pre_depth);

/// An element closes. `href`: a link's target attribute as decoded, if it had one.
void leave_element(TextBuilder& b, GumboTag tag, std::size_t text_start, std::optional<std::string_view> href,
                   int& pre_depth);

/// The fast reader (html_fast.cpp): the text gumbo's tree would give, computed in one pass
/// without building a tree, or nullopt when `html` uses anything whose HTML5 tree
/// construction it does not reproduce exactly (misnested formatting, foster-parented table
/// text, unknown entities, foreign content …); the caller then uses gumbo.
std::optional<std::string> fast_text(std::string_view html);

/// The gumbo tree walk (html_text.cpp), before html_to_text's line clean-up.
std::string gumbo_text(std::string_view html);

}  // namespace complaintd::parser::html
