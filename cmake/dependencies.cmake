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

# oneDNN (libdnnl-dev): an optional second kernel provider, `--kernels onednn`,
# kept as a baseline to compare our kernels with (docs/architecture.md). The
# Debian package ships a CMake config (DNNL::dnnl) built with the OpenMP
# runtime; that config requires OpenCL (its GPU runtime), so look for OpenCL
# first and skip oneDNN quietly when it is missing instead of failing there.
# kernels/onednn sets the OpenMP team size per call (omp_set_num_threads), so
# it links libgomp itself; only the library, not -fopenmp: our own code has no
# OpenMP pragmas.
set(FASTSERVE_HAVE_ONEDNN OFF)
if(FASTSERVE_ONEDNN)
  find_package(OpenCL QUIET)
  find_package(OpenMP QUIET COMPONENTS CXX)
  if(OpenCL_FOUND AND OpenMP_CXX_FOUND)
    find_package(dnnl CONFIG QUIET)
  endif()
  if(dnnl_FOUND AND DNNL_CPU_RUNTIME STREQUAL "OMP")
    set(FASTSERVE_HAVE_ONEDNN ON)
    add_library(fastserve_onednn_deps INTERFACE)
    target_link_libraries(fastserve_onednn_deps INTERFACE DNNL::dnnl ${OpenMP_CXX_LIBRARIES})
    target_compile_definitions(fastserve_onednn_deps INTERFACE FASTSERVE_HAVE_ONEDNN=1)
    target_link_libraries(fastserve_deps INTERFACE fastserve_onednn_deps)
    message(STATUS "FastServe: oneDNN kernel provider ON (oneDNN ${dnnl_VERSION}, OpenMP runtime)")
  elseif(dnnl_FOUND)
    message(STATUS "FastServe: oneDNN ${dnnl_VERSION} is not the OpenMP build; provider OFF")
  else()
    message(STATUS "FastServe: oneDNN (libdnnl-dev + ocl-icd-opencl-dev) not found, provider OFF")
  endif()
endif()
