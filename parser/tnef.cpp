#include "parser/tnef.hpp"

#include <cstdint>

#include "parser/charset.hpp"
#include "parser/text_util.hpp"

namespace complaintd::parser {
namespace {

// [MS-OXTNEF] §2.1.3: attribute identifiers (low 16 bits of the attribute id).
constexpr std::uint32_t kSignature = 0x223E9F78;
constexpr std::uint8_t kLevelAttachment = 0x02;
constexpr std::uint16_t kAttAttachData = 0x800F;
constexpr std::uint16_t kAttAttachTitle = 0x8010;
constexpr std::uint16_t kAttAttachRendData = 0x9002;
constexpr std::uint16_t kAttAttachment = 0x9005;  // MAPI properties of the attachment

// [MS-OXCDATA] §2.11.1 property types and [MS-OXPROPS] tags we read.
constexpr std::uint16_t kPtString8 = 0x001E;
constexpr std::uint16_t kPtUnicode = 0x001F;
constexpr std::uint16_t kPtBinary = 0x0102;
constexpr std::uint16_t kPtObject = 0x000D;
constexpr std::uint16_t kMultiValued = 0x1000;
constexpr std::uint16_t kPrAttachLongFilename = 0x3707;

/// A cursor over untrusted little-endian bytes: every read is checked, none throws.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  [[nodiscard]] std::size_t left() const { return bytes_.size() - pos_; }
  bool u8(std::uint8_t& v) {
    if (left() < 1) return false;
    v = static_cast<std::uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<std::uint16_t>(byte(0) | (byte(1) << 8));
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (left() < 4) return false;
    v = byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24);
    pos_ += 4;
    return true;
  }
  bool take(std::size_t n, std::string_view& out) {
    if (left() < n) return false;
    out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    std::string_view ignored;
    return take(n, ignored);
  }

 private:
  [[nodiscard]] std::uint32_t byte(std::size_t k) const {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes_[pos_ + k]));
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

std::string_view strip_nuls(std::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

std::string utf16le_to_utf8(std::string_view bytes) {
  std::string out;
  const auto unit = [&](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(bytes[i]) |
                                 (static_cast<unsigned char>(bytes[i + 1]) << 8));
  };
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    char32_t c = unit(i);
    if (c == 0) break;
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < bytes.size()) {
      const char32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      }
    }
    if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // an unpaired surrogate
    append_utf8(out, c);
  }
  return out;
}

std::size_t padded(std::size_t n) { return (n + 3) & ~static_cast<std::size_t>(3); }

// [MS-OXTNEF] §2.1.3.4: a MAPI property list. Returns the long file name when present.
std::optional<std::string> long_filename(std::string_view props) {
  Reader r(props);
  std::uint32_t count = 0;
  if (!r.u32(count)) return std::nullopt;
  std::optional<std::string> found;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint16_t type = 0;
    std::uint16_t id = 0;
    if (!r.u16(type) || !r.u16(id)) return found;
    if (id >= 0x8000) {  // named property: GUID, kind, then an id or a name
      std::uint32_t kind = 0;
      std::uint32_t value = 0;
      if (!r.skip(16) || !r.u32(kind) || !r.u32(value)) return found;
      if (kind == 1 && !r.skip(padded(value))) return found;
    }
    const bool multi = (type & kMultiValued) != 0;
    const std::uint16_t base = static_cast<std::uint16_t>(type & ~kMultiValued);
    const bool variable = base == kPtString8 || base == kPtUnicode || base == kPtBinary || base == kPtObject;
    std::uint32_t values = 1;
    if (multi || variable) {
      if (!r.u32(values)) return found;
    }
    for (std::uint32_t v = 0; v < values; ++v) {
      if (variable) {
        std::uint32_t len = 0;
        std::string_view data;
        if (!r.u32(len) || !r.take(len, data) || !r.skip(padded(len) - len)) return found;
        if (id == kPrAttachLongFilename && v == 0) {
          found = base == kPtUnicode ? utf16le_to_utf8(data) : guess_to_utf8(strip_nuls(data));
        }
        continue;
      }
      std::size_t size = 0;
      switch (base) {
        case 0x0002: case 0x0003: case 0x0004: case 0x000A: case 0x000B: size = 4; break;
        case 0x0005: case 0x0006: case 0x0007: case 0x0014: case 0x0040: size = 8; break;
        case 0x0048: size = 16; break;
        default: return found;  // an unknown type: its size is unknown, stop here
      }
      if (!r.skip(size)) return found;
    }
  }
  return found;
}

}  // namespace

bool is_tnef(std::string_view bytes) {
  Reader r(bytes);
  std::uint32_t sig = 0;
  return r.u32(sig) && sig == kSignature;
}

std::optional<TnefContents> read_tnef(std::string_view bytes, std::size_t max_files) {
  if (!is_tnef(bytes)) return std::nullopt;
  TnefContents out;
  Reader r(bytes);
  r.skip(4 + 2);  // signature, legacy key
  // A plain value and a flag, not std::optional: GCC 12 warns falsely on optional<strings>.
  TnefFile current;
  bool open = false;
  bool named_long = false;
  const auto finish = [&] {
    if (open && (!current.content.empty() || !current.name.empty())) out.files.push_back(std::move(current));
    current = TnefFile{};
    open = false;
  };
  while (r.left() > 0) {
    std::uint8_t level = 0;
    std::uint32_t id = 0;
    std::uint32_t length = 0;
    std::string_view data;
    if (!r.u8(level) || !r.u32(id) || !r.u32(length)) {
      out.problem = "TNEF attribute header cut short";
      break;
    }
    if (!r.take(length, data)) {
      out.problem = "TNEF attribute longer than the file";
      break;
    }
    std::uint16_t checksum = 0;
    if (!r.u16(checksum)) {
      out.problem = "TNEF attribute without checksum";  // the data itself is complete: keep it
    }
    if (level != kLevelAttachment) continue;
    const auto attribute = static_cast<std::uint16_t>(id & 0xFFFF);
    if (attribute == kAttAttachRendData) {
      finish();
      if (out.files.size() >= max_files) {
        out.problem = "more than " + std::to_string(max_files) + " files in TNEF; the rest ignored";
        return out;
      }
      open = true;
      named_long = false;
      continue;
    }
    if (!open) continue;  // attachment attributes before the first RendData: ignored
    if (attribute == kAttAttachTitle && !named_long) {
      current.name = guess_to_utf8(strip_nuls(data));
    } else if (attribute == kAttAttachData) {
      current.content.assign(data);
    } else if (attribute == kAttAttachment) {
      if (auto name = long_filename(data); name && !trim(*name).empty()) {
        current.name = std::move(*name);
        named_long = true;
      }
    }
  }
  finish();
  return out;
}

}  // namespace complaintd::parser
