#pragma once
// HTML mail → readable plain text for triage and for people reading a case.

#include <string>
#include <string_view>

#include "parser/defects.hpp"

namespace complaintd::parser {

/// Converts UTF-8 HTML to text: paragraphs and line breaks kept, script/style/head dropped,
/// links written as "text (url)", whitespace collapsed outside <pre>. Input too large or too
/// deeply nested for gumbo to parse in reasonable time is reduced by a linear tag stripper
/// instead (and reported).
std::string html_to_text(std::string_view html, Defects& defects);

/// The charset named by a <meta charset> or <meta http-equiv content="...charset=..."> in
/// the first bytes of `html`, lower-case; empty when there is none (HTML Standard §13.2.3.2).
std::string sniff_html_charset(std::string_view html);

}  // namespace complaintd::parser
