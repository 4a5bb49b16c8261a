#include "triage/name.hpp"

#include <mutex>
#include <set>

namespace complaintd::triage {

Name Name::intern(std::string_view text) {
  if (text.empty()) return Name();
  // Never destroyed, so that a Name in a static object outlives nothing it points to. A
  // set's nodes never move: the text of each string stays where it is, small or not.
  struct Pool {
    std::mutex mutex;
    std::set<std::string, std::less<>> texts;
  };
  static auto* const pool = new Pool;
  const std::lock_guard lock(pool->mutex);
  auto it = pool->texts.find(text);
  if (it == pool->texts.end()) it = pool->texts.emplace(text).first;
  return Name(std::string_view(*it));
}

}  // namespace complaintd::triage
