#include "daemon/message_json.hpp"

#include <chrono>
#include <cstdio>
#include <string_view>

#include "common/json.hpp"

namespace complaintd::daemon {
namespace {

std::string iso_utc(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// A little writer that keeps commas and indentation right.
class Writer {
 public:
  void open(char bracket) {
    out_.push_back(bracket);
    first_ = true;
    ++depth_;
  }
  void close(char bracket) {
    --depth_;
    if (!first_) newline();
    out_.push_back(bracket);
    first_ = false;
  }
  void key(std::string_view k) {
    item();
    out_ += json_string(k);
    out_ += ": ";
  }
  void item() {
    if (!first_) out_.push_back(',');
    newline();
    first_ = false;
  }
  void raw(std::string_view v) { out_ += v; }
  void str(std::string_view v) { out_ += json_string(v); }
  void field(std::string_view k, std::string_view v) {
    key(k);
    str(v);
  }
  void field_raw(std::string_view k, std::string_view v) {
    key(k);
    raw(v);
  }
  void flag(std::string_view k, bool v) { field_raw(k, v ? "true" : "false"); }
  void number(std::string_view k, std::size_t v) { field_raw(k, std::to_string(v)); }
  std::string take() { return std::move(out_) + "\n"; }

 private:
  void newline() {
    out_.push_back('\n');
    out_.append(2 * static_cast<std::size_t>(depth_), ' ');
  }
  std::string out_;
  int depth_ = 0;
  bool first_ = true;
};

void address(Writer& w, const parser::Address& a) {
  w.open('{');
  w.field("name", a.name);
  w.field("address", a.address);
  w.close('}');
}

void optional_address(Writer& w, std::string_view k, const std::optional<parser::Address>& a) {
  w.key(k);
  if (a) address(w, *a);
  else w.raw("null");
}

void addresses(Writer& w, std::string_view k, const std::vector<parser::Address>& list) {
  w.key(k);
  w.open('[');
  for (const auto& a : list) {
    w.item();
    address(w, a);
  }
  w.close(']');
}

void strings(Writer& w, std::string_view k, const std::vector<std::string>& list) {
  w.key(k);
  w.open('[');
  for (const auto& s : list) {
    w.item();
    w.str(s);
  }
  w.close(']');
}

}  // namespace

std::string message_json(const parser::InboundMessage& msg) {
  Writer w;
  w.open('{');
  w.field("message_id", msg.message_id);
  w.field("subject", msg.subject);
  optional_address(w, "from", msg.from);
  optional_address(w, "sender", msg.sender);
  addresses(w, "reply_to", msg.reply_to);
  addresses(w, "to", msg.to);
  addresses(w, "cc", msg.cc);
  w.field("date", msg.date);
  w.key("date_utc");
  if (msg.date_utc) w.str(iso_utc(*msg.date_utc));
  else w.raw("null");
  w.field("in_reply_to", msg.in_reply_to);
  strings(w, "references", msg.references);
  w.field("content_type", msg.content_type);
  w.field("text", msg.text);
  w.field("reply_text", msg.reply_text);

  w.key("attachments");
  w.open('[');
  for (const auto& a : msg.attachments) {
    w.item();
    w.open('{');
    w.field("filename", a.filename);
    w.field("content_type", a.content_type);
    w.number("size", a.size);
    w.field("sha256", a.sha256);
    w.flag("inline", a.is_inline);
    if (!a.content_id.empty()) w.field("content_id", a.content_id);
    if (!a.container.empty()) w.field("container", a.container);
    w.close('}');
  }
  w.close(']');

  w.key("attached_messages");
  w.open('[');
  for (const auto& m : msg.attached_messages) {
    w.item();
    w.open('{');
    w.number("depth", m.depth);
    if (!m.filename.empty()) w.field("filename", m.filename);
    w.field("message_id", m.message_id);
    w.field("subject", m.subject);
    optional_address(w, "from", m.from);
    addresses(w, "to", m.to);
    w.field("date", m.date);
    w.field("text", m.text);
    w.close('}');
  }
  w.close(']');

  w.key("machine_mail");
  w.open('{');
  w.flag("is_machine", msg.machine.is_machine);
  w.field("reason", msg.machine.reason);
  w.close('}');

  w.flag("limit_exceeded", msg.limit_exceeded);
  w.flag("needs_person", msg.needs_person);
  w.field("needs_person_reason", msg.needs_person_reason);
  strings(w, "defects", msg.defects);

  w.key("headers");
  w.open('[');
  for (const auto& [name, value] : msg.headers) {
    w.item();
    w.open('{');
    w.field("name", name);
    w.field("value", value);
    w.close('}');
  }
  w.close(']');
  w.close('}');
  return w.take();
}

}  // namespace complaintd::daemon
