#include "parser/reply.hpp"

#include <array>
#include <optional>
#include <vector>

#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

using Lines = std::vector<std::string_view>;

Lines split_lines(std::string_view text) {
  Lines out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

bool blank(std::string_view line) { return trim(line).empty(); }

bool quoted(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first != std::string_view::npos && line[first] == '>';
}

// Lower-cases ASCII only: the phrases below are compared byte-wise, UTF-8 included.
std::string folded(std::string_view s) { return to_lower_ascii(trim(s)); }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "-----Original Message-----", "-------- Ursprüngliche Nachricht --------"...
constexpr std::array<std::string_view, 16> kSeparatorPhrases = {
    "original message",        "ursprüngliche nachricht", "message d'origine",      "mensaje original",
    "messaggio originale",     "oorspronkelijk bericht",  "mensagem original",      "originalmeddelande",
    "opprinnelig melding",     "oprindelig meddelelse",   "wiadomość oryginalna",   "forwarded message",
    "weitergeleitete nachricht", "message transféré",     "mensaje reenviado",      "messaggio inoltrato",
};

bool separator_line(std::string_view line) {
  std::string_view t = trim(line);
  if (!starts_with(t, "--")) return false;
  while (!t.empty() && (t.front() == '-' || t.front() == ' ')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == '-' || t.back() == ' ')) t.remove_suffix(1);
  const std::string phrase = folded(t);
  for (const auto p : kSeparatorPhrases) {
    if (phrase == p) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 4> kForwardIntros = {
    "begin forwarded message:", "anfang der weitergeleiteten nachricht:", "début du message réexpédié :",
    "début du message réexpédié:"};

bool forward_intro(std::string_view line) {
  // Compared in place: reply_text asks this of every line, and copies add up (issue 3).
  const std::string_view t = trim(line);
  for (const auto p : kForwardIntros) {
    if (iequals(t, p)) return true;
  }
  return false;
}

// Outlook's header block labels, in the languages complainants' clients use. HTML mail
// converted to text may bold them ("*From:*").
constexpr std::array<std::string_view, 14> kFromLabels = {"from", "von", "de", "da", "van", "från", "fra",
                                                           "od", "lähettäjä", "feladó", "от", "z", "kimden",
                                                           "afzender"};
constexpr std::array<std::string_view, 16> kSentLabels = {
    "sent", "date", "gesendet", "datum", "envoyé", "date d'envoi", "enviado", "fecha", "inviato",
    "data", "verzonden", "skickat", "sendt", "wysłano", "lähetetty", "отправлено"};
constexpr std::array<std::string_view, 14> kToSubjectLabels = {
    "to", "subject", "an", "betreff", "à", "objet", "para", "asunto", "a", "oggetto", "aan", "onderwerp",
    "till", "ämne"};

template <std::size_t N>
bool labelled(std::string_view line, const std::array<std::string_view, N>& labels) {
  std::string_view t = trim(line);
  while (!t.empty() && t.front() == '*') t.remove_prefix(1);
  const auto colon = t.find(':');
  if (colon == std::string_view::npos || colon > 24) return false;
  std::string_view label = t.substr(0, colon);
  while (!label.empty() && (label.back() == ' ' || label.back() == '*')) label.remove_suffix(1);
  const std::string l = to_lower_ascii(label);
  for (const auto want : labels) {
    if (l == want) return true;
  }
  return false;
}

bool outlook_block(const Lines& lines, std::size_t i) {
  if (!labelled(lines[i], kFromLabels)) return false;
  bool sent = false;
  bool to_or_subject = false;
  for (std::size_t k = i + 1; k < lines.size() && k <= i + 6; ++k) {
    sent = sent || labelled(lines[k], kSentLabels);
    to_or_subject = to_or_subject || labelled(lines[k], kToSubjectLabels);
  }
  return sent && to_or_subject;
}

// "On Mon, 3 Jun 2024, Alice <a@example.test> wrote:" and its translations.
constexpr std::array<std::string_view, 14> kWroteVerbs = {
    "wrote", "a écrit", "schrieb", "escribió", "ha scritto", "schreef", "escreveu", "pisze", "skrev",
    "kirjoitti", "napsal", "írta", "написал", "yazdı"};
constexpr std::array<std::string_view, 12> kAttributionStarts = {"on ", "le ", "am ", "el ", "il ", "op ",
                                                                 "em ", "w dniu ", "den ", "dne ", "am ", "pe "};

bool attribution_start(std::string_view line) {
  const std::string_view t = trim(line);
  for (const auto p : kAttributionStarts) {
    if (istarts_with(t, p)) return true;
  }
  return false;
}

// `word` inside `t` with a space on each side.
bool spaced_within(std::string_view t, std::string_view word) {
  for (std::size_t at = t.find(word, 1); at != std::string_view::npos; at = t.find(word, at + 1)) {
    if (t[at - 1] == ' ' && at + word.size() < t.size() && t[at + word.size()] == ' ') return true;
  }
  return false;
}

// "… wrote:" or, after a known opening, the verb anywhere: German and Dutch put the
// sender after it ("Am 5. Juni schrieb Amt <a@example.test>:").
bool attribution_end(std::string_view line, bool opened) {
  if (const std::string_view raw = trim(line); raw.empty() || raw.back() != ':') return false;
  std::string t = folded(line);
  t.pop_back();
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (const auto v : kWroteVerbs) {
    if (ends_with(t, v)) return true;
    if (opened && spaced_within(t, v)) return true;
  }
  return false;
}

/// How many lines an attribution starting at `i` spans (0 when there is none): one, or two
/// when the client wrapped it ("On …, Alice <a@example.test>\nwrote:").
std::size_t attribution(const Lines& lines, std::size_t i) {
  const bool opened = attribution_start(lines[i]);
  if (attribution_end(lines[i], opened)) return 1;
  if (i + 1 < lines.size() && opened && attribution_end(lines[i + 1], true)) return 2;
  return 0;
}

bool only_quotes_after(const Lines& lines, std::size_t from) {
  for (std::size_t k = from; k < lines.size(); ++k) {
    if (!blank(lines[k]) && !quoted(lines[k])) return false;
  }
  return true;
}

bool underscore_rule(std::string_view line) {
  const std::string_view t = trim(line);
  return t.size() >= 10 && t.find_first_not_of('_') == std::string_view::npos;
}

// Where the history begins (lines.size() when nowhere); attribution lines of interleaved
// or bottom-posted replies are marked in `drop` instead.
std::size_t history_start(const Lines& lines, std::vector<bool>& drop) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (quoted(lines[i])) continue;
    if (separator_line(lines[i]) || forward_intro(lines[i]) || outlook_block(lines, i)) return i;
    if (underscore_rule(lines[i])) {
      std::size_t k = i + 1;
      while (k < lines.size() && blank(lines[k])) ++k;
      if (k < lines.size() && outlook_block(lines, k)) return i;
    }
    if (const std::size_t n = attribution(lines, i); n > 0) {
      if (only_quotes_after(lines, i + n)) return i;
      for (std::size_t k = i; k < i + n; ++k) drop[k] = true;
      i += n - 1;
    }
  }
  return lines.size();
}

constexpr std::array<std::string_view, 14> kMobileSignatures = {
    "sent from my ",         "sent from mail for windows", "get outlook for ",     "sent from outlook",
    "sent from yahoo mail",  "von meinem ",                "envoyé de mon ",       "enviado desde mi ",
    "inviato da ",           "verzonden vanaf mijn ",      "sent via ",            "sent with proton mail",
    "envoyé depuis mon ",    "gesendet von meinem "};

bool mobile_signature(std::string_view line) {
  const std::string t = folded(line);
  for (const auto p : kMobileSignatures) {
    if (starts_with(t, p)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 36> kClosings = {
    "regards",          "kind regards",        "best regards",         "warm regards",
    "kindest regards",  "with kind regards",   "many thanks",          "thanks",
    "thank you",        "thanks in advance",   "yours sincerely",      "yours faithfully",
    "sincerely",        "yours truly",         "best",                 "best wishes",
    "cheers",           "all the best",        "mit freundlichen grüßen", "mit freundlichen grüssen",
    "viele grüße",      "liebe grüße",         "freundliche grüße",    "cordialement",
    "bien cordialement", "salutations",        "bien à vous",          "saludos",
    "atentamente",      "un saludo",           "cordiali saluti",      "distinti saluti",
    "met vriendelijke groet", "vriendelijke groeten", "med vänlig hälsning", "pozdrawiam"};

bool closing(std::string_view line) {
  std::string t = folded(line);
  while (!t.empty() && (t.back() == ',' || t.back() == '.' || t.back() == '!')) t.pop_back();
  for (const auto c : kClosings) {
    if (t == c) return true;
  }
  return false;
}

// Index of the first signature line in lines[0, end), or `end` when there is none.
std::size_t signature_start(const Lines& lines, std::size_t end) {
  for (std::size_t i = 0; i < end; ++i) {
    // RFC 3676 §4.3: "-- " alone on a line; many clients strip the trailing space.
    if (lines[i] == "-- " || lines[i] == "--") return i;
  }
  // Only text above counts as a reply: a message that is nothing but "Thanks" keeps it.
  const auto has_text_before = [&](std::size_t i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (!blank(lines[k])) return true;
    }
    return false;
  };
  // The earliest closing or mobile line among the last few: "Kind regards, / Alice /
  // Sent from my iPhone" loses all three.
  std::size_t start = end;
  std::size_t tail = 0;  // non-blank lines seen from the end
  bool short_tail = true;
  for (std::size_t i = end; i-- > 0;) {
    if (blank(lines[i])) continue;
    if (++tail > 6) break;
    if ((mobile_signature(lines[i]) || closing(lines[i])) && short_tail && has_text_before(i)) start = i;
    // A closing ends the letter only when what follows it is a short name block.
    short_tail = short_tail && trim(lines[i]).size() <= 60;
  }
  return start;
}

}  // namespace

std::string reply_text(std::string_view text) {
  const Lines lines = split_lines(text);
  std::vector<bool> drop(lines.size(), false);
  std::size_t end = history_start(lines, drop);
  Lines kept;
  for (std::size_t i = 0; i < end; ++i) {
    if (!drop[i] && !quoted(lines[i])) kept.push_back(lines[i]);
  }
  kept.resize(signature_start(kept, kept.size()));
  std::string out;
  for (const auto line : kept) {
    out.append(line);
    out.push_back('\n');
  }
  // Blank lines left where quotes were cut are collapsed to one paragraph break.
  std::string tidy;
  tidy.reserve(out.size());
  std::size_t newlines = 0;
  for (const char c : trim(out)) {
    newlines = c == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) tidy.push_back(c);
  }
  return tidy;
}

}  // namespace complaintd::parser
