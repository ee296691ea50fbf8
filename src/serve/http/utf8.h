// UTF-8 well-formedness: JSON (answers, logs) must be valid UTF-8, and
// request paths and headers are raw bytes from the client.
#pragma once

#include <string>
#include <string_view>

namespace fastserve::serve {

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);

}  // namespace fastserve::serve
