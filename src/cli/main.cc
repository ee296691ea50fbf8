// `fastserve`: the command line. Parses flags (CLI11), sets up logging
// (spdlog, to stderr), runs one subcommand and maps its Status to an exit
// code (cli_common.h lists them). Nothing here or below throws on purpose;
// the outer catch only turns a stray exception (std::bad_alloc) into an
// error line instead of a crash.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/cpu_features.h"

#ifndef FASTSERVE_VERSION
#define FASTSERVE_VERSION "0.1.0"
#endif

namespace fastserve::cli {
namespace {

std::string version_text() {
  return fmt::format("fastserve {}\nisa: {} (detected: {})", FASTSERVE_VERSION, isa_name(host_isa()),
                     isa_name(detected_isa()));
}

void setup_logging(const std::string& level) {
  // Logs go to stderr so stdout carries only results (and JSON stays parseable).
  // Not registered by name (stderr_logger_mt would throw if the name existed);
  // the _mt sink because pool threads may log.
  auto logger = std::make_shared<spdlog::logger>("fastserve", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("fastserve: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

int main_impl(int argc, char** argv) {
  CLI::App app{"FastServe: an ONNX inference engine for CPUs", "fastserve"};
  app.set_version_flag("--version", version_text(), "Print the version and the detected instruction set");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log verbosity on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_val("warn");
  app.require_subcommand(1);
  app.fallthrough();  // --log-level also works after the subcommand name

  std::vector<Command> commands = {add_run_command(app), add_eval_command(app), add_inspect_command(app),
                                   add_bench_command(app), add_ops_command(app),
                                   add_serve_command(app), add_quantize_command(app),
                                   add_prune_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // help on stdout, exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "fastserve frobnicate": CLI11 reports the missing subcommand; name the word instead.
    std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty() && rest[0].rfind("-", 0) != 0) {
      return report_usage_error(fmt::format(
          "unknown command '{}' (commands: run, eval, inspect, bench, ops, serve, quantize, prune; see fastserve --help)", rest[0]));
    }
    return report_usage_error(fmt::format("{} (see fastserve --help)", e.what()));
  }

  setup_logging(log_level);
  for (const Command& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return report_usage_error("no command given (see fastserve --help)");
}

}  // namespace
}  // namespace fastserve::cli

int main(int argc, char** argv) {
  try {
    return fastserve::cli::main_impl(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "fastserve: error: internal error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "fastserve: error: internal error: unknown exception\n");
  }
  return fastserve::cli::kExitRuntime;
}
