# Shared compile settings, linked PRIVATE by every target (cpp-best-practices style).
add_library(complaintd_options INTERFACE)
add_library(complaintd_warnings INTERFACE)

target_compile_features(complaintd_options INTERFACE cxx_std_20)
target_include_directories(complaintd_options INTERFACE ${PROJECT_SOURCE_DIR})

option(COMPLAINTD_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(COMPLAINTD_WERROR "Treat warnings as errors" OFF)

if(COMPLAINTD_SANITIZE)
  target_compile_options(complaintd_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(complaintd_options INTERFACE -fsanitize=address,undefined)
endif()

target_compile_options(complaintd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(COMPLAINTD_WERROR)
  target_compile_options(complaintd_warnings INTERFACE -Werror)
endif()

# complaintd_module(NAME SOURCES... [DEPS ...]) — one static library per module.
function(complaintd_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;SYSTEM_DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_link_libraries(${name} PUBLIC ${M_DEPS} ${M_SYSTEM_DEPS} complaintd_options
                                PRIVATE complaintd_warnings)
endfunction()
