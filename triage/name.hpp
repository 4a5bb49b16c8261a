#pragma once
// Names that never die, for what triage says about a message: a rule's name, how it fired,
// a category's name and label, a routing note. Each Fired copied its rule's name
// ("category.service_delivery", past std::string's small buffer) and each decision its
// config's words: most of assess's allocations (issue 5). A Name is a view of text that
// lives as long as the process, so it is copied as two words and can never dangle,
// whatever a caller keeps it in or however long: it is made only from a string literal,
// or by Name::intern, which keeps the text in a pool that is never freed. Interning takes
// a lock, so it is done when a Triager is built, never per message; a config reloaded adds
// only the names it does not share with the last one.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace complaintd::triage {

class Name {
 public:
  constexpr Name() noexcept = default;
  /// A string literal. Consteval: an array without static storage (a local buffer) does
  /// not compile.
  template <std::size_t N>
  consteval Name(const char (&literal)[N]) noexcept : text_(literal, N - 1) {}
  /// The text kept for the life of the process; the same text interned twice is kept once.
  static Name intern(std::string_view text);

  [[nodiscard]] constexpr std::string_view view() const noexcept { return text_; }
  constexpr operator std::string_view() const noexcept { return text_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return text_.empty(); }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return text_.size(); }

  // Templates, so that a literal, a std::string or another Name is compared as it is
  // rather than converted two ways at once (ambiguous).
  template <class T>
    requires std::is_convertible_v<const T&, std::string_view>
  friend constexpr bool operator==(const Name& a, const T& b) noexcept {
    return a.text_ == std::string_view(b);
  }
  template <class T>
    requires std::is_convertible_v<const T&, std::string_view>
  friend constexpr auto operator<=>(const Name& a, const T& b) noexcept {
    return a.text_ <=> std::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& o, const Name& n) { return o << n.text_; }

 private:
  constexpr explicit Name(std::string_view kept) noexcept : text_(kept) {}
  std::string_view text_;
};

/// What a decision says in words: fixed wording (a Name, the common case, not copied) or
/// words made for this message (a case reference, an address).
class Text {
 public:
  Text() = default;
  Text(Name fixed) noexcept : fixed_(fixed) {}
  Text(std::string made) noexcept : made_(std::move(made)) {}
  /// So that `text = "literal"` compiles: a literal is one conversion from a Name, two
  /// from a Text (a Text, holding a std::string, cannot be made at compile time).
  Text& operator=(Name fixed) noexcept {
    fixed_ = fixed;
    made_.clear();
    return *this;
  }

  [[nodiscard]] std::string_view view() const noexcept { return made_.empty() ? fixed_.view() : made_; }
  operator std::string_view() const noexcept { return view(); }
  [[nodiscard]] bool empty() const noexcept { return view().empty(); }

  template <class T>
    requires std::is_convertible_v<const T&, std::string_view>
  friend bool operator==(const Text& a, const T& b) noexcept {
    return a.view() == std::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& o, const Text& t) { return o << t.view(); }

 private:
  Name fixed_;
  std::string made_;  ///< set only when the words were made, then fixed_ is empty
};

}  // namespace complaintd::triage
