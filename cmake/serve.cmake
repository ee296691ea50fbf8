# `fastserve serve` (src/serve): HTTP (cpp-httplib), gRPC (grpc++ with code
# generated from proto/ at build time), JSON parsing (simdjson). All Debian
# packages (tools/install_deps.sh); docs/architecture.md says why each.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(simdjson CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(FASTSERVE_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# Generated C++ for proto/*.proto (messages + gRPC service stubs), compiled
# once into its own library so no other target re-runs protoc.
function(fastserve_add_grpc_protos target)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated/proto)
  file(MAKE_DIRECTORY ${out_dir})
  set(srcs)
  foreach(proto ${ARGN})
    get_filename_component(stem ${proto} NAME_WE)
    get_filename_component(proto_dir ${proto} DIRECTORY)
    set(gen ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc --proto_path=${proto_dir} --cpp_out=${out_dir} --grpc_out=${out_dir}
              --plugin=protoc-gen-grpc=${FASTSERVE_GRPC_CPP_PLUGIN} ${proto}
      DEPENDS ${proto}
      COMMENT "protoc ${stem}.proto"
      VERBATIM)
    list(APPEND srcs ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(${target} STATIC ${srcs})
  # Generated code is not ours: no warnings-as-errors on it.
  target_include_directories(${target} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC gRPC::grpc++ protobuf::libprotobuf)
endfunction()
