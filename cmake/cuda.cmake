# CUDA: compiled when nvcc exists and FASTSERVE_CUDA is ON. GPU code lives in
# src/backends/cuda (device plumbing) and kernels/cuda (op kernels); both must
# always compile here even though this machine has no GPU.
set(FASTSERVE_HAVE_CUDA OFF)
if(FASTSERVE_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # H100 (sm_90) is the lent GPU; 80 covers A100-class cards.
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    # CMake 3.25 has no CUDA20 flags for nvcc; device code needs only C++17.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(FASTSERVE_HAVE_CUDA ON)
    message(STATUS "FastServe: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION})")
  else()
    message(STATUS "FastServe: nvcc not found, CUDA backend OFF")
  endif()
endif()

function(fastserve_add_cuda target)
  if(NOT FASTSERVE_HAVE_CUDA)
    return()
  endif()
  file(GLOB_RECURSE cuda_sources CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/src/backends/cuda/*.cc ${PROJECT_SOURCE_DIR}/src/backends/cuda/*.cu
    ${PROJECT_SOURCE_DIR}/kernels/cuda/*.cc ${PROJECT_SOURCE_DIR}/kernels/cuda/*.cu)
  target_sources(${target} PRIVATE ${cuda_sources})
  target_compile_definitions(${target} PUBLIC FASTSERVE_HAVE_CUDA=1)
  target_link_libraries(${target} PUBLIC CUDA::cudart)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
endfunction()
