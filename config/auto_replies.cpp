#include "config/auto_replies.hpp"

namespace complaintd::config::detail {
namespace {

// More than this many automatic letters a day to one address is no longer a limit on a
// loop; a longer window than 30 days would keep a real customer waiting a month.
constexpr std::int64_t kMaxPerAddress = 10'000;
constexpr int kMaxWindowHours = 30 * 24;

}  // namespace

void read_auto_replies(Reader& r, const toml::table& doc, Config& cfg) {
  const toml::node* node = doc.get("auto_replies");
  if (node == nullptr) return;
  const auto* t = node->as_table();
  if (t == nullptr) {
    r.error(node, "auto_replies", "must be a table: write [auto_replies]");
    return;
  }
  r.check_unknown(*t, "auto_replies", {"max_per_address", "within"});
  if (const toml::node* n = t->get("max_per_address")) {
    const auto v = n->value<std::int64_t>();
    if (n->is_integer() && v && *v >= 0 && *v <= kMaxPerAddress) {
      cfg.auto_replies.max_per_address = static_cast<int>(*v);
    } else {
      r.error(n, "auto_replies.max_per_address",
              "must be a whole number from 0 (no limit) to " + std::to_string(kMaxPerAddress));
    }
  }
  if (auto d = r.duration(*t, "auto_replies", "within")) {
    // A rolling window is a span of time; working days would make it stretch over weekends
    // exactly when nobody watches the mailbox.
    const int hours = d->unit == Duration::Unit::kHours ? d->count : d->unit == Duration::Unit::kDays ? d->count * 24 : -1;
    if (hours < 1 || hours > kMaxWindowHours) {
      r.error(t->get("within"), "auto_replies.within",
              "must be hours or days, from \"1 hour\" to \"30 days\" (not working days)");
    } else {
      cfg.auto_replies.within = *d;
    }
  }
}

}  // namespace complaintd::config::detail
