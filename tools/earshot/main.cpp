// earshot — the host simulation binary: runs the device code path on a PC.
#include <cstdio>
#include <map>
#include <string>

#include "commands.h"
#include "earshot/earshot.h"
#include "image/image.h"
#include "model/schema.h"

int main(int argc, char** argv) {
  CLI::App app{"earshot: offline speech recognizer (host simulation of the device code path)"};
  app.set_version_flag("--version", std::string("earshot ") + EARSHOT_VERSION + " (C API " +
                                        std::to_string(EARSHOT_VERSION_MAJOR) + "." +
                                        std::to_string(EARSHOT_VERSION_MINOR) + "." +
                                        std::to_string(EARSHOT_VERSION_PATCH) + ", model image format " +
                                        std::to_string(earshot::kImageVersionMajor) + "." +
                                        std::to_string(earshot::kImageVersionMinor) + ", model " +
                                        earshot::kModelArch + ")");
  app.require_subcommand(1);
  app.footer(
      "Model: --model M.esm, else $EARSHOT_MODEL, else models/en-small.esm of this checkout.\n"
      "Kernels: --isa or $EARSHOT_ISA (scalar|avx2|avx512vnni on x86-64); every level gives the same text.\n"
      "  --backend ref|simd|xnnpack: the scalar reference, the best SIMD level, XNNPACK (bench only for now).\n"
      "Exit codes: 0 ok, 1 an input (or the model) failed, one line each on stderr, 2 usage error.\n"
      "Run 'earshot SUBCOMMAND --help' for each subcommand.");
  std::map<CLI::App*, earshot::cli::Runner> runners;
  auto add = [&](earshot::cli::Runner (*f)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    auto r = f(app);
    runners[app.get_subcommands({})[before]] = std::move(r);
  };
  add(earshot::cli::add_transcribe);
  add(earshot::cli::add_stream);
  add(earshot::cli::add_eval);
  add(earshot::cli::add_features);
  add(earshot::cli::add_bench);
  add(earshot::cli::add_plot);
  if (argc > 1 && argv[1][0] != '-') {  // CLI11 would only say "a subcommand is required"
    std::string names;
    bool known = false;
    for (auto* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "earshot: unknown subcommand '%s' (one of %s; see 'earshot --help')\n", argv[1],
                   names.c_str());
      return earshot::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line: what was wrong and where to look.
    std::string where = "earshot";
    for (auto* sub : app.get_subcommands())
      where += " " + sub->get_name();
    std::fprintf(stderr, "%s: %s (see '%s --help')\n", where.c_str(), e.what(), where.c_str());
    return earshot::cli::kExitUsage;
  }
  for (auto& [sub, run] : runners)
    if (sub->parsed()) return run();
  return earshot::cli::kExitUsage;
}
