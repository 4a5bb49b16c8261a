#include "daemon/runtime.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "daemon/builtin_letters.hpp"
#include "outbound/letter.hpp"
#include "triage/lifecycle.hpp"

namespace complaintd::daemon {

Result<std::shared_ptr<const Runtime>> Runtime::load(const std::filesystem::path& config_path,
                                                     std::vector<std::string>& errors) {
  auto loaded = config::load_config(config_path);
  for (const auto& e : loaded.errors) errors.push_back(config::format_error(e));
  if (!loaded.config) return Error{"configuration has " + std::to_string(errors.size()) + " error(s)"};

  auto zone = triage::Zone::load(loaded.config->service.timezone);
  if (!zone) {
    errors.push_back(config_path.string() + ": service.timezone: " + zone.error().message);
    return Error{zone.error().message};
  }
  auto rt = std::make_shared<Runtime>(Runtime{*loaded.config, triage::WorkingCalendar(loaded.config->calendar),
                                              std::move(*zone),
                                              triage::ReferenceFormat(loaded.config->service.reference_format),
                                              {}, nullptr});
  rt->triager = std::make_shared<const triage::Triager>(rt->config.triage, rt->config.procedure);
  // Every template in the folder is loaded and checked; those the procedure can ask for
  // must be there.
  std::set<std::string> names;
  const auto& folder = rt->config.service.letters;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".mustache") names.insert(entry.path().stem().string());
  }
  if (ec) errors.push_back(config_path.string() + ": service.letters: cannot read " + folder.string() + ": " + ec.message());
  const auto& builtin = builtin_letters();
  for (const auto& kind : triage::letter_templates(rt->config)) {
    if (!names.count(kind) && !builtin.count(kind) && !ec) {
      errors.push_back(config_path.string() + ": service.letters: the procedure needs letter template " +
                       (folder / (kind + ".mustache")).string() + ", which does not exist");
    }
  }
  for (const auto& kind : names) {
    const auto path = folder / (kind + ".mustache");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors.push_back(config_path.string() + ": service.letters: cannot read letter template " + path.string());
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    // Parsed and rendered once with no fields, so a template with a syntax error fails at
    // start-up, not when the first customer writes.
    auto tmpl = outbound::LetterTemplate::compile(path.string(), text.str());
    if (tmpl) {
      if (auto r = tmpl->render({}); !r) tmpl = r.error();
    }
    if (!tmpl) {
      errors.push_back(tmpl.error().message);
      continue;
    }
    rt->templates.emplace(kind, std::move(*tmpl));
  }
  for (const auto& [kind, text] : builtin) {
    if (rt->templates.count(kind)) continue;  // a file of that name wins
    auto tmpl = outbound::LetterTemplate::compile("built-in " + kind, text);
    if (!tmpl) {
      errors.push_back(tmpl.error().message);  // a bug, caught by every test that loads a config
      continue;
    }
    rt->templates.emplace(kind, std::move(*tmpl));
  }
  if (!errors.empty()) return Error{"configuration has " + std::to_string(errors.size()) + " error(s)"};
  return std::shared_ptr<const Runtime>(std::move(rt));
}

}  // namespace complaintd::daemon
