# Third-party libraries, all from Debian packages (tools/install_deps.sh).
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG QUIET)

# stb_image (libstb-dev): image decoding and resizing for `run` and `eval`.
find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb REQUIRED)
find_library(STB_LIBRARY stb)

add_library(fastserve_deps INTERFACE)
target_include_directories(fastserve_deps SYSTEM INTERFACE ${STB_INCLUDE_DIR})
target_link_libraries(fastserve_deps INTERFACE ZLIB::ZLIB fmt::fmt spdlog::spdlog)
if(STB_LIBRARY)
  target_link_libraries(fastserve_deps INTERFACE ${STB_LIBRARY})
  target_compile_definitions(fastserve_deps INTERFACE FASTSERVE_STB_LIBRARY=1)
endif()

add_library(fastserve_cli_deps INTERFACE)
if(TARGET CLI11::CLI11)
  target_link_libraries(fastserve_cli_deps INTERFACE CLI11::CLI11)
endif()
