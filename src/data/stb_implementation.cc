// stb's implementations, compiled here only when the build found no libstb
// to link (cmake/dependencies.cmake defines FASTSERVE_STB_LIBRARY when it
// did). Debian's libstb-dev ships both the headers and libstb.so.
#ifndef FASTSERVE_STB_LIBRARY
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image.h"
#include "stb_image_resize.h"
#include "stb_image_write.h"
#endif
