# CMake package configuration for libcadfeat (the C API of cadfeat).
#
#   find_package(cadfeat 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE cadfeat::cadfeat)          # shared library
#   target_link_libraries(app PRIVATE cadfeat::cadfeat_static)   # static library
#
# Installed by cmake/install.sh as PREFIX/lib/cmake/cadfeat/cadfeatConfig.cmake, next to
# PREFIX/lib/libcadfeat.{so,a} and PREFIX/include/cadfeat.{h,hpp}.
get_filename_component(_cadfeat_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(cadfeat_INCLUDE_DIRS "${_cadfeat_prefix}/include")

if(NOT EXISTS "${cadfeat_INCLUDE_DIRS}/cadfeat.h")
  set(cadfeat_FOUND FALSE)
  set(cadfeat_NOT_FOUND_MESSAGE "cadfeat.h not found in ${cadfeat_INCLUDE_DIRS}")
  return()
endif()

# Rust cdylibs carry no SONAME: IMPORTED_NO_SONAME makes CMake link with -lcadfeat rather
# than recording the absolute path of the library in the executable.
if(EXISTS "${_cadfeat_prefix}/lib/libcadfeat.so" AND NOT TARGET cadfeat::cadfeat)
  add_library(cadfeat::cadfeat SHARED IMPORTED)
  set_target_properties(cadfeat::cadfeat PROPERTIES
    IMPORTED_LOCATION "${_cadfeat_prefix}/lib/libcadfeat.so"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${cadfeat_INCLUDE_DIRS}")
endif()

# The static library needs the system libraries the Rust standard library uses.
if(EXISTS "${_cadfeat_prefix}/lib/libcadfeat.a" AND NOT TARGET cadfeat::cadfeat_static)
  add_library(cadfeat::cadfeat_static STATIC IMPORTED)
  set_target_properties(cadfeat::cadfeat_static PROPERTIES
    IMPORTED_LOCATION "${_cadfeat_prefix}/lib/libcadfeat.a"
    INTERFACE_INCLUDE_DIRECTORIES "${cadfeat_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "pthread;dl;m;rt;util;gcc_s")
endif()

if(NOT TARGET cadfeat::cadfeat AND NOT TARGET cadfeat::cadfeat_static)
  set(cadfeat_FOUND FALSE)
  set(cadfeat_NOT_FOUND_MESSAGE "neither libcadfeat.so nor libcadfeat.a in ${_cadfeat_prefix}/lib")
  return()
endif()
if(NOT TARGET cadfeat::cadfeat)
  add_library(cadfeat::cadfeat ALIAS cadfeat::cadfeat_static)
endif()
set(cadfeat_LIBRARIES cadfeat::cadfeat)
set(cadfeat_FOUND TRUE)
unset(_cadfeat_prefix)
