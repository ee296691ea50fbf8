# Per-file ISA flags. The binary is baseline x86-64: only microkernel files
# named *_avx2.cc, *_avxvnni.cc, *_avx512.cc, *_vnni.cc, *_amx.cc get wider instruction sets, and the
# registry picks among them at run time from CPUID (src/core/cpu_features.h).
set(FASTSERVE_X86 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set(FASTSERVE_X86 ON)
endif()

set(FASTSERVE_FLAGS_AVX2 "-mavx2 -mfma -mf16c")
# -Wno-*uninitialized: GCC 12's AVX-512 intrinsic headers trip false
# positives at -O2 (GCC bug 105593); they would break -Werror builds.
set(FASTSERVE_FLAGS_AVX512 "-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512dq -mavx512vl -Wno-uninitialized -Wno-maybe-uninitialized")
set(FASTSERVE_FLAGS_VNNI "${FASTSERVE_FLAGS_AVX512} -mavx512vnni")
set(FASTSERVE_FLAGS_AMX "${FASTSERVE_FLAGS_VNNI} -mamx-tile -mamx-int8")
# AVX-VNNI: the VEX (ymm) vpdpbusd, on AVX2-level cores that have it.
set(FASTSERVE_FLAGS_AVXVNNI "${FASTSERVE_FLAGS_AVX2} -mavxvnni")

function(fastserve_apply_isa_flags sources)
  foreach(src IN LISTS sources)
    if(NOT FASTSERVE_X86)
      if(src MATCHES "_(avx2|avx512|vnni|avxvnni|amx)\\.cc$")
        set_source_files_properties(${src} PROPERTIES HEADER_FILE_ONLY ON)
      endif()
    elseif(src MATCHES "_avxvnni\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${FASTSERVE_FLAGS_AVXVNNI}")
    elseif(src MATCHES "_amx\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${FASTSERVE_FLAGS_AMX}")
    elseif(src MATCHES "_vnni\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${FASTSERVE_FLAGS_VNNI}")
    elseif(src MATCHES "_avx512\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${FASTSERVE_FLAGS_AVX512}")
    elseif(src MATCHES "_avx2\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${FASTSERVE_FLAGS_AVX2}")
    endif()
  endforeach()
endfunction()
