#pragma once
// A bounded reader for Microsoft's Transport Neutral Encapsulation Format ([MS-OXTNEF]):
// the winmail.dat that Outlook and Exchange send instead of ordinary MIME attachments.
// Customers never see the files inside unless someone lists them; we do.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complaintd::parser {

struct TnefFile {
  std::string name;     ///< UTF-8: the long file name when given, else the 8.3 title
  std::string content;  ///< the file's bytes (attAttachData)
};

struct TnefContents {
  std::vector<TnefFile> files;
  std::string problem;  ///< non-empty when the stream was damaged; files read so far are kept
};

/// True when `bytes` starts with the TNEF signature (0x223E9F78, little-endian).
bool is_tnef(std::string_view bytes);

/// Reads the attachments of a TNEF stream: one file per attAttachRendData, named by
/// attAttachTitle or the MAPI PR_ATTACH_LONG_FILENAME in attAttachment, holding
/// attAttachData. At most `max_files` files; every length is checked against the input.
/// nullopt when `bytes` is not TNEF at all.
std::optional<TnefContents> read_tnef(std::string_view bytes, std::size_t max_files);

}  // namespace complaintd::parser
