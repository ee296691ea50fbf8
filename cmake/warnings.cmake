# Warnings on for our targets; -Werror with FASTSERVE_WERROR (CI turns it on).
function(fastserve_apply_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s std::string (GCC bug
  # 105329): a false positive that would fail -Werror builds.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
    # Sanitizer instrumentation at -O1 makes GCC 12 report -Wmaybe-uninitialized
    # inside libstdc++ (std::regex's std::function moves): false positives that
    # the Release build, which keeps the warning, does not show.
    if(FASTSERVE_SANITIZE)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-maybe-uninitialized>)
    endif()
  endif()
  if(FASTSERVE_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()
